//===- LowerEinsum.cpp - einsum and contraction ---------------------------===//
//
// 1. The loops are the output labels, then the summed ones; each input's
//    indexing map names its labels (a repeated label walks a diagonal).
// 2. The destination is zero-filled and one linalg.generic with reduction
//    iterators for the summed labels adds every product into it. Sums are
//    accumulated in the element type, in the loop order above.
// 3. contraction: a second, all-parallel linalg.generic over the result
//    applies the epilogue in place, with the output labels read from
//    linalg.index and epilogue operands loaded at their computed indices.
// A two-input product shaped like a batched matrix product takes the
// register-tiled kernel of LowerMatmul.cpp instead, epilogue included.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/KernelBuilder.h"
#include "backends/cpu/LowerEpilogue.h"
#include "backends/cpu/LowerMatmul.h"
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/EinsumSpec.h"
#include "ir/FusedNode.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace einsum::cpu {

namespace {

/// An einsum whose last output label is the last, contiguous, dimension of
/// every input that has it (rotary's "bhsfe,scfe->bhsce"), in vectors along
/// that label: for each point of the other output labels (the first of them
/// split across threads) and each vector of the last one, the products of
/// the terms summed over the reduction labels in a register, inputs without
/// the label broadcast. Each output sums its terms in the order of the
/// scalar loop nest below, so the results are the same.
class VectorSum : KernelBuilder {
public:
  VectorSum(NodeLowering &n, const EinsumSpec &spec, ValueRange operands)
      : KernelBuilder(n.b, n.loc, n.elementType(), *n.options), n(n),
        spec(spec), operands(operands.begin(), operands.end()) {}

  /// Whether the einsum has that form: an output, its last label last and
  /// once in every input that has it, no label repeated within a term.
  static bool applies(const EinsumSpec &spec) {
    if (spec.output.empty())
      return false;
    char last = spec.output.back();
    for (const std::string &term : spec.inputs) {
      for (char c : term)
        if (std::count(term.begin(), term.end(), c) != 1)
          return false;
      if (term.find(last) != std::string::npos && term.back() != last)
        return false;
    }
    return true;
  }

  void emit() {
    for (auto [k, term] : llvm::enumerate(spec.inputs))
      for (auto [d, c] : llvm::enumerate(term))
        size[c] = n.dim(n.inputType(k), d);
    last = spec.output.back();
    reduced = spec.reductionLabels();
    Value extent = size[last];
    whole = div(extent, lanes);
    tail = rem(extent, lanes);
    std::string outer = spec.output.substr(0, spec.output.size() - 1);
    if (outer.empty())
      return emitRow();
    // The first outer label across threads, the others in loops.
    buildWorkLoop(b, loc, size[outer[0]], *n.options,
                  [&](OpBuilder &, Location, Value i) {
                    value[outer[0]] = i;
                    loops(outer.substr(1), [&] { emitRow(); });
                  });
  }

private:
  /// Nested loops over `labels`, setting value[], then `body`.
  void loops(llvm::StringRef labels, llvm::function_ref<void()> body) {
    if (labels.empty())
      return body();
    forEach(idx(0), size[labels[0]], [&](Value i) {
      value[labels[0]] = i;
      loops(labels.drop_front(), body);
    });
  }

  /// The output row along the last label: whole vectors, then the tail.
  void emitRow() {
    forEach(idx(0), whole,
            [&](Value v) { emitVector(mul(v, idx(lanes)), idx(lanes)); });
    std::optional<int64_t> t = known(tail);
    if (!t || *t)
      emitVector(mul(whole, idx(lanes)), tail);
  }

  llvm::SmallVector<Value, 4> indices(const std::string &term) {
    llvm::SmallVector<Value, 4> out;
    for (char c : term)
      out.push_back(value[c]);
    return out;
  }

  /// Sum over the reduction labels of the terms' product, `count` lanes
  /// from `at` on the last label.
  Value sumOver(llvm::StringRef labels, Value at, Value count, Value acc) {
    if (labels.empty()) {
      Value product;
      value[last] = at;
      for (auto [k, term] : llvm::enumerate(spec.inputs)) {
        Value x = term.back() == last
                      ? loadFirst(count, operands[k], indices(term))
                      : broadcast(b.create<memref::LoadOp>(loc, operands[k],
                                                           indices(term)));
        product = product ? b.create<arith::MulFOp>(loc, product, x).getResult()
                          : x;
      }
      return b.create<arith::AddFOp>(loc, acc, product);
    }
    return loop(idx(0), size[labels[0]], {acc},
                [&](Value i, ValueRange carried) {
                  value[labels[0]] = i;
                  return llvm::SmallVector<Value>{
                      sumOver(labels.drop_front(), at, count, carried[0])};
                })[0];
  }

  void emitVector(Value at, Value count) {
    Value sum = sumOver(reduced, at, count, splat(0));
    value[last] = at;
    storeFirst(count, sum, n.dest, indices(spec.output));
  }

  NodeLowering &n;
  const EinsumSpec &spec;
  llvm::SmallVector<Value> operands;
  std::map<char, Value> size, value;
  char last = 0;
  std::string reduced;
  Value whole, tail;
};

} // namespace

static LogicalResult emitSum(NodeLowering &n, const EinsumSpec &spec,
                             ValueRange operands) {
  if (n.options && isa<FloatType>(n.elementType()) &&
      VectorSum::applies(spec)) {
    VectorSum(n, spec, operands).emit();
    return success();
  }
  MLIRContext *ctx = n.b.getContext();
  std::string labels = spec.output + spec.reductionLabels();
  // When the last output label is the contiguous one of every input that
  // has it (rotary's "bhsfe,scfe->bhsce"), it goes innermost, inside the
  // sums: unit-stride loads and stores that LLVM vectorizes, where an
  // innermost sum of two terms stays scalar. Each output still sums its
  // terms in the same order.
  std::string reduced = spec.reductionLabels();
  if (!spec.output.empty() && !reduced.empty()) {
    char last = spec.output.back();
    bool contiguous = true, read = false;
    for (const std::string &term : spec.inputs) {
      if (term.find(last) == std::string::npos)
        continue;
      read = true;
      contiguous &= term.back() == last;
    }
    if (read && contiguous)
      labels = spec.output.substr(0, spec.output.size() - 1) + reduced + last;
  }
  auto mapOf = [&](const std::string &term) {
    llvm::SmallVector<AffineExpr> exprs;
    for (char c : term)
      exprs.push_back(getAffineDimExpr(labels.find(c), ctx));
    return AffineMap::get(labels.size(), 0, exprs, ctx);
  };
  llvm::SmallVector<AffineMap> maps;
  for (const std::string &term : spec.inputs)
    maps.push_back(mapOf(term));
  maps.push_back(mapOf(spec.output));
  llvm::SmallVector<utils::IteratorType> iterators;
  for (char c : labels)
    iterators.push_back(reduced.find(c) == std::string::npos
                            ? utils::IteratorType::parallel
                            : utils::IteratorType::reduction);

  Value zero = floatConstant(n.b, n.loc, n.elementType(), 0.0);
  n.b.create<linalg::FillOp>(n.loc, zero, n.dest);
  n.b.create<linalg::GenericOp>(
      n.loc, TypeRange{}, operands, ValueRange{n.dest}, maps, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value product = args[0];
        for (Value v : args.drop_front().drop_back())
          product = b.create<arith::MulFOp>(loc, product, v);
        b.create<linalg::YieldOp>(loc, ValueRange{b.create<arith::AddFOp>(
                                           loc, args.back(), product)});
      });
  return success();
}

static FailureOr<EinsumSpec> parseSpec(NodeLowering &n, size_t terms) {
  llvm::StringRef text = n.node().attr("spec").getString();
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(text, terms);
  if (!spec)
    return n.refuse(firstMessage(spec.takeError()));
  return std::move(*spec);
}

LogicalResult lowerEinsum(NodeLowering &n) {
  FailureOr<EinsumSpec> spec = parseSpec(n, n.inputs.size());
  if (failed(spec))
    return failure();
  if (std::optional<LogicalResult> tiled =
          lowerMatmul(n, *spec, nullptr, {}, {}))
    return *tiled;
  return emitSum(n, *spec, n.inputs);
}

LogicalResult lowerContraction(NodeLowering &n) {
  size_t terms = contractionTerms(n.node()).size();
  FailureOr<EinsumSpec> spec = parseSpec(n, terms);
  if (failed(spec))
    return failure();

  const TensorType &type = n.resultType();
  llvm::SmallVector<TensorType> operandTypes;
  for (unsigned k = terms; k < n.inputs.size(); ++k)
    operandTypes.push_back(n.inputType(k));
  const Epilogue *epilogue = &nodeEpilogue(n.node());

  llvm::SmallVector<Value> operands(n.inputs.begin() + terms, n.inputs.end());
  if (std::optional<LogicalResult> tiled =
          lowerMatmul(n, *spec, epilogue, operands, operandTypes))
    return *tiled;
  if (failed(emitSum(n, *spec, ValueRange(n.inputs).take_front(terms))))
    return failure();
  if (epilogue->isIdentity())
    return success();

  LogicalResult result = success();
  buildParallelGeneric(
      n.b, n.loc, {}, {}, n.dest,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        llvm::SmallVector<Value, 4> indices = loopIndices(b, loc, type.rank());
        EpilogueEnv env{args[0],  spec->output, indices,
                        operands, operandTypes, n.elementType()};
        FailureOr<Value> v = emitEpilogue(n, b, loc, *epilogue, env);
        if (failed(v)) {
          result = failure();
          v = args[0];
        }
        b.create<linalg::YieldOp>(loc, *v);
      });
  return result;
}

} // namespace einsum::cpu
