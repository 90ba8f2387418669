//===- TensorType.h - Element types and static tensor types -----*- C++ -*-===//
//
// A tensor type is an element type and a shape. Rank 0 is a scalar. A
// dimension is a size (ir/Size.h): a number, or a symbolic size known only
// when the graph runs. i64 exists for index tensors (gather indices,
// positions); arithmetic ops accept only floating-point types. f16 and bf16
// are storage types: arithmetic on them is done in f32 and rounded once to
// the result type (docs/mixed-precision.md).
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_TENSORTYPE_H
#define EINSUM_IR_TENSORTYPE_H

#include "ir/Size.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace einsum {

enum class DType : uint8_t { F32, F64, I64, F16, BF16 };

llvm::StringRef dtypeName(DType t);
std::optional<DType> parseDType(llvm::StringRef name);
/// Storage size of one element in bytes.
unsigned dtypeSize(DType t);
bool isFloat(DType t);
/// f16 or bf16.
bool isHalfFloat(DType t);

/// The largest element count a tensor may have: keeps byte sizes and index
/// arithmetic (element count times 8) far from 64-bit overflow.
constexpr int64_t kMaxElements = int64_t(1) << 48;

class TensorType {
public:
  TensorType() = default;
  TensorType(DType dtype, std::vector<int64_t> shape)
      : dtype(dtype), dims(std::move(shape)) {}

  static TensorType f32(std::vector<int64_t> shape) {
    return {DType::F32, std::move(shape)};
  }
  static TensorType f64(std::vector<int64_t> shape) {
    return {DType::F64, std::move(shape)};
  }
  static TensorType i64(std::vector<int64_t> shape) {
    return {DType::I64, std::move(shape)};
  }
  static TensorType f16(std::vector<int64_t> shape) {
    return {DType::F16, std::move(shape)};
  }
  static TensorType bf16(std::vector<int64_t> shape) {
    return {DType::BF16, std::move(shape)};
  }

  DType elementType() const { return dtype; }
  /// The same shape with another element type.
  TensorType withElementType(DType t) const { return {t, dims}; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t dim(unsigned i) const { return dims[i]; }
  unsigned rank() const { return dims.size(); }

  /// Whether no dimension is symbolic.
  bool isStatic() const;
  /// The number of elements of a static type whose shape passed
  /// `checkShape`.
  int64_t numElements() const;
  int64_t sizeInBytes() const { return numElements() * dtypeSize(dtype); }

  /// Prints as `f32[2,4,8]`; a scalar is `f32[]`.
  std::string str() const;

  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && dims == o.dims;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }

private:
  DType dtype = DType::F32;
  std::vector<int64_t> dims;
};

/// Empty if every static dimension is positive, no symbolic one is
/// certainly below 1, and the product of the static dimensions is at most
/// kMaxElements; otherwise a message saying what is wrong. (Symbolic
/// dimensions are checked when their values are known: SizeBindings.h.)
std::string checkShape(llvm::ArrayRef<int64_t> shape);

/// Prints `[2,4,8]`, `[1,?s,64]`.
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

} // namespace einsum

#endif // EINSUM_IR_TENSORTYPE_H
