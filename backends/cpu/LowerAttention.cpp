//===- LowerAttention.cpp - Fused attention as a flash-style kernel -------===//
//
// Work items are (batch, query heads of one kv head, chunk of query rows),
// run in parallel. Each item:
// 1. packs K^T for its keys tile by tile into [tile, d, tile keys], zero
//    past the last key, so a register tile reads `cols` contiguous vectors
//    per d and one tile's K^T is one contiguous block (a [d, keys] layout
//    puts every d of a tile in the same L1 set when keys is a power of 2);
//    its query heads all read that kv head, so the pack serves each of them
//    in turn (V is read in place, not packed);
// 2. for each of its heads, walks its rows in blocks of `rows` queries (the
//    last block's missing rows recompute the last row and are not stored),
//    and for each block the keys in steps of `stepTiles` tiles of `cols`
//    vectors:
//    a. scores: a rows x cols register tile of sums over d (broadcast q,
//       FMA with a K^T vector), then the epilogue in registers from the
//       loop indices, stored to a small step buffer;
//    b. online softmax per row: m' = max(m, step max), p = exp(s - m'),
//       l = l e^(m - m') + sum p, the running output scaled by e^(m - m');
//    c. out += p v as a rows x (value vectors) register tile;
// 3. divides by l (a row with every score -inf gives 0, as the reference).
// When the epilogue is provably -inf beyond a diagonal (EpilogueMask.h),
// a block visits keys only up to its last row's diagonal: causal tiles
// above it are never computed. Where the proof needs operands to be
// finite (a table of relative biases next to a causal mask) or positive and
// finite (slopes times a causal distance that is +inf above
// the diagonal), the kernel checks them when it runs and visits every key
// if they are not: the operands' producers are not the backend's business.
// No [b, h, Sq, Sk] buffer exists.
//
// A block of one row (a decode step) reads K in place instead of packing
// it: a dot product per key over d, reduced to the key's lane.
//
// f16 and bf16 q, k and v are widened as they are loaded and packed. With
// bf16 inputs on a host with AVX512-BF16 (BFloat16Dot.h), both products
// run on vdpbf16ps instead: K^T is packed in bf16 d pairs, V (packed per
// item too) in bf16 key pairs, and the softmax weights of a step are
// stored rounded to bf16 for the value product while their sum stays f32:
// the one rounding this path adds moves an output by at most 2^-9 max|v|
// (docs/mixed-precision.md).
//
// Batch, query and key counts may be known only at run time: they are
// index values throughout, constants when known, so a static graph gets the
// kernel it always had. Without a known query count the row block is the
// register tile's full height; without a known key count every tile masks
// its keys past the end.
//
// Parts of the epilogue that gather by key but depend on (i, j) only
// through j - i (T5's bucketed bias, EpilogueOffsetTerms.h) are tabulated
// per item and head over the differences its rows and keys reach: without
// the table the vector form would compute them lane by lane for every
// score, a scalar bucket and load each, several times the cost of the rest
// of the kernel; with it the terms of `lanes` consecutive keys are one
// contiguous load, at (rows + keys) scalar evaluations per item and head.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/BFloat16Dot.h"
#include "backends/cpu/KernelBuilder.h"
#include "backends/cpu/LowerEpilogue.h"

#include "backends/cpu/EpilogueMask.h"
#include "backends/cpu/EpilogueOffsetTerms.h"
#include "ir/FusedNode.h"
#include "ir/TypeInference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>
#include <limits>

using namespace mlir;

namespace einsum::cpu {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

class FlashKernel : KernelBuilder {
public:
  FlashKernel(NodeLowering &n, const Epilogue &epilogue,
              std::optional<int64_t> diagonal,
              llvm::SmallVector<std::pair<unsigned, OperandFact>> required)
      : KernelBuilder(n.b, n.loc,
                      toMlirType(n.b.getContext(),
                                 accumulatorType(n.inputType(0).elementType())),
                      *n.options),
        n(n), epilogue(epilogue), diagonal(diagonal),
        required(std::move(required)) {
    const TensorType &qt = n.inputType(0), &kt = n.inputType(1),
                     &vt = n.inputType(2);
    // Batch and lengths may be known only at run time; heads and head
    // dimensions shape the register tiles and are static (checked in
    // lowerAttention).
    batch = n.dim(qt, 0), queries = n.dim(qt, 2), keys = n.dim(kt, 2);
    queriesSize = qt.dim(2), keysSize = kt.dim(2);
    heads = qt.dim(1), dim = qt.dim(3);
    kvHeads = kt.dim(1), valueDim = vt.dim(3);
    const KernelOptions &o = *n.options;
    // The register tile (KernelShapes.h): 6 rows x 4 vectors with
    // AVX-512, 6 x 2 with AVX2; the value product uses as many
    // accumulators, so with 64 value columns and AVX-512 it is one pass
    // over the keys.
    rows = o.flash.tile.rows;
    cols = o.flash.tile.cols;
    stepTiles = o.flash.stepTiles;
    groupBlocks = o.flash.groupBlocks;
    assert(rows > 0 && cols > 0 && stepTiles > 0 && groupBlocks > 0 &&
           "kernel shapes not set");
    // Fewer query rows than the tile (a decode step) widen it to as many
    // accumulators: each key vector then feeds few FMAs, straight from
    // memory.
    int64_t accumulators = rows * cols;
    if (std::optional<int64_t> q = known(queries); q && *q < rows) {
      rows = *q;
      cols = accumulators / rows;
    }
    // One query row (a decode step) reads K where it is: packing K^T would
    // cost a pass over the whole cache per step, scalar, where a row's dot
    // products read it once. Four vectors of keys per tile keep the
    // unrolled tile small.
    inPlaceKeys = rows == 1;
    if (inPlaceKeys)
      cols = std::min<int64_t>(cols, 4);
    tileKeys = cols * lanes;
    pairDot = !inPlaceKeys && o.bf16Dot && lanes == 16 &&
              qt.elementType() == DType::BF16 && dim % 2 == 0;
    paddedKeys = mul(ceilDivIdx(keys, tileKeys), idx(tileKeys));
    valueVecs = ceilDiv(valueDim, lanes);
    valueCols = std::max<int64_t>(1, std::min(valueVecs, accumulators / rows));
    // Enough items for every thread several times over (a thread slowed by
    // another process then leaves little behind); fewer, larger items pack
    // K^T less often. A kv head's query heads share an item, and its pack,
    // in the largest part of the group that still leaves that many items:
    // the whole group when kv heads are many, part of it when they are few
    // (multi-query, or a decode step whose one row gives one chunk). A
    // batch known only at run time counts as 1 here.
    int64_t wanted = 4 * int64_t(o.threads);
    int64_t batchCount = known(batch).value_or(1);
    int64_t groupHeads = heads / kvHeads;
    headsPerItem = 1;
    for (int64_t g = groupHeads; g > 1 && headsPerItem == 1; --g)
      if (groupHeads % g == 0 &&
          batchCount * kvHeads * (groupHeads / g) >= wanted)
        headsPerItem = g;
    headItems = heads / headsPerItem;
    int64_t perHead = ceilDiv(wanted, batchCount * headItems);
    Value blocks = ceilDivIdx(queries, rows);
    chunkRows =
        mul(ceilDivIdx(blocks, minIdx(idx(perHead), blocks)), idx(rows));
    chunks = ceilDivIdx(queries, chunkRows);
    // The group buffers are sized for the most rows a group can have.
    std::optional<int64_t> knownChunkRows = known(chunkRows);
    groupRows = knownChunkRows
                    ? std::min(groupBlocks, *knownChunkRows / rows) * rows
                    : groupBlocks * rows;
    // A term's value-context differences are exact in the element type, so
    // computing them at (0, j - i) gives what (i, j) gives: for f32, up to
    // 2^24. Lengths known only at run time could pass that: their graphs
    // compute such terms per score.
    std::optional<int64_t> q = known(queries), k = known(keys);
    if (q && k && *q + *k < (int64_t(1) << 24))
      offsetTerms = einsum::offsetTerms(epilogue, 'i', 'j');
    for (const EpilogueExpr *term : offsetTerms)
      termEpilogues.emplace_back(*term);
    tableLength = add(sub(chunkRows, idx(1)), paddedKeys);
  }

  LogicalResult emit() {
    operands.assign(n.inputs.begin() + 3, n.inputs.end());
    for (unsigned k = 3; k < n.inputs.size(); ++k)
      operandTypes.push_back(n.inputType(k));
    Value items = mul(mul(batch, idx(headItems)), chunks);
    workItems(n, items, scratchElements(), [&](Value item) { emitItem(item); });
    return result;
  }

private:
  /// The most scratch an item holds, a size: the K^T pack (keys rounded up
  /// to a tile), the step's scores, the group's state and the tables (at
  /// most a chunk's rows, bounded by queries + rows, and the padded keys).
  int64_t scratchElements() {
    int64_t fixed = rows * stepTiles * tileKeys +
                    groupRows * (valueVecs * lanes + 2) + lanes;
    // With bf16 products: the bf16 weights of a step, and V packed in
    // pairs (half an f32 element each, like the K^T pack, which then
    // counts twice what it holds).
    if (pairDot)
      fixed += rows * stepTiles * tileKeys / 2;
    int64_t terms = int64_t(offsetTerms.size());
    std::optional<int64_t> padded = addSizes(keysSize, tileKeys - 1);
    std::optional<int64_t> pack =
        padded ? scaleSize(*padded, pairDot ? dim + valueVecs * lanes : dim)
               : padded;
    std::optional<int64_t> table =
        padded ? addSizes(*padded, queriesSize) : padded;
    if (table)
      table = addSizes(*table, rows);
    if (table)
      table = scaleSize(*table, terms);
    std::optional<int64_t> total =
        pack && table ? addSizes(*pack, *table) : std::nullopt;
    if (total)
      total = addSizes(*total, fixed);
    return total ? *total : 0;
  }

  /// Lanes of value vector `e` that are inside the value dimension.
  int64_t validLanes(int64_t e) {
    return std::min(lanes, valueDim - e * lanes);
  }
  /// Keys a row must see: all of them, or up to its diagonal.
  Value keyLimit(Value row) {
    if (!diagonal)
      return keys;
    Value end = add(row, n.size(*addSizes(*diagonal, 1)));
    Value limit = minIdx(maxIdx(end, idx(0)), keys);
    if (!maskHolds)
      return limit;
    return b.create<arith::SelectOp>(loc, maskHolds, limit, keys);
  }

  /// Whether every element of the operands in `required` has its fact
  /// (finite, or > 0 and finite): a few dozen loads per work item for
  /// slopes, a few hundred for a table of relative biases.
  Value emitOperandChecks() {
    Value ok = b.create<arith::ConstantIntOp>(loc, 1, 1);
    for (auto [k, fact] : required) {
      llvm::SmallVector<Value, 4> at;
      std::function<Value(unsigned, Value)> scan =
          [&, k = k, fact = fact](unsigned d, Value okSoFar) {
            if (d == operandTypes[k].rank()) {
              Value x = b.create<memref::LoadOp>(loc, operands[k], at);
              // |x| < inf is false for NaN too.
              Value holds = b.create<arith::CmpFOp>(
                  loc, arith::CmpFPredicate::OLT,
                  b.create<math::AbsFOp>(loc, x),
                  scalar(std::numeric_limits<double>::infinity()));
              if (fact == OperandFact::PositiveFinite)
                holds = b.create<arith::AndIOp>(
                    loc, holds,
                    b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x,
                                            scalar(0)));
              return b.create<arith::AndIOp>(loc, okSoFar, holds).getResult();
            }
            return loop(idx(0), n.dim(operandTypes[k], d), {okSoFar},
                        [&](Value i, ValueRange s) {
                          at.push_back(i);
                          Value next = scan(d + 1, s[0]);
                          at.pop_back();
                          return llvm::SmallVector<Value>{next};
                        })[0];
          };
      ok = scan(0, ok);
    }
    return ok;
  }

  void emitItem(Value item) {
    Value chunk = rem(item, chunks);
    Value bh = div(item, chunks);
    Value firstHead = mul(b.create<arith::RemUIOp>(loc, bh, idx(headItems)),
                          idx(headsPerItem));
    bi = b.create<arith::DivUIOp>(loc, bh, idx(headItems));
    kvh = b.create<arith::DivUIOp>(loc, firstHead, idx(heads / kvHeads));
    maskHolds = required.empty() ? Value() : emitOperandChecks();
    Value rowBegin = mul(chunk, chunkRows);
    Value rowEnd = minIdx(add(rowBegin, chunkRows), queries);
    Value itemKeys = keyLimit(b.create<arith::SubIOp>(loc, rowEnd, idx(1)));

    if (pairDot) {
      Type bf16 = b.getBF16Type();
      kt = alloc({div(paddedKeys, tileKeys), idx(dim / 2), idx(2 * tileKeys)},
                 bf16);
      packKeyPairs(itemKeys);
      vPairs = alloc({div(paddedKeys, 2), idx(2 * valueVecs * lanes)}, bf16);
      packValuePairs(itemKeys);
      weights = alloc({idx(rows), idx(stepTiles * tileKeys)}, bf16);
    } else if (!inPlaceKeys) {
      kt = alloc(llvm::ArrayRef<Value>{div(paddedKeys, tileKeys), idx(dim),
                                       idx(tileKeys)});
      packKeys(itemKeys);
    }
    scores = alloc({rows, stepTiles * tileKeys});
    out = alloc({groupRows, valueVecs * lanes});
    rowMax = alloc({groupRows});
    rowSum = alloc({groupRows});
    laneScratch = offsetTerms.empty() && needsLaneLoop(epilogue, 'j')
                      ? alloc({lanes})
                      : Value();
    tables.clear();
    for (size_t k = 0; k < offsetTerms.size(); ++k)
      tables.push_back(alloc(llvm::ArrayRef<Value>{tableLength}));
    tableOrigin = sub(rowEnd, idx(1));
    auto emitHead = [&](Value head) {
      h = head;
      fillTables(rowBegin, itemKeys);
      forEach(
          rowBegin, rowEnd, [&](Value group) { emitGroup(group, rowEnd); },
          groupRows);
    };
    if (headsPerItem == 1)
      emitHead(firstHead);
    else
      forEach(firstHead, add(firstHead, idx(headsPerItem)), emitHead);
    for (Value buffer :
         {kt, scores, out, rowMax, rowSum, laneScratch, vPairs, weights})
      if (buffer)
        b.create<memref::DeallocOp>(loc, buffer);
    for (Value table : tables)
      b.create<memref::DeallocOp>(loc, table);
  }

  /// table[k] = the term at j - i = k - tableOrigin, for the differences
  /// of rows [rowBegin, tableOrigin] and the keys of whole tiles below
  /// itemKeys. Differences past the last key feed only masked lanes and
  /// repeat the last valid one: the term's indices are proven in range for
  /// real keys only.
  void fillTables(Value rowBegin, Value itemKeys) {
    if (tables.empty())
      return;
    Value tileEnd = mul(ceilDivIdx(itemKeys, tileKeys), idx(tileKeys));
    Value length = add(tileEnd, sub(tableOrigin, rowBegin));
    Value lastOffset = sub(sub(keys, idx(1)), rowBegin);
    forEach(idx(0), length, [&](Value k) {
      Value offset = minIdx(sub(k, tableOrigin), lastOffset);
      Value labels[] = {bi, h, idx(0), offset};
      EpilogueEnv env;
      env.labels = kAttentionLabels;
      env.labelValues = labels;
      env.operands = operands;
      env.operandTypes = operandTypes;
      env.computeType = t;
      for (auto [term, table] : llvm::zip(termEpilogues, tables)) {
        FailureOr<Value> v = emitEpilogue(n, b, loc, term, env);
        if (failed(v)) {
          result = failure();
          continue;
        }
        b.create<memref::StoreOp>(loc, *v, table, k);
      }
    });
  }

  /// K^T tile by tile, for the item's keys.
  void packKeys(Value itemKeys) {
    Value end = mul(ceilDivIdx(itemKeys, tileKeys), idx(tileKeys));
    packTiles(kt, idx(0), end, tileKeys, idx(dim), keys, [&](Value j, Value d) {
      return loadScalar(n.inputs[1], ValueRange{bi, kvh, j, d});
    });
  }

  /// The keys of whole tiles below `itemKeys`, each at or past the last
  /// key replaced by zero: `element(key, clampedKey, d)` for d < `depth`.
  void forEachPackedKey(Value itemKeys, int64_t depth,
                        llvm::function_ref<void(Value, Value, Value)> at) {
    Value end = mul(ceilDivIdx(itemKeys, tileKeys), idx(tileKeys));
    forEach(idx(0), end, [&](Value j) {
      Value clamped = minIdx(j, sub(keys, idx(1)));
      forEach(idx(0), idx(depth), [&](Value d) { at(j, clamped, d); });
    });
  }

  /// `memref[at]` (bf16) where `inside`, else 0.
  Value bf16OrZero(Value inside, Value memref, ValueRange at) {
    Value zero =
        b.create<arith::ConstantOp>(loc, b.getFloatAttr(b.getBF16Type(), 0.0));
    return b.create<arith::SelectOp>(
        loc, inside, b.create<memref::LoadOp>(loc, memref, at), zero);
  }

  /// K^T in d pairs: [tile, d / 2, 2 * tile keys], key l of the tile's pair
  /// p at 2 l and 2 l + 1.
  void packKeyPairs(Value itemKeys) {
    forEachPackedKey(itemKeys, dim, [&](Value j, Value clamped, Value d) {
      Value x = bf16OrZero(lessThan(j, keys), n.inputs[1],
                           ValueRange{bi, kvh, clamped, d});
      Value at[] = {div(j, tileKeys), div(d, 2),
                    add(mul(rem(j, tileKeys), idx(2)), rem(d, 2))};
      b.create<memref::StoreOp>(loc, x, kt, at);
    });
  }

  /// V in key pairs: [keys / 2, 2 * value columns], column e of keys 2 p
  /// and 2 p + 1 at 2 e and 2 e + 1; columns past the value dimension are
  /// zero.
  void packValuePairs(Value itemKeys) {
    forEachPackedKey(
        itemKeys, valueVecs * lanes, [&](Value j, Value clamped, Value e) {
          Value inside = b.create<arith::AndIOp>(loc, lessThan(j, keys),
                                                 lessThan(e, idx(valueDim)));
          Value x = bf16OrZero(
              inside, n.inputs[2],
              ValueRange{bi, kvh, clamped, minIdx(e, idx(valueDim - 1))});
          Value at[] = {div(j, 2), add(mul(e, idx(2)), rem(j, 2))};
          b.create<memref::StoreOp>(loc, x, vPairs, at);
        });
  }

  /// One row's q . k for the tile's keys, read in place: per key, a
  /// vector of partial sums over d (16-bit keys widened as they load, or
  /// bf16 pairs multiplied by vdpbf16ps as they are stored), then each
  /// vector summed into its key's lane. Keys past the last read the last
  /// (their scores are masked).
  llvm::SmallVector<Value> inPlaceTileSum(Value tile) {
    bool pairs = n.options->bf16Dot && lanes == 16 &&
                 n.inputType(0).elementType() == DType::BF16 && dim % 32 == 0;
    int64_t step = pairs ? 32 : lanes, dVecs = ceilDiv(dim, step);
    auto dLanes = [&](int64_t e) { return std::min(lanes, dim - e * lanes); };
    auto at = [&](Value head, Value row, int64_t e) {
      return llvm::SmallVector<Value, 4>{bi, head, row, idx(e * step)};
    };
    llvm::SmallVector<Value> qv;
    for (int64_t e = 0; e < dVecs; ++e)
      qv.push_back(
          pairs ? loadPairs(*this, n.inputs[0], at(h, rowIndex[0], e))
                : loadFirst(dLanes(e), n.inputs[0], at(h, rowIndex[0], e)));
    Value lastKey = sub(keys, idx(1)), keyBase = mul(tile, idx(tileKeys));
    llvm::SmallVector<Value> sums;
    for (int64_t c = 0; c < cols; ++c) {
      llvm::SmallVector<Value> parts;
      for (int64_t l = 0; l < lanes; ++l) {
        Value key = minIdx(add(keyBase, idx(c * lanes + l)), lastKey);
        Value acc = splat(0);
        for (int64_t e = 0; e < dVecs; ++e) {
          if (pairs) {
            acc = dotBF16(*this, acc, qv[e],
                          loadPairs(*this, n.inputs[1], at(kvh, key, e)));
            continue;
          }
          Value kv = loadFirst(dLanes(e), n.inputs[1], at(kvh, key, e));
          acc = b.create<vector::FMAOp>(loc, qv[e], kv, acc);
        }
        parts.push_back(acc);
      }
      sums.push_back(sumEachToLane(std::move(parts)));
    }
    return sums;
  }

  /// One vector whose lane l is the sum of the lanes of parts[l], for
  /// `lanes` parts: level by level, the halves of each block of lanes
  /// added across pairs of vectors with two-source shuffles (2 lanes - 1
  /// shuffle pairs, where a reduction and an insert per part would take
  /// several times as many instructions).
  Value sumEachToLane(llvm::SmallVector<Value> parts) {
    assert(int64_t(parts.size()) == lanes && "one part per lane");
    for (int64_t block = lanes; block > 1; block /= 2) {
      llvm::SmallVector<int64_t> low, high;
      for (int64_t start = 0; start < 2 * lanes; start += block)
        for (int64_t i = 0; i < block / 2; ++i) {
          low.push_back(start + i);
          high.push_back(start + block / 2 + i);
        }
      llvm::SmallVector<Value> next;
      for (size_t k = 0; k < parts.size(); k += 2)
        next.push_back(b.create<arith::AddFOp>(
            loc, b.create<vector::ShuffleOp>(loc, parts[k], parts[k + 1], low),
            b.create<vector::ShuffleOp>(loc, parts[k], parts[k + 1], high)));
      parts = std::move(next);
    }
    return parts.front();
  }

  /// The rows x cols tile of q k^T sums with vdpbf16ps over d pairs.
  llvm::SmallVector<Value> pairTileSum(Value tile) {
    llvm::SmallVector<Value> start(rows * cols, splat(0));
    ValueRange sums =
        loop(idx(0), idx(dim / 2), start, [&](Value p, ValueRange acc) {
          llvm::SmallVector<Value> next(acc.begin(), acc.end()), right;
          for (int64_t c = 0; c < cols; ++c)
            right.push_back(loadPairs(*this, kt, {tile, p, idx(c * 32)}));
          for (int64_t r = 0; r < rows; ++r) {
            Value pair = broadcastPair(*this, n.inputs[0],
                                       {bi, h, rowIndex[r], mul(p, idx(2))});
            for (int64_t c = 0; c < cols; ++c)
              next[r * cols + c] =
                  dotBF16(*this, next[r * cols + c], pair, right[c]);
          }
          return next;
        });
    return {sums.begin(), sums.end()};
  }

  /// The blocks of a group share each key step: the step's K^T and V stay
  /// in cache for all of them. Each block keeps its softmax state (max, sum,
  /// output rows) at `stateBase` in the group's buffers.
  void emitGroup(Value group, Value rowEnd) {
    Value groupEnd = minIdx(add(group, idx(groupRows)), rowEnd);
    Value groupTiles = ceilDivIdx(keyLimit(sub(groupEnd, idx(1))), tileKeys);
    Value groupSteps = ceilDivIdx(groupTiles, stepTiles);
    for (int64_t r = 0; r < groupRows; ++r) {
      b.create<memref::StoreOp>(loc, scalar(kNegInf), rowMax, idx(r));
      b.create<memref::StoreOp>(loc, scalar(0), rowSum, idx(r));
      for (int64_t e = 0; e < valueVecs; ++e)
        store(splat(0), out, {idx(r), idx(e * lanes)});
    }
    auto eachBlock = [&](llvm::function_ref<void(Value)> body) {
      forEach(idx(0), idx(groupRows / rows), [&](Value slot) {
        stateBase = mul(slot, idx(rows));
        Value block = add(group, stateBase);
        ifThen(lessThan(block, groupEnd), [&] { body(block); });
      });
    };
    forEach(idx(0), groupSteps, [&](Value step) {
      eachBlock([&](Value block) { emitBlockStep(block, step); });
    });
    eachBlock([&](Value block) { emitStore(block); });
  }

  void emitBlockStep(Value block, Value step) {
    rowIndex.clear();
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(minIdx(add(block, idx(r)), sub(queries, idx(1))));
    Value tiles = ceilDivIdx(keyLimit(rowIndex.back()), tileKeys);
    Value first = mul(step, idx(stepTiles));
    // A block whose diagonal ends before this step has nothing to add.
    ifThen(lessThan(first, tiles), [&] {
      Value last = minIdx(add(first, idx(stepTiles)), tiles);
      llvm::SmallVector<Value> noMax(rows, splat(kNegInf));
      ValueRange maxVecs =
          loop(first, last, noMax, [&](Value tile, ValueRange maxVecs) {
            return emitScoreTile(tile, sub(tile, first), maxVecs);
          });
      Value stepVecs = mul(sub(last, first), idx(cols));
      for (int64_t r = 0; r < rows; ++r)
        emitSoftmaxRow(r, stepVecs, maxVecs[r]);
      Value keyBase = mul(first, idx(tileKeys));
      Value stepKeys = minIdx(mul(stepVecs, idx(lanes)), sub(keys, keyBase));
      emitValueProduct(keyBase, stepKeys);
    });
  }

  /// Stores the tile's scores to the step buffer and returns each row's
  /// running max vector, `maxVecs` updated with them (the softmax then needs
  /// no pass to find it).
  llvm::SmallVector<Value> emitScoreTile(Value tile, Value slot,
                                         ValueRange maxVecs) {
    llvm::SmallVector<Value> newMax(maxVecs.begin(), maxVecs.end());
    Value keyBase = mul(tile, idx(tileKeys));
    Value q = n.inputs[0];
    llvm::SmallVector<Value> sums =
        inPlaceKeys ? inPlaceTileSum(tile)
        : pairDot
            ? pairTileSum(tile)
            : tileSum(rows, cols, idx(dim), kt, tile, [&](int64_t r, Value d) {
                return loadScalar(q, ValueRange{bi, h, rowIndex[r], d});
              });
    for (int64_t c = 0; c < cols; ++c) {
      Value j = add(keyBase, idx(c * lanes));
      Value outside;
      std::optional<int64_t> knownKeys = known(keys);
      if (!knownKeys || *knownKeys % tileKeys) {
        llvm::SmallVector<mlir::Attribute> iota;
        for (int64_t l = 0; l < lanes; ++l)
          iota.push_back(b.getIndexAttr(l));
        auto indexVec = VectorType::get({lanes}, b.getIndexType());
        Value lane = b.create<arith::AddIOp>(
            loc, b.create<vector::BroadcastOp>(loc, indexVec, j).getResult(),
            b.create<arith::ConstantOp>(loc,
                                        DenseElementsAttr::get(indexVec, iota))
                .getResult());
        outside = b.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::sge, lane,
            b.create<vector::BroadcastOp>(loc, indexVec, keys));
      }
      for (int64_t r = 0; r < rows; ++r) {
        Value labels[] = {bi, h, rowIndex[r], j};
        llvm::SmallVector<PrecomputedTerm, 2> given;
        Value at = add(sub(j, rowIndex[r]), tableOrigin);
        for (auto [term, table] : llvm::zip(offsetTerms, tables))
          given.push_back({term, load(table, {at})});
        EpilogueEnv env{sums[r * cols + c],
                        kAttentionLabels,
                        labels,
                        operands,
                        operandTypes,
                        t,
                        'j',
                        lanes,
                        laneScratch,
                        given};
        FailureOr<Value> s = emitEpilogue(n, b, loc, epilogue, env);
        if (failed(s)) {
          result = failure();
          s = sums[r * cols + c];
        }
        Value v = *s;
        if (outside)
          v = b.create<arith::SelectOp>(loc, outside, splat(kNegInf), v);
        newMax[r] = b.create<arith::MaximumFOp>(loc, newMax[r], v);
        store(v, scores,
              {idx(r), add(mul(slot, idx(tileKeys)), idx(c * lanes))});
      }
    }
    return newMax;
  }

  void emitSoftmaxRow(int64_t r, Value stepVecs, Value maxVec) {
    Value rIdx = idx(r), state = add(stateBase, rIdx);
    auto column = [&](Value v) { return mul(v, idx(lanes)); };
    Value stepMax = b.create<vector::ReductionOp>(
        loc, vector::CombiningKind::MAXIMUMF, maxVec);
    Value oldMax = b.create<memref::LoadOp>(loc, rowMax, state);
    Value newMax = b.create<arith::MaximumFOp>(loc, oldMax, stepMax);
    // With every score so far -inf, subtract 0: exp(-inf) = 0, no NaN.
    Value allMasked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                                              newMax, scalar(kNegInf));
    Value shift = b.create<arith::SelectOp>(loc, allMasked, scalar(0), newMax);
    // Through the vector exp: a libm call per row and step costs more.
    Value alpha = b.create<vector::ExtractOp>(
        loc, softmaxExp(broadcast(b.create<arith::SubFOp>(loc, oldMax, shift))),
        llvm::ArrayRef<int64_t>{0});
    Value shiftVec = broadcast(shift);
    Value sumVec =
        loop(idx(0), stepVecs, {splat(0)}, [&](Value v, ValueRange s) {
          Value x = load(scores, {rIdx, column(v)});
          Value p = softmaxExp(b.create<arith::SubFOp>(loc, x, shiftVec));
          // The bf16 value product reads the weights rounded to bf16; the
          // sum below keeps them in f32.
          store(p, pairDot ? weights : scores, {rIdx, column(v)});
          return llvm::SmallVector<Value>{
              b.create<arith::AddFOp>(loc, s[0], p)};
        })[0];
    Value stepSum =
        b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, sumVec);
    Value oldSum = b.create<memref::LoadOp>(loc, rowSum, state);
    Value newSum = b.create<arith::AddFOp>(
        loc, b.create<arith::MulFOp>(loc, oldSum, alpha), stepSum);
    b.create<memref::StoreOp>(loc, newSum, rowSum, state);
    b.create<memref::StoreOp>(loc, newMax, rowMax, state);
    Value alphaVec = broadcast(alpha);
    for (int64_t e = 0; e < valueVecs; ++e) {
      Value o = load(out, {state, idx(e * lanes)});
      store(b.create<arith::MulFOp>(loc, o, alphaVec), out,
            {state, idx(e * lanes)});
    }
  }

  /// out[r, :] += sum over the step's keys of p[r, j] v[j, :].
  void emitValueProduct(Value keyBase, Value stepKeys) {
    if (pairDot) {
      // vdpbf16ps over key pairs: the packed V and the step's bf16 weights
      // (zero past the last key, as their scores are -inf; an odd step's
      // last pair reads one such key).
      Value firstPair = div(keyBase, 2);
      return emitValueTiles(ceilDivIdx(stepKeys, 2), [&](Value p, int64_t e0,
                                                         int64_t width,
                                                         llvm::SmallVector<
                                                             Value> &acc) {
        llvm::SmallVector<Value> right;
        for (int64_t c = 0; c < width; ++c)
          right.push_back(loadPairs(
              *this, vPairs, {add(firstPair, p), idx((e0 + c) * 2 * lanes)}));
        for (int64_t r = 0; r < rows; ++r) {
          Value pair = broadcastPair(*this, weights, {idx(r), mul(p, idx(2))});
          for (int64_t c = 0; c < width; ++c)
            acc[r * width + c] =
                dotBF16(*this, acc[r * width + c], pair, right[c]);
        }
      });
    }
    emitValueTiles(stepKeys, [&](Value j, int64_t e0, int64_t width,
                                 llvm::SmallVector<Value> &acc) {
      llvm::SmallVector<Value> row;
      Value key = add(keyBase, j);
      for (int64_t c = 0; c < width; ++c) {
        int64_t e = e0 + c;
        llvm::SmallVector<Value, 4> index = {bi, kvh, key, idx(e * lanes)};
        row.push_back(loadFirst(validLanes(e), n.inputs[2], index));
      }
      for (int64_t r = 0; r < rows; ++r) {
        Value p = broadcast(
            b.create<memref::LoadOp>(loc, scores, ValueRange{idx(r), j}));
        for (int64_t c = 0; c < width; ++c)
          acc[r * width + c] =
              b.create<vector::FMAOp>(loc, p, row[c], acc[r * width + c]);
      }
    });
  }

  /// The block's output rows in register tiles of rows x `width` value
  /// vectors from e0, each loaded, updated by `step` for each of `count`
  /// steps, and stored back.
  void emitValueTiles(Value count,
                      llvm::function_ref<void(Value, int64_t, int64_t,
                                              llvm::SmallVector<Value> &)>
                          step) {
    for (int64_t e0 = 0; e0 < valueVecs; e0 += valueCols) {
      int64_t width = std::min(valueCols, valueVecs - e0);
      auto at = [&](int64_t r, int64_t c) {
        return llvm::SmallVector<Value, 2>{add(stateBase, idx(r)),
                                           idx((e0 + c) * lanes)};
      };
      llvm::SmallVector<Value> init;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < width; ++c)
          init.push_back(load(out, at(r, c)));
      ValueRange acc = loop(idx(0), count, init, [&](Value i, ValueRange acc) {
        llvm::SmallVector<Value> next(acc.begin(), acc.end());
        step(i, e0, width, next);
        return next;
      });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < width; ++c)
          store(acc[r * width + c], out, at(r, c));
    }
  }

  void emitStore(Value block) {
    for (int64_t r = 0; r < rows; ++r) {
      Value row = add(block, idx(r));
      ifThen(lessThan(row, queries), [&] { storeRow(r, row); });
    }
  }

  /// Row `r` of the block (query `row`): the output divided by the sum.
  void storeRow(int64_t r, Value row) {
    Value state = add(stateBase, idx(r));
    Value masked = b.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OEQ,
        b.create<memref::LoadOp>(loc, rowMax, state), scalar(kNegInf));
    Value sum = broadcast(b.create<memref::LoadOp>(loc, rowSum, state));
    for (int64_t e = 0; e < valueVecs; ++e) {
      Value o =
          b.create<arith::DivFOp>(loc, load(out, {state, idx(e * lanes)}), sum);
      o = b.create<arith::SelectOp>(loc, masked, splat(0), o);
      llvm::SmallVector<Value, 4> at = {bi, h, row, idx(e * lanes)};
      storeFirst(validLanes(e), o, n.dest, at);
    }
  }

  NodeLowering &n;
  const Epilogue &epilogue;
  std::optional<int64_t> diagonal;
  /// Operands the diagonal's proof assumes finite or positive and finite.
  llvm::SmallVector<std::pair<unsigned, OperandFact>> required;
  /// Per item: whether they are (null when nothing is assumed).
  Value maskHolds;
  llvm::SmallVector<Value> operands;
  llvm::SmallVector<TensorType> operandTypes;
  LogicalResult result = success();

  /// Index values, constants when known at compile time.
  Value batch, queries, keys, paddedKeys, chunkRows, chunks, tableLength;
  /// The lengths as sizes (ir/Size.h), for the scratch bound.
  int64_t queriesSize, keysSize;
  int64_t heads, dim, kvHeads, valueDim;
  int64_t rows, cols, tileKeys, valueVecs, valueCols, groupRows;
  /// Query heads per item (a divisor of heads / kvHeads) and items per
  /// batch across the heads.
  int64_t headsPerItem, headItems;
  /// Keys per softmax step: stepTiles * tileKeys (the step's scores, 16 KiB
  /// for f32 on AVX-512, stay in L1).
  int64_t stepTiles;
  /// Row blocks sharing each key step.
  int64_t groupBlocks;

  // Per item, head and block.
  Value bi, h, kvh, kt, scores, out, rowMax, rowSum, laneScratch, stateBase;
  /// With bf16 products (pairDot): V packed in key pairs and a step's
  /// weights in bf16.
  bool pairDot = false;
  Value vPairs, weights;
  /// One query row: K read in place, not packed.
  bool inPlaceKeys = false;
  llvm::SmallVector<Value> rowIndex;

  /// The epilogue's parts tabulated over j - i, their trees, and per item
  /// a table of each, tableLength long, whose entry tableOrigin is j = i.
  std::vector<const EpilogueExpr *> offsetTerms;
  std::vector<Epilogue> termEpilogues;
  llvm::SmallVector<Value> tables;
  Value tableOrigin;
};

} // namespace

LogicalResult lowerAttention(NodeLowering &n) {
  const TensorType &q = n.inputType(0), &v = n.inputType(2);
  if (isSymbolicSize(q.dim(3)) || isSymbolicSize(v.dim(3)))
    return n.refuse("the flash kernel needs static head dimensions; q is " +
                    q.str() + " and v is " + v.str());
  const Epilogue &epilogue = nodeEpilogue(n.node());
  size_t numOperands = epilogueOperands(n.node()).size();
  // The diagonal proven when every operand is positive and finite; then,
  // operand by operand, the least the proof needs of it (nothing, finite,
  // or positive and finite), which the kernel checks at run time.
  llvm::SmallVector<OperandFact> facts(numOperands,
                                       OperandFact::PositiveFinite);
  std::optional<int64_t> diagonal =
      maskedBeyondDiagonal(epilogue, 'i', 'j', facts);
  llvm::SmallVector<std::pair<unsigned, OperandFact>> required;
  for (unsigned k = 0; diagonal && k < numOperands; ++k) {
    for (OperandFact weaker : {OperandFact::Unknown, OperandFact::Finite}) {
      facts[k] = weaker;
      if (maskedBeyondDiagonal(epilogue, 'i', 'j', facts) == diagonal)
        break;
      facts[k] = OperandFact::PositiveFinite;
    }
    if (facts[k] != OperandFact::Unknown)
      required.push_back({k, facts[k]});
  }
  return FlashKernel(n, epilogue, diagonal, std::move(required)).emit();
}

} // namespace einsum::cpu
