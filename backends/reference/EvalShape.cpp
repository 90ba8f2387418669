//===- EvalShape.cpp - expand_dims, reshape, transpose, gather, concat ----===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/TensorSemantics.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <cstring>

namespace einsum::reference {

void evalCopy(const TensorData &x, TensorData &result) {
  // Same element type and count: the bytes are already rounded.
  assert(x.sizeInBytes() == result.sizeInBytes() && "size mismatch");
  std::memcpy(result.raw(), x.raw(), x.sizeInBytes());
}

llvm::Error evalTranspose(const Node &node, const std::string &what,
                          const TensorData &x, TensorData &result) {
  // The permutation is ir's (ir/TensorSemantics.h), which fold-constants
  // shares.
  if (llvm::Error err = transposeValues(
          node.attr("perm").getInts(), x.type(),
          [&](int64_t i) { return x.get(i); },
          [&](int64_t i, double v) { result.set(i, v); }))
    return makeError(what + ": " + firstMessage(std::move(err)));
  return llvm::Error::success();
}

/// The multi-index of element `flat` of `shape`, printed as `[1,2]`.
static std::string indexStr(int64_t flat, llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shapeStr(index);
}

llvm::Error evalGather(const Node &node, const std::string &what,
                       const TensorData &table, const TensorData &indices,
                       TensorData &result) {
  const TensorType &tt = table.type();
  llvm::Expected<unsigned> axisOr =
      normalizeAxis(node.attr("axis").getInt(), tt.rank());
  if (!axisOr)
    return makeError(what + ": " + firstMessage(axisOr.takeError()));
  unsigned axis = *axisOr;
  if (indices.type().elementType() != DType::I64)
    return makeError(fmt::format("{}: indices have type {}; expected i64", what,
                                 indices.type().str()));

  // Check every index before writing anything: indices are data, so a bad
  // one is a user error, and numpy-style wraparound of negatives would hide
  // real bugs.
  int64_t axisSize = tt.dim(axis);
  const int64_t *idx = indices.data<int64_t>();
  int64_t numIndices = indices.numElements();
  for (int64_t p = 0; p < numIndices; ++p)
    if (idx[p] < 0 || idx[p] >= axisSize)
      return makeError(fmt::format(
          "{}: index {} at position {} of the indices is out of range for "
          "axis {} of size {}",
          what, idx[p], indexStr(p, indices.type().shape()), axis, axisSize));

  // Result = [outer][numIndices][inner], table = [outer][axisSize][inner].
  int64_t outer = 1, inner = 1;
  for (unsigned d = 0; d < axis; ++d)
    outer *= tt.dim(d);
  for (unsigned d = axis + 1; d < tt.rank(); ++d)
    inner *= tt.dim(d);
  size_t elem = dtypeSize(tt.elementType());
  const std::byte *src = static_cast<const std::byte *>(table.raw());
  std::byte *dst = static_cast<std::byte *>(result.raw());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t p = 0; p < numIndices; ++p)
      std::memcpy(dst + ((o * numIndices + p) * inner) * elem,
                  src + ((o * axisSize + idx[p]) * inner) * elem, inner * elem);
  return llvm::Error::success();
}

llvm::Error evalConcat(const Node &node, const std::string &what,
                       llvm::ArrayRef<const TensorData *> inputs,
                       TensorData &result) {
  const TensorType &rt = result.type();
  llvm::Expected<unsigned> axisOr =
      normalizeAxis(node.attr("axis").getInt(), rt.rank());
  if (!axisOr)
    return makeError(what + ": " + firstMessage(axisOr.takeError()));
  unsigned axis = *axisOr;
  // An unverified graph could size the result differently from its inputs:
  // check before copying, so that no copy runs past a buffer.
  int64_t total = 0;
  for (auto [k, in] : llvm::enumerate(inputs)) {
    const TensorType &t = in->type();
    bool fits = t.elementType() == rt.elementType() && t.rank() == rt.rank();
    for (unsigned d = 0; fits && d < rt.rank(); ++d)
      fits = d == axis || t.dim(d) == rt.dim(d);
    if (!fits)
      return makeError(fmt::format("{}: input {} is {}, which does not fit "
                                   "the result {} on axis {}",
                                   what, k, t.str(), rt.str(), axis));
    total += t.dim(axis);
  }
  if (total != rt.dim(axis))
    return makeError(fmt::format("{}: the inputs have {} elements on axis {} "
                                 "but the result {} has {}",
                                 what, total, axis, rt.str(), rt.dim(axis)));

  // Each input is [outer][size_k * inner] and lands at column offset_k of
  // the result's [outer][total * inner] rows; bytes copy exactly, i64 too.
  int64_t outer = 1, inner = 1;
  for (unsigned d = 0; d < axis; ++d)
    outer *= rt.dim(d);
  for (unsigned d = axis + 1; d < rt.rank(); ++d)
    inner *= rt.dim(d);
  size_t elem = dtypeSize(rt.elementType());
  int64_t rowBytes = total * inner * elem;
  std::byte *dst = static_cast<std::byte *>(result.raw());
  int64_t offset = 0;
  for (const TensorData *in : inputs) {
    int64_t chunk = in->type().dim(axis) * inner * elem;
    const std::byte *src = static_cast<const std::byte *>(in->raw());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + o * rowBytes + offset, src + o * chunk, chunk);
    offset += chunk;
  }
  return llvm::Error::success();
}

} // namespace einsum::reference
