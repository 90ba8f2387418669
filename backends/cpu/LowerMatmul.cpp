//===- LowerMatmul.cpp - Batched matrix products as register tiles --------===//
//
// A two-input einsum is a batched matrix product when its output ends with a
// label n of the right input only, another output label m is of the left
// input only, and exactly one label k is summed (in both inputs). Every
// other output label is a batch label. Such a node (plain or with an
// epilogue) becomes:
// 1. work items (batch, chunk of m rows, part of the n tiles) in parallel:
//    with few rows (a decode step's projections, m = 1), the columns are
//    split so that every thread has work;
// 2. per item, its tiles of the right input packed tile-major [tiles, k,
//    T] (zero past n), so a tile reads `cols` contiguous vectors per k.
//    An item of one row block whose right input has n contiguous reads it
//    in place instead: a pack would be read once, after writing all of it;
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
    for (size_t d = 0; d < spec.output.size(); ++d) {
      sizeOf[spec.output[d]] = out.dim(d);
      size[spec.output[d]] = n.dim(out, d);
    }
    const TensorType &a = n.inputType(0);
    unsigned kDim = spec.inputs[0].find(this->shape.k);
    sizeOf[this->shape.k] = a.dim(kDim);
    size[this->shape.k] = n.dim(a, kDim);
    batchCount = idx(1);
    for (char c : this->shape.batchLabels)
      batchCount = mul(batchCount, size[c]);
    rowsTotal = size[this->shape.m];
    colsTotal = size[this->shape.n];
    depth = size[this->shape.k];
    const KernelOptions &o = *n.options;
    int64_t accumulators = std::max<int64_t>(2, o.vectorRegisters / 2);
    // Sizes known only at run time take the full register tile.
    rows = accumulators / 2;
    if (std::optional<int64_t> r = known(rowsTotal))
      rows = std::min(*r, rows);
    cols = std::max<int64_t>(1, accumulators / rows);
    if (std::optional<int64_t> c = known(colsTotal))
      cols = std::max<int64_t>(1, std::min(cols, ceilDiv(*c, lanes)));
    tileWidth = cols * lanes;
    int64_t perBatch =
        ceilDiv(4 * int64_t(o.threads), known(batchCount).value_or(1));
    Value blocks = ceilDivIdx(rowsTotal, rows);
    chunkRows =
        mul(ceilDivIdx(blocks, minIdx(idx(perBatch), blocks)), idx(rows));
    chunks = ceilDivIdx(rowsTotal, chunkRows);
    tiles = ceilDivIdx(colsTotal, tileWidth);
    // Too few (batch, chunk) items for the threads: split the tiles too.
    colParts = 1;
    std::optional<int64_t> rowItems = known(mul(batchCount, chunks));
    if (rowItems && *rowItems < 4 * int64_t(o.threads)) {
      colParts = ceilDiv(4 * int64_t(o.threads), *rowItems);
      if (std::optional<int64_t> t = known(tiles))
        colParts = std::max<int64_t>(1, std::min(colParts, *t));
    }
    tilesPerPart = ceilDivIdx(tiles, colParts);
    // One row block per item and n contiguous in the right input: read it
    // in place.
    std::optional<int64_t> knownRows = known(rowsTotal);
    direct = knownRows && *knownRows <= rows &&
             spec.inputs[1].back() == this->shape.n;
  }

  LogicalResult emit() {
    Value items = mul(mul(batchCount, chunks), idx(colParts));
    workItems(n, items, scratchElements(),
              [&](Value item) { emitItem(item); });
    return result;
  }

private:
  /// The most scratch an item holds, a size: the right operand's pack
  /// (columns rounded up to a tile, times depth), the block's left rows.
  int64_t scratchElements() {
    int64_t cols = sizeOf[shape.n], k = sizeOf[shape.k];
    std::optional<int64_t> padded = addSizes(cols, tileWidth - 1);
    std::optional<int64_t> pack;
    if (direct)
      pack = 0;
    else if (padded && !isSymbolicSize(k))
      pack = scaleSize(*padded, k);
    else if (padded && !isSymbolicSize(*padded))
      pack = scaleSize(k, *padded);
    std::optional<int64_t> left = scaleSize(k, rows);
    std::optional<int64_t> total =
        pack && left ? addSizes(*pack, *left) : std::nullopt;
    if (total)
      total = addSizes(*total, lanes);
    return total ? *total : 0;
  }

  /// The memref indices of `term` from label values.
  llvm::SmallVector<Value, 4> indices(const std::string &term) {
    llvm::SmallVector<Value, 4> out;
    for (char c : term)
      out.push_back(value[c]);
    return out;
  }

  void emitItem(Value item) {
    Value part = rem(item, idx(colParts));
    Value rowItem = div(item, idx(colParts));
    Value chunk = rem(rowItem, chunks), rest = div(rowItem, chunks);
    for (size_t p = shape.batchLabels.size(); p-- > 0;) {
      char c = shape.batchLabels[p];
      value[c] = rem(rest, size[c]);
      rest = div(rest, size[c]);
    }
    tileBegin = mul(part, tilesPerPart);
    tileEnd = minIdx(add(tileBegin, tilesPerPart), tiles);
    left = alloc(llvm::ArrayRef<Value>{depth, idx(rows)});
    if (!direct) {
      packed =
          alloc(llvm::ArrayRef<Value>{tilesPerPart, depth, idx(tileWidth)});
      packTiles(packed, mul(tileBegin, idx(tileWidth)),
                mul(tileEnd, idx(tileWidth)), tileWidth, depth, colsTotal,
                [&](Value j, Value k) {
                  value[shape.n] = j;
                  value[shape.k] = k;
                  return b.create<memref::LoadOp>(loc, n.inputs[1],
                                                  indices(spec.inputs[1]));
                });
    }
    scratch = epilogue && needsLaneLoop(*epilogue, shape.n) ? alloc({lanes})
                                                            : Value();
    Value rowBegin = mul(chunk, chunkRows);
    Value rowEnd = minIdx(add(rowBegin, chunkRows), rowsTotal);
    forEach(
        rowBegin, rowEnd, [&](Value block) { emitBlock(block); }, rows);
    if (packed)
      b.create<memref::DeallocOp>(loc, packed);
    b.create<memref::DeallocOp>(loc, left);
    if (scratch)
      b.create<memref::DeallocOp>(loc, scratch);
  }

  void emitBlock(Value block) {
    rowIndex.clear();
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(minIdx(add(block, idx(r)), sub(rowsTotal, idx(1))));
    for (int64_t r = 0; r < rows; ++r)
      forEach(idx(0), depth, [&](Value k) {
        value[shape.m] = rowIndex[r];
        value[shape.k] = k;
        Value x =
            b.create<memref::LoadOp>(loc, n.inputs[0], indices(spec.inputs[0]));
        b.create<memref::StoreOp>(loc, x, left, ValueRange{k, idx(r)});
      });
    // The item's whole tiles, then the last, partial tile of the output
    // (masked) if it is the item's.
    Value fullTiles = div(colsTotal, tileWidth);
    forEach(tileBegin, minIdx(tileEnd, fullTiles),
            [&](Value tile) { emitTile(block, tile, idx(tileWidth)); });
    Value tail = rem(colsTotal, tileWidth);
    std::optional<int64_t> knownTail = known(tail);
    if (knownTail && *knownTail == 0)
      return;
    // Parts past the last tile have tileBegin > tileEnd.
    Value mine = b.create<arith::AndIOp>(
        loc, lessThan(fullTiles, tileEnd),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, tileBegin,
                                fullTiles));
    if (knownTail && colParts == 1)
      return emitTile(block, fullTiles, tail);
    ifThen(b.create<arith::AndIOp>(loc, mine, lessThan(idx(0), tail)),
           [&] { emitTile(block, fullTiles, tail); });
  }

  /// Vector c of the right input's columns of `tile` at depth k, read in
  /// place: the first `valid` columns of the tile are inside it.
  Value directVector(Value tile, Value k, int64_t c, Value valid) {
    value[shape.n] = add(mul(tile, idx(tileWidth)), idx(c * lanes));
    value[shape.k] = k;
    llvm::SmallVector<Value, 4> at = indices(spec.inputs[1]);
    if (std::optional<int64_t> v = known(valid)) {
      int64_t inside = std::min(lanes, *v - c * lanes);
      return inside <= 0 ? splat(0) : loadFirst(inside, n.inputs[1], at);
    }
    Value inside = maxIdx(minIdx(sub(valid, idx(c * lanes)), idx(lanes)),
                          idx(0));
    return loadFirst(inside, n.inputs[1], at);
  }

  /// One register tile whose first `valid` columns are inside the output.
  void emitTile(Value block, Value tile, Value valid) {
    auto leftElement = [&](int64_t r, Value k) -> Value {
      return b.create<memref::LoadOp>(loc, left, ValueRange{k, idx(r)});
    };
    llvm::SmallVector<Value> sums =
        direct ? tileSum(
                     rows, cols, depth,
                     [&](Value k, int64_t c) {
                       return directVector(tile, k, c, valid);
                     },
                     leftElement)
               : tileSum(rows, cols, depth, packed, sub(tile, tileBegin),
                         leftElement);
    std::optional<int64_t> knownValid = known(valid);
    for (int64_t r = 0; r < rows; ++r) {
      Value inside = lessThan(add(block, idx(r)), rowsTotal);
      ifThen(inside, [&] {
        for (int64_t c = 0; c < cols; ++c) {
          value[shape.m] = rowIndex[r];
          value[shape.n] = add(mul(tile, idx(tileWidth)), idx(c * lanes));
          if (knownValid) {
            int64_t lanesInside = std::min(lanes, *knownValid - c * lanes);
            if (lanesInside <= 0)
              continue;
            Value v = applyEpilogue(sums[r * cols + c]);
            storeFirst(lanesInside, v, n.dest, indices(spec.output));
            continue;
          }
          // Vectors past the tail hold no output column.
          Value lanesInside =
              minIdx(sub(valid, idx(c * lanes)), idx(lanes));
          ifThen(lessThan(idx(0), lanesInside), [&] {
            Value v = applyEpilogue(sums[r * cols + c]);
            storeFirst(lanesInside, v, n.dest, indices(spec.output));
          });
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

  /// Label sizes as index values (constants when known) and as sizes.
  std::map<char, Value> size;
  std::map<char, int64_t> sizeOf;
  Value batchCount, rowsTotal, colsTotal, depth, chunkRows, chunks;
  int64_t rows, cols, tileWidth;
  /// Output tiles, how many parts they are split in across items, and how
  /// many tiles a part has.
  Value tiles, tilesPerPart;
  int64_t colParts = 1;
  /// The right input is read in place, not packed.
  bool direct = false;
  /// Per item: its tiles [tileBegin, tileEnd).
  Value tileBegin, tileEnd;

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
