//===- RowVectors.cpp - Loops over a tensor in vectors along its last dim -===//
#include "backends/cpu/RowVectors.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace einsum::cpu {

RowVectors::RowVectors(NodeLowering &n)
    : KernelBuilder(n.b, n.loc, n.elementType(), *n.options), n(n) {}

void RowVectors::emit(
    llvm::ArrayRef<Value> shape, Value work,
    llvm::function_ref<void(llvm::ArrayRef<Value>, Value, Value)> body) {
  assert(!shape.empty() && "rank 0 has no rows");
  Value rows = idx(1);
  for (Value d : shape.drop_back())
    rows = mul(rows, d);
  Value cols = shape.back();
  Value colVecs = ceilDivIdx(cols, lanes);
  // Items: as many as the elements allow, up to four per thread.
  int64_t threads = n.options->threads;
  Value elements = mul(mul(rows, cols), work);
  Value wanted = threads > 1
                     ? minIdx(idx(4 * threads),
                              maxIdx(idx(1), div(elements, kMinItemElements)))
                     : idx(1);
  // Parts of a row only when rows are fewer than the items wanted.
  Value parts = maxIdx(idx(1), minIdx(ceilDivIdx(wanted, rows), colVecs));
  Value partVecs = ceilDivIdx(colVecs, parts);
  parts = ceilDivIdx(colVecs, maxIdx(partVecs, idx(1)));
  Value chunks = maxIdx(idx(1), minIdx(rows, ceilDivIdx(wanted, parts)));
  Value chunkRows = ceilDivIdx(rows, chunks);
  chunks = ceilDivIdx(rows, maxIdx(chunkRows, idx(1)));
  Value items = mul(chunks, parts);
  buildWorkLoop(
      b, loc, items, *n.options, [&](OpBuilder &, Location, Value item) {
        Value part = rem(item, parts), chunk = div(item, parts);
        Value colBegin = mul(mul(part, partVecs), idx(lanes));
        Value colEnd = minIdx(add(colBegin, mul(partVecs, idx(lanes))), cols);
        Value span = sub(colEnd, colBegin);
        Value wholeEnd = add(colBegin, mul(div(span, lanes), idx(lanes)));
        Value tail = sub(colEnd, wholeEnd);
        Value rowBegin = mul(chunk, chunkRows);
        Value rowEnd = minIdx(add(rowBegin, chunkRows), rows);
        forEach(rowBegin, rowEnd, [&](Value row) {
          llvm::SmallVector<Value> outer(shape.size() - 1);
          Value rest = row;
          for (size_t d = outer.size(); d-- > 0;) {
            outer[d] = d == 0 ? rest : rem(rest, shape[d]);
            rest = d == 0 ? rest : div(rest, shape[d]);
          }
          forEach(
              colBegin, wholeEnd,
              [&](Value col) { body(outer, col, idx(lanes)); }, lanes);
          std::optional<int64_t> t = known(tail);
          if (t && *t == 0)
            return;
          if (t)
            return body(outer, wholeEnd, tail);
          ifThen(lessThan(idx(0), tail), [&] { body(outer, wholeEnd, tail); });
        });
      });
}

llvm::SmallVector<Value, 4>
RowVectors::operandIndices(const TensorType &operand, const TensorType &result,
                           llvm::ArrayRef<Value> outer, Value column,
                           Value zero, bool &broadcastLast) {
  unsigned rank = operand.rank(), lead = result.rank() - rank;
  llvm::SmallVector<Value, 4> at;
  broadcastLast = true;
  for (unsigned d = 0; d < rank; ++d) {
    bool runs = operand.dim(d) == result.dim(lead + d);
    if (lead + d + 1 == result.rank()) {
      broadcastLast = !runs;
      at.push_back(runs ? column : zero);
    } else {
      at.push_back(runs ? outer[lead + d] : zero);
    }
  }
  return at;
}

Value RowVectors::loadOperand(Value operand, const TensorType &operandType,
                              const TensorType &result,
                              llvm::ArrayRef<Value> outer, Value column,
                              Value count) {
  bool broadcastLast;
  llvm::SmallVector<Value, 4> at =
      operandIndices(operandType, result, outer, column, idx(0), broadcastLast);
  if (broadcastLast)
    return broadcast(b.create<memref::LoadOp>(loc, operand, at));
  return loadFirst(count, operand, at);
}

} // namespace einsum::cpu
