//===- LowerMatmul.cpp - Batched matrix products as register tiles --------===//
//
// A two-input einsum is a batched matrix product when its output ends with a
// label n of the right input only, another output label m is of the left
// input only, and exactly one label k is summed (in both inputs). Every
// other output label is a batch label. Such a node (plain or with an
// epilogue) becomes:
// 1. work items (batch, chunk of m rows) in parallel;
// 2. per item, the right input packed tile-major [n / T, k, T] (zero past
//    n), so a tile reads `cols` contiguous vectors per k;
// 3. per block of `rows` rows (missing rows recompute the last one and are
//    not stored), the block's left rows packed k-major [k, rows] (its rows
//    are a power-of-two stride apart in the scores times values product:
//    read in place, they share one L1 set), then per tile of
//    T = cols * lanes columns: the rows x cols
//    register tile of sums over k, the epilogue applied in registers from
//    the loop indices (the lane label is n), one store; the last tile's
//    columns past n are masked (it is emitted apart, with static masks).
// Anything else keeps the generic linalg lowering.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LowerMatmul.h"
#include "backends/cpu/KernelBuilder.h"
#include "backends/cpu/LowerEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace einsum::cpu {

namespace {

struct MatmulShape {
  std::string batchLabels;
  char m = 0, n = 0, k = 0;
};

std::optional<MatmulShape> classify(const EinsumSpec &spec) {
  if (spec.inputs.size() != 2 || spec.output.size() < 2)
    return std::nullopt;
  const std::string &a = spec.inputs[0], &bt = spec.inputs[1],
                    &out = spec.output;
  auto has = [](const std::string &s, char c) {
    return s.find(c) != std::string::npos;
  };
  for (const std::string *term : {&a, &bt, &out})
    for (char c : *term)
      if (std::count(term->begin(), term->end(), c) != 1)
        return std::nullopt;
  MatmulShape shape;
  shape.n = out.back();
  if (has(a, shape.n))
    return std::nullopt;
  for (char c : out)
    if (c != shape.n && has(a, c) && !has(bt, c))
      shape.m = c; // the last such label; earlier ones are batch labels
  if (!shape.m)
    return std::nullopt;
  for (char c : out)
    if (c != shape.n && c != shape.m)
      shape.batchLabels.push_back(c);
  for (char c : a + bt) {
    if (has(out, c))
      continue;
    if (!has(a, c) || !has(bt, c) || (shape.k && shape.k != c))
      return std::nullopt;
    shape.k = c;
  }
  if (!shape.k)
    return std::nullopt;
  return shape;
}

class MatmulKernel : KernelBuilder {
public:
  MatmulKernel(NodeLowering &n, const EinsumSpec &spec, MatmulShape shape,
               const Epilogue *epilogue, ValueRange operands,
               llvm::ArrayRef<TensorType> operandTypes)
      : KernelBuilder(n.b, n.loc, n.elementType(), *n.options), n(n),
        spec(spec), shape(std::move(shape)), epilogue(epilogue),
        operands(operands.begin(), operands.end()),
        operandTypes(operandTypes.begin(), operandTypes.end()) {
    const TensorType &out = n.resultType();
    for (size_t d = 0; d < spec.output.size(); ++d)
      size[spec.output[d]] = out.dim(d);
    const TensorType &a = n.inputType(0);
    size[this->shape.k] = a.dim(spec.inputs[0].find(this->shape.k));
    batchCount = 1;
    for (char c : this->shape.batchLabels)
      batchCount *= size[c];
    rowsTotal = size[this->shape.m];
    colsTotal = size[this->shape.n];
    depth = size[this->shape.k];
    const KernelOptions &o = *n.options;
    int64_t accumulators = std::max<int64_t>(2, o.vectorRegisters / 2);
    rows = std::min<int64_t>(rowsTotal, accumulators / 2);
    cols = std::max<int64_t>(
        1, std::min(accumulators / rows, ceilDiv(colsTotal, lanes)));
    tileWidth = cols * lanes;
    int64_t perBatch = ceilDiv(4 * int64_t(o.threads), batchCount);
    int64_t blocks = ceilDiv(rowsTotal, rows);
    chunkRows = ceilDiv(blocks, std::min(perBatch, blocks)) * rows;
    chunks = ceilDiv(rowsTotal, chunkRows);
  }

  LogicalResult emit() {
    int64_t items = batchCount * chunks;
    int64_t perItem = ceilDiv(colsTotal, tileWidth) * tileWidth * depth +
                      depth * rows + lanes;
    workItems(n, items, perItem, [&](Value item) { emitItem(item); });
    return result;
  }

private:
  /// The memref indices of `term` from label values.
  llvm::SmallVector<Value, 4> indices(const std::string &term) {
    llvm::SmallVector<Value, 4> out;
    for (char c : term)
      out.push_back(value[c]);
    return out;
  }

  void emitItem(Value item) {
    Value chunk = rem(item, chunks), rest = div(item, chunks);
    for (size_t p = shape.batchLabels.size(); p-- > 0;) {
      char c = shape.batchLabels[p];
      value[c] = rem(rest, size[c]);
      rest = div(rest, size[c]);
    }
    int64_t tiles = ceilDiv(colsTotal, tileWidth);
    packed = alloc({tiles, depth, tileWidth});
    left = alloc({depth, rows});
    packTiles(packed, idx(tiles * tileWidth), tileWidth, depth, colsTotal,
              [&](Value j, Value k) {
                value[shape.n] = j;
                value[shape.k] = k;
                return b.create<memref::LoadOp>(loc, n.inputs[1],
                                                indices(spec.inputs[1]));
              });
    scratch = epilogue && needsLaneLoop(*epilogue, shape.n) ? alloc({lanes})
                                                            : Value();
    Value rowBegin = mul(chunk, idx(chunkRows));
    Value rowEnd = minIdx(add(rowBegin, idx(chunkRows)), idx(rowsTotal));
    forEach(
        rowBegin, rowEnd, [&](Value block) { emitBlock(block); }, rows);
    b.create<memref::DeallocOp>(loc, packed);
    b.create<memref::DeallocOp>(loc, left);
    if (scratch)
      b.create<memref::DeallocOp>(loc, scratch);
  }

  void emitBlock(Value block) {
    rowIndex.clear();
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(minIdx(add(block, idx(r)), idx(rowsTotal - 1)));
    for (int64_t r = 0; r < rows; ++r)
      forEach(idx(0), idx(depth), [&](Value k) {
        value[shape.m] = rowIndex[r];
        value[shape.k] = k;
        Value x =
            b.create<memref::LoadOp>(loc, n.inputs[0], indices(spec.inputs[0]));
        b.create<memref::StoreOp>(loc, x, left, ValueRange{k, idx(r)});
      });
    int64_t fullTiles = colsTotal / tileWidth;
    forEach(idx(0), idx(fullTiles),
            [&](Value tile) { emitTile(block, tile, tileWidth); });
    if (colsTotal % tileWidth)
      emitTile(block, idx(fullTiles), colsTotal % tileWidth);
  }

  /// One register tile whose first `valid` columns are inside the output.
  void emitTile(Value block, Value tile, int64_t valid) {
    llvm::SmallVector<Value> sums =
        tileSum(rows, cols, depth, packed, tile, [&](int64_t r, Value k) {
          return b.create<memref::LoadOp>(loc, left, ValueRange{k, idx(r)});
        });
    for (int64_t r = 0; r < rows; ++r) {
      Value inside = lessThan(add(block, idx(r)), idx(rowsTotal));
      ifThen(inside, [&] {
        for (int64_t c = 0; c < cols; ++c) {
          int64_t lanesInside = std::min(lanes, valid - c * lanes);
          if (lanesInside <= 0)
            continue;
          value[shape.m] = rowIndex[r];
          value[shape.n] = add(mul(tile, idx(tileWidth)), idx(c * lanes));
          Value v = applyEpilogue(sums[r * cols + c]);
          storeFirst(lanesInside, v, n.dest, indices(spec.output));
        }
      });
    }
  }

  Value applyEpilogue(Value sum) {
    if (!epilogue || epilogue->isIdentity())
      return sum;
    llvm::SmallVector<Value, 4> labels = indices(spec.output);
    EpilogueEnv env{sum, spec.output, labels, operands, operandTypes,
                    t,   shape.n,     lanes,  scratch};
    FailureOr<Value> v = emitEpilogue(n, b, loc, *epilogue, env);
    if (failed(v)) {
      result = failure();
      return sum;
    }
    return *v;
  }

  NodeLowering &n;
  const EinsumSpec &spec;
  MatmulShape shape;
  const Epilogue *epilogue;
  llvm::SmallVector<Value> operands;
  llvm::SmallVector<TensorType> operandTypes;
  LogicalResult result = success();

  std::map<char, int64_t> size;
  int64_t batchCount, rowsTotal, colsTotal, depth;
  int64_t rows, cols, tileWidth, chunkRows, chunks;

  // Per item and block.
  std::map<char, Value> value;
  Value packed, left, scratch;
  llvm::SmallVector<Value> rowIndex;
};

} // namespace

std::optional<LogicalResult>
lowerMatmul(NodeLowering &n, const EinsumSpec &spec, const Epilogue *epilogue,
            ValueRange operands, llvm::ArrayRef<TensorType> operandTypes) {
  if (!n.options || !isa<FloatType>(n.elementType()))
    return std::nullopt;
  std::optional<MatmulShape> shape = classify(spec);
  if (!shape)
    return std::nullopt;
  return MatmulKernel(n, spec, std::move(*shape), epilogue, operands,
                      operandTypes)
      .emit();
}

} // namespace einsum::cpu
