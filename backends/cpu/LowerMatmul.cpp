//===- LowerMatmul.cpp - Batched matrix products as register tiles --------===//
//
// A two-input einsum is a batched matrix product when its output ends with a
// label n of the right input only, another output label m is of the left
// input only, and exactly one label k is summed (in both inputs). Every
// other output label is a batch label. Such a node (plain or with an
// epilogue) becomes a blocked product in the manner of GotoBLAS:
// 1. work items (batch, chunk of m rows, part of the n columns) in
//    parallel. A part's columns are at most what one panel of the right
//    input holds in GemmShape::panelBytes (L2); the parts, then the row
//    chunks, give every thread several items, so a right panel is packed
//    once per chunk and the chunks are few;
// 2. per item, per block of GemmShape::depthBlock summed k (balanced when
//    the depth is known):
//    a. the part's tiles of the right input packed tile-major [tiles, k,
//       T] (zero past n), by vectors when n is contiguous in it. An item
//       of one row block whose right input has n contiguous reads it in
//       place instead: a pack would be read once, after writing all of it;
//    b. per block of `rows` rows (missing rows recompute the last one and
//       are not stored), the block's left rows packed [rows, k] by vectors
//       where k is contiguous, an odd number of cache lines apart (the
//       micro-panel stays in L1; in place its rows may be a power-of-two
//       stride apart, all in one L1 set), then per tile of
//       T = cols * lanes columns the rows x cols register tile of sums
//       over the block's k, started from the output's partial sums after
//       the first depth block; after the last, the epilogue in registers
//       from the loop indices (the lane label is n) and one store. The
//       last tile's columns past n are masked (it is emitted apart, with
//       static masks where the sizes are known).
// Anything else keeps the generic linalg lowering.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LowerMatmul.h"
#include "backends/cpu/KernelBuilder.h"
#include "backends/cpu/LowerEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <variant>

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
      // f16 and bf16 terms are widened as they are packed or read; the
      // sums are the result's type, f32 for them.
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
    rightContiguous = spec.inputs[1].back() == this->shape.n;
    leftContiguous = spec.inputs[0].back() == this->shape.k;
    chooseTile();
    chooseDepthBlocks();
    // An odd number of 64-byte cache lines.
    int64_t line = 64 / (t.getIntOrFloatBitWidth() / 8);
    leftStride = (ceilDiv(depthStep, line) | 1) * line;
    chooseItems();
  }

  LogicalResult emit() {
    Value items = mul(mul(batchCount, chunks), colParts);
    workItems(n, items, scratchElements(), [&](Value item) { emitItem(item); });
    return result;
  }

private:
  /// The register tile (KernelShapes.h); with fewer rows than it has (a
  /// decode step's projections), as many accumulators in a wider tile,
  /// no wider than the output.
  void chooseTile() {
    const GemmShape &g = n.options->gemm;
    assert(g.tile.rows > 0 && g.tile.cols > 0 && "kernel shapes not set");
    rows = g.tile.rows;
    cols = g.tile.cols;
    if (std::optional<int64_t> r = known(rowsTotal); r && *r < rows) {
      cols = rows * cols / *r;
      rows = *r;
    }
    if (std::optional<int64_t> c = known(colsTotal))
      cols = std::max<int64_t>(1, std::min(cols, ceilDiv(*c, lanes)));
    tileWidth = cols * lanes;
  }

  /// Blocks of k: one when the depth is within 1.5 blocks, else balanced
  /// blocks of at most depthBlock; fixed blocks and a short last one when
  /// the depth is known only at run time.
  void chooseDepthBlocks() {
    int64_t block = std::max<int64_t>(1, n.options->gemm.depthBlock);
    if (std::optional<int64_t> k = known(depth)) {
      int64_t count = *k * 2 <= block * 3 ? 1 : ceilDiv(*k, block);
      depthStep = std::max<int64_t>(1, ceilDiv(*k, count));
    } else {
      depthStep = block;
    }
    depthBlocks = ceilDivIdx(depth, depthStep);
  }

  /// Items: parts of the columns that fit the panel, then row chunks,
  /// then (with few rows) more column parts, until every thread has
  /// several. Sizes known only at run time count as one here.
  void chooseItems() {
    const KernelOptions &o = *n.options;
    int64_t wanted = 4 * int64_t(o.threads);
    tiles = ceilDivIdx(colsTotal, tileWidth);
    int64_t panelTiles = std::max<int64_t>(
        1, o.gemm.panelBytes /
               (depthStep * tileWidth * (t.getIntOrFloatBitWidth() / 8)));
    Value parts = ceilDivIdx(tiles, panelTiles);
    Value blocks = ceilDivIdx(rowsTotal, rows);
    Value perBatch = mul(batchCount, parts);
    Value chunkCount = maxIdx(
        idx(1),
        minIdx(blocks, ceilDivIdx(idx(wanted), maxIdx(perBatch, idx(1)))));
    chunkRows = mul(ceilDivIdx(blocks, chunkCount), idx(rows));
    chunks = ceilDivIdx(rowsTotal, chunkRows);
    Value rowItems = maxIdx(mul(batchCount, chunks), idx(1));
    colParts = maxIdx(parts, minIdx(tiles, ceilDivIdx(idx(wanted), rowItems)));
    colParts = maxIdx(colParts, idx(1));
    tilesPerPart = ceilDivIdx(tiles, colParts);
    maxPartTiles = panelTiles;
    if (std::optional<int64_t> t = known(tilesPerPart))
      maxPartTiles = std::min(maxPartTiles, *t);
    // One row block per item and n contiguous in the right input: read it
    // in place.
    std::optional<int64_t> knownRows = known(rowsTotal);
    direct = knownRows && *knownRows <= rows && rightContiguous;
  }

  /// The most scratch an item holds: a right panel and a left
  /// micro-panel.
  int64_t scratchElements() {
    int64_t panel = direct ? 0 : maxPartTiles * depthStep * tileWidth;
    return panel + rows * leftStride + lanes;
  }

  /// The memref indices of `term` from label values.
  llvm::SmallVector<Value, 4> indices(const std::string &term) {
    llvm::SmallVector<Value, 4> out;
    for (char c : term)
      out.push_back(value[c]);
    return out;
  }

  void emitItem(Value item) {
    Value part = rem(item, colParts);
    Value rowItem = div(item, colParts);
    Value chunk = rem(rowItem, chunks), rest = div(rowItem, chunks);
    for (size_t p = shape.batchLabels.size(); p-- > 0;) {
      char c = shape.batchLabels[p];
      value[c] = rem(rest, size[c]);
      rest = div(rest, size[c]);
    }
    tileBegin = mul(part, tilesPerPart);
    tileEnd = minIdx(add(tileBegin, tilesPerPart), tiles);
    left = alloc({rows, leftStride});
    if (!direct)
      packed = alloc({maxPartTiles, depthStep, tileWidth});
    scratch = epilogue && needsLaneLoop(*epilogue, shape.n) ? alloc({lanes})
                                                            : Value();
    Value rowBegin = mul(chunk, chunkRows);
    Value rowEnd = minIdx(add(rowBegin, chunkRows), rowsTotal);
    forEach(idx(0), depthBlocks, [&](Value kb) {
      depthIndex = kb;
      depthBegin = mul(kb, idx(depthStep));
      blockDepth = minIdx(idx(depthStep), sub(depth, depthBegin));
      if (!direct)
        packPanel();
      forEach(
          rowBegin, rowEnd, [&](Value block) { emitBlock(block); }, rows);
    });
    if (packed)
      b.create<memref::DeallocOp>(loc, packed);
    b.create<memref::DeallocOp>(loc, left);
    if (scratch)
      b.create<memref::DeallocOp>(loc, scratch);
  }

  /// The part's tiles of the right input at the depth block's k, tile-major
  /// and zero past n: by vectors where n is contiguous.
  void packPanel() {
    Value colBegin = mul(tileBegin, idx(tileWidth));
    Value colEnd = mul(tileEnd, idx(tileWidth));
    if (!rightContiguous)
      return packTiles(packed, colBegin, colEnd, tileWidth, blockDepth,
                       colsTotal, [&](Value j, Value k) {
                         value[shape.n] = j;
                         value[shape.k] = add(depthBegin, k);
                         return loadScalar(n.inputs[1],
                                           indices(spec.inputs[1]));
                       });
    forEach(idx(0), blockDepth, [&](Value k) {
      value[shape.k] = add(depthBegin, k);
      forEach(tileBegin, tileEnd, [&](Value tile) {
        for (int64_t c = 0; c < cols; ++c) {
          Value column = add(mul(tile, idx(tileWidth)), idx(c * lanes));
          value[shape.n] = column;
          Value inside =
              maxIdx(minIdx(sub(colsTotal, column), idx(lanes)), idx(0));
          Value v = loadFirst(inside, n.inputs[1], indices(spec.inputs[1]));
          store(v, packed, {sub(tile, tileBegin), k, idx(c * lanes)});
        }
      });
    });
  }

  void emitBlock(Value block) {
    rowIndex.clear();
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(minIdx(add(block, idx(r)), sub(rowsTotal, idx(1))));
    packLeft();
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
    std::optional<int64_t> parts = known(colParts);
    if (knownTail && parts && *parts == 1)
      return emitTile(block, fullTiles, tail);
    ifThen(b.create<arith::AndIOp>(loc, mine, lessThan(idx(0), tail)),
           [&] { emitTile(block, fullTiles, tail); });
  }

  /// The block's left rows at the depth block's k, row-major with a row
  /// stride of leftStride (rows a power of two apart would share L1 sets):
  /// by vectors where k is contiguous in the left input.
  void packLeft() {
    for (int64_t r = 0; r < rows; ++r) {
      value[shape.m] = rowIndex[r];
      if (!leftContiguous) {
        forEach(idx(0), blockDepth, [&](Value k) {
          value[shape.k] = add(depthBegin, k);
          Value x = loadScalar(n.inputs[0], indices(spec.inputs[0]));
          b.create<memref::StoreOp>(loc, x, left, ValueRange{idx(r), k});
        });
        continue;
      }
      forEach(
          idx(0), blockDepth,
          [&](Value k) {
            value[shape.k] = add(depthBegin, k);
            Value inside = minIdx(sub(blockDepth, k), idx(lanes));
            Value v = loadFirst(inside, n.inputs[0], indices(spec.inputs[0]));
            storeFirst(inside, v, left, {idx(r), k});
          },
          lanes);
    }
  }

  /// Vector c of the right input's columns of `tile` at the block's depth
  /// k, read in place: the first `valid` columns of the tile are inside it.
  Value directVector(Value tile, Value k, int64_t c, Value valid) {
    value[shape.n] = add(mul(tile, idx(tileWidth)), idx(c * lanes));
    value[shape.k] = add(depthBegin, k);
    llvm::SmallVector<Value, 4> at = indices(spec.inputs[1]);
    if (std::optional<int64_t> v = known(valid)) {
      int64_t inside = std::min(lanes, *v - c * lanes);
      return inside <= 0 ? splat(0) : loadFirst(inside, n.inputs[1], at);
    }
    Value inside =
        maxIdx(minIdx(sub(valid, idx(c * lanes)), idx(lanes)), idx(0));
    return loadFirst(inside, n.inputs[1], at);
  }

  /// Lanes of vector c of a tile whose first `valid` columns are inside the
  /// output: a constant when known.
  std::variant<int64_t, Value> lanesInside(Value valid, int64_t c) {
    if (std::optional<int64_t> v = known(valid))
      return std::clamp<int64_t>(*v - c * lanes, 0, lanes);
    return maxIdx(minIdx(sub(valid, idx(c * lanes)), idx(lanes)), idx(0));
  }

  /// Points value[] at output element (row r of the block, vector c of
  /// `tile`).
  void atOutput(int64_t r, Value tile, int64_t c) {
    value[shape.m] = rowIndex[r];
    value[shape.n] = add(mul(tile, idx(tileWidth)), idx(c * lanes));
  }

  /// The partial sums the earlier depth blocks stored, for the tile.
  llvm::SmallVector<Value> loadPartial(Value tile, Value valid) {
    llvm::SmallVector<Value> sums;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        atOutput(r, tile, c);
        std::variant<int64_t, Value> inside = lanesInside(valid, c);
        if (auto *count = std::get_if<int64_t>(&inside))
          sums.push_back(*count == 0
                             ? splat(0)
                             : loadFirst(*count, n.dest, indices(spec.output)));
        else
          sums.push_back(
              loadFirst(std::get<Value>(inside), n.dest, indices(spec.output)));
      }
    return sums;
  }

  /// One register tile whose first `valid` columns are inside the output.
  void emitTile(Value block, Value tile, Value valid) {
    auto leftElement = [&](int64_t r, Value k) -> Value {
      return b.create<memref::LoadOp>(loc, left, ValueRange{idx(r), k});
    };
    auto sum = [&](ValueRange init) {
      return direct ? tileSum(
                          rows, cols, blockDepth,
                          [&](Value k, int64_t c) {
                            return directVector(tile, k, c, valid);
                          },
                          leftElement, init)
                    : tileSum(rows, cols, blockDepth, packed,
                              sub(tile, tileBegin), leftElement, init);
    };
    std::optional<int64_t> blocks = known(depthBlocks);
    if (blocks && *blocks == 1)
      return storeTile(block, tile, valid, sum({}), true);
    Value isFirst = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                            depthIndex, idx(0));
    Value isLast = b.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq, depthIndex, sub(depthBlocks, idx(1)));
    ValueRange init = select(
        isFirst,
        [&] { return llvm::SmallVector<Value>(rows * cols, splat(0)); },
        [&] { return loadPartial(tile, valid); });
    llvm::SmallVector<Value> sums = sum(init);
    ifThenElse(
        isLast, [&] { storeTile(block, tile, valid, sums, true); },
        [&] { storeTile(block, tile, valid, sums, false); });
  }

  /// Stores the tile's rows inside the output, through the epilogue when
  /// the sums are final.
  void storeTile(Value block, Value tile, Value valid,
                 llvm::ArrayRef<Value> sums, bool final) {
    for (int64_t r = 0; r < rows; ++r) {
      Value inside = lessThan(add(block, idx(r)), rowsTotal);
      ifThen(inside, [&] {
        for (int64_t c = 0; c < cols; ++c) {
          atOutput(r, tile, c);
          std::variant<int64_t, Value> count = lanesInside(valid, c);
          auto write = [&] {
            Value v = sums[r * cols + c];
            if (final)
              v = applyEpilogue(v);
            if (auto *k = std::get_if<int64_t>(&count))
              storeFirst(*k, v, n.dest, indices(spec.output));
            else
              storeFirst(std::get<Value>(count), v, n.dest,
                         indices(spec.output));
          };
          if (auto *k = std::get_if<int64_t>(&count)) {
            if (*k > 0)
              write();
            continue;
          }
          // Vectors past the tail hold no output column.
          ifThen(lessThan(idx(0), std::get<Value>(count)), write);
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
  /// n is the right input's last (contiguous) label; k the left's.
  bool rightContiguous = false, leftContiguous = false;
  /// Elements between rows of the left micro-panel.
  int64_t leftStride = 1;
  /// k per depth block (the last may be shorter) and the block count.
  int64_t depthStep = 1;
  Value depthBlocks;
  /// Output tiles, how many parts they are split in across items, how
  /// many tiles a part has, and the most a panel holds.
  Value tiles, colParts, tilesPerPart;
  int64_t maxPartTiles = 1;
  /// The right input is read in place, not packed.
  bool direct = false;
  /// Per item: its tiles [tileBegin, tileEnd).
  Value tileBegin, tileEnd;

  // Per item and depth block: its index, where it starts and its depth.
  Value depthIndex, depthBegin, blockDepth;
  // Per item and row block.
  std::map<char, Value> value;
  Value packed, left, scratch;
  llvm::SmallVector<Value> rowIndex;
};

} // namespace

bool isMatrixProduct(const EinsumSpec &spec) {
  return classify(spec).has_value();
}

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
