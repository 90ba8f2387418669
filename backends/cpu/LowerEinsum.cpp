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
#include "backends/cpu/LowerEpilogue.h"
#include "backends/cpu/LowerMatmul.h"
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/EinsumSpec.h"
#include "ir/FusedNode.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

namespace einsum::cpu {

static LogicalResult emitSum(NodeLowering &n, const EinsumSpec &spec,
                             ValueRange operands) {
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
