//===- TensorType.cpp -----------------------------------------------------===//
#include "ir/TensorType.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <cassert>

namespace einsum {

llvm::StringRef dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I64:
    return "i64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  }
  return "?";
}

std::optional<DType> parseDType(llvm::StringRef name) {
  if (name == "f32")
    return DType::F32;
  if (name == "f64")
    return DType::F64;
  if (name == "i64")
    return DType::I64;
  if (name == "f16")
    return DType::F16;
  if (name == "bf16")
    return DType::BF16;
  return std::nullopt;
}

unsigned dtypeSize(DType t) {
  switch (t) {
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  return 8;
}

bool isFloat(DType t) { return t != DType::I64; }

bool isHalfFloat(DType t) { return t == DType::F16 || t == DType::BF16; }

bool TensorType::isStatic() const {
  return llvm::none_of(dims, isSymbolicSize);
}

int64_t TensorType::numElements() const {
  assert(isStatic() && "the element count of a symbolic shape");
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ',';
    s += sizeStr(shape[i]);
  }
  return s + "]";
}

std::string TensorType::str() const {
  return dtypeName(dtype).str() + shapeStr(dims);
}

std::string checkShape(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (isSymbolicSize(shape[i])) {
      if (alwaysBelow(shape[i], 1))
        return fmt::format("dimension {} of shape {} is {}, which is never "
                           "positive",
                           i, shapeStr(shape), sizeStr(shape[i]));
      continue;
    }
    if (shape[i] <= 0)
      return fmt::format("dimension {} of shape {} is {}; dimensions must be "
                         "positive",
                         i, shapeStr(shape), shape[i]);
    if (n > kMaxElements / shape[i])
      return fmt::format("shape {} has more than 2^48 elements",
                         shapeStr(shape));
    n *= shape[i];
  }
  return {};
}

} // namespace einsum
