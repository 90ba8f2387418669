//===- TensorData.cpp -----------------------------------------------------===//
#include "ir/TensorData.h"

#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"
#include "ir/HalfFloat.h"

#include "llvm/Support/ErrorHandling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace einsum {

/// Cache-line alignment suits both the interpreter and vectorized kernels
/// that the CPU backend hands these buffers to.
static constexpr size_t kAlignment = 64;

/// Null if the system refuses.
static std::byte *tryAllocateZeroed(int64_t bytes) {
  // aligned_alloc wants a size that is a multiple of the alignment, and a
  // zero-byte request may return null, so round up with a floor of one line.
  size_t size = std::max<size_t>(kAlignment, (size_t(bytes) + kAlignment - 1) /
                                                 kAlignment * kAlignment);
  void *p = std::aligned_alloc(kAlignment, size);
  if (p)
    std::memset(p, 0, size);
  return static_cast<std::byte *>(p);
}

static std::byte *allocateZeroed(int64_t bytes) {
  std::byte *p = tryAllocateZeroed(bytes);
  if (!p)
    llvm::report_bad_alloc_error("cannot allocate tensor storage");
  return p;
}

void TensorData::FreeDeleter::operator()(std::byte *p) const { std::free(p); }

TensorData::TensorData(TensorType type) : ty(std::move(type)) {
  assert(checkShape(ty.shape()).empty() && ty.isStatic() &&
         "invalid tensor shape");
  count = ty.numElements();
  storage.reset(allocateZeroed(sizeInBytes()));
}

llvm::Expected<TensorData> TensorData::allocate(TensorType type) {
  if (std::string problem = checkShape(type.shape()); !problem.empty())
    return makeError(problem);
  if (!type.isStatic())
    return makeError(fmt::format("cannot allocate a tensor of type {}: its "
                                 "sizes are known only at run time",
                                 type.str()));
  TensorData t;
  t.ty = std::move(type);
  t.count = t.ty.numElements();
  t.storage.reset(tryAllocateZeroed(t.sizeInBytes()));
  if (!t.storage)
    return makeError(fmt::format("cannot allocate {} for a tensor of type {}",
                                 formatBytes(t.sizeInBytes()), t.ty.str()));
  return t;
}

llvm::Expected<TensorData> TensorData::clone() const {
  llvm::Expected<TensorData> copy = allocate(ty);
  if (copy && storage)
    std::memcpy(copy->raw(), raw(), sizeInBytes());
  return copy;
}

TensorData::TensorData(const TensorData &other)
    : ty(other.ty), count(other.count) {
  if (!other.storage)
    return;
  storage.reset(allocateZeroed(sizeInBytes()));
  std::memcpy(storage.get(), other.storage.get(), sizeInBytes());
}

TensorData &TensorData::operator=(const TensorData &other) {
  if (this != &other)
    *this = TensorData(other);
  return *this;
}

double TensorData::get(int64_t i) const {
  assert(i >= 0 && i < count && "element index out of range");
  switch (ty.elementType()) {
  case DType::F32:
    return static_cast<const float *>(raw())[i];
  case DType::F64:
    return static_cast<const double *>(raw())[i];
  case DType::I64:
    return double(static_cast<const int64_t *>(raw())[i]);
  case DType::F16:
    return fromHalfBits(static_cast<const uint16_t *>(raw())[i]);
  case DType::BF16:
    return fromBFloat16Bits(static_cast<const uint16_t *>(raw())[i]);
  }
  return 0;
}

/// Converting an out-of-range double to an integer is undefined behaviour,
/// so saturate instead (NaN becomes 0).
static int64_t toInt64(double v) {
  if (std::isnan(v))
    return 0;
  // 2^63 is exactly representable; anything at or above it saturates.
  constexpr double kLimit = 9223372036854775808.0;
  if (v >= kLimit)
    return std::numeric_limits<int64_t>::max();
  if (v < -kLimit)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

void TensorData::set(int64_t i, double v) {
  assert(i >= 0 && i < count && "element index out of range");
  switch (ty.elementType()) {
  case DType::F32:
    static_cast<float *>(raw())[i] = static_cast<float>(v);
    return;
  case DType::F64:
    static_cast<double *>(raw())[i] = v;
    return;
  case DType::I64:
    static_cast<int64_t *>(raw())[i] = toInt64(v);
    return;
  case DType::F16:
    static_cast<uint16_t *>(raw())[i] = toHalfBits(v);
    return;
  case DType::BF16:
    static_cast<uint16_t *>(raw())[i] = toBFloat16Bits(v);
    return;
  }
}

/// The error of one pair; mismatched NaNs and infinities count as infinite.
static double pairError(double a, double e) {
  if (std::isnan(a) || std::isnan(e))
    return std::isnan(a) && std::isnan(e)
               ? 0
               : std::numeric_limits<double>::infinity();
  if (std::isinf(a) || std::isinf(e))
    return a == e ? 0 : std::numeric_limits<double>::infinity();
  return std::fabs(a - e);
}

Comparison compareTensors(const TensorData &actual, const TensorData &expected,
                          double rtol, double atol) {
  assert(actual.type() == expected.type() && "comparing different types");
  Comparison c;
  for (int64_t i = 0, n = expected.numElements(); i < n; ++i) {
    double e = expected.get(i);
    double err = pairError(actual.get(i), e);
    // Checked apart from the tolerance, which is itself infinite when the
    // expected value is.
    bool close =
        !std::isinf(err) && (err == 0 || err <= atol + rtol * std::fabs(e));
    if (!close)
      c.allClose = false;
    if (err > c.maxAbsError) {
      c.maxAbsError = err;
      c.worstIndex = i;
    }
  }
  return c;
}

} // namespace einsum
