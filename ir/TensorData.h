//===- TensorData.h - Host tensors with data --------------------*- C++ -*-===//
//
// A typed, 64-byte aligned, row-major buffer: what backends read and write
// and what .npy files hold.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_TENSORDATA_H
#define EINSUM_IR_TENSORDATA_H

#include "ir/TensorType.h"

#include "llvm/Support/Error.h"

#include <cassert>
#include <cstddef>
#include <memory>

namespace einsum {

class TensorData {
public:
  TensorData() = default;
  /// A zero-filled tensor; the shape must have passed `checkShape`. Running
  /// out of memory ends the process: use `allocate` for sizes that come from
  /// user input.
  explicit TensorData(TensorType type);
  /// A zero-filled tensor, or an error naming the size when the shape is
  /// invalid or the system refuses the memory.
  static llvm::Expected<TensorData> allocate(TensorType type);
  /// A copy, with `allocate`'s error instead of the copy constructor's end.
  llvm::Expected<TensorData> clone() const;
  TensorData(const TensorData &other);
  TensorData &operator=(const TensorData &other);
  TensorData(TensorData &&) = default;
  TensorData &operator=(TensorData &&) = default;

  const TensorType &type() const { return ty; }
  int64_t numElements() const { return count; }
  int64_t sizeInBytes() const { return count * dtypeSize(ty.elementType()); }

  void *raw() { return storage.get(); }
  const void *raw() const { return storage.get(); }
  template <typename T> T *data() {
    assert(sizeof(T) == dtypeSize(ty.elementType()) && "wrong element type");
    return static_cast<T *>(raw());
  }
  template <typename T> const T *data() const {
    assert(sizeof(T) == dtypeSize(ty.elementType()) && "wrong element type");
    return static_cast<const T *>(raw());
  }

  /// Element i converted to double (exact for every float type and for
  /// |i64| <= 2^53).
  double get(int64_t i) const;
  /// Stores `v` at i, rounded to the element type once, to nearest with
  /// ties to even (i64: toward zero). f16 and bf16 elements are their bit
  /// patterns, `data<uint16_t>()`.
  void set(int64_t i, double v);

private:
  struct FreeDeleter {
    void operator()(std::byte *p) const;
  };
  TensorType ty;
  int64_t count = 0;
  std::unique_ptr<std::byte[], FreeDeleter> storage;
};

/// The largest absolute difference, and whether every pair of elements is
/// within `atol + rtol * |expected|` (NaNs equal only to NaNs, infinities
/// only to the same infinity). Types must match.
struct Comparison {
  bool allClose = true;
  double maxAbsError = 0;
  int64_t worstIndex = -1;
};
Comparison compareTensors(const TensorData &actual, const TensorData &expected,
                          double rtol, double atol);

} // namespace einsum

#endif // EINSUM_IR_TENSORDATA_H
