//===- EpilogueFusion.cpp -------------------------------------------------===//
//
// checkEpilogueFusion:
// 1. The producer is an einsum (epilogue `acc`) or a contraction whose
//    result is not a graph output and has exactly one reader.
// 2. The reader is elementwise, of the same type as the result (a bias may
//    broadcast into the scores, never the scores into something larger).
// 3. Its other operand translates into an expression over the output
//    labels (BiasExpression.h); the old epilogue takes the place of the
//    scores in the new one.
//
//===----------------------------------------------------------------------===//
#include "passes/EpilogueFusion.h"
#include "passes/BiasExpression.h"
#include "passes/RewriteUtils.h"

#include "ir/EinsumSpec.h"

#include <fmt/format.h>

namespace einsum {

/// The einsum operands of a contraction-like node: as many as spec terms.
static size_t numContractionOperands(const Node &n) {
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(n.attr("spec").getString(), 0);
  if (spec)
    return spec->inputs.size();
  // Parsing with 0 inputs fails on the count; count the terms instead.
  llvm::consumeError(spec.takeError());
  llvm::StringRef text = n.attr("spec").getString();
  return text.split("->").first.count(',') + 1;
}

static llvm::Expected<Epilogue> currentEpilogue(const Node &n) {
  if (n.op == OpKind::Einsum)
    return Epilogue::acc();
  return parseEpilogue(n.attr("epilogue").getString());
}

llvm::Expected<EpilogueFusionStep>
checkEpilogueFusion(const Graph &g, NodeId producer,
                    const EpilogueFusionOptions &options) {
  const Node &p = g.node(producer);
  if (p.op != OpKind::Einsum && p.op != OpKind::Contraction)
    return makeError("not a contraction");
  TensorId scores = p.result();
  if (g.isOutput(scores))
    return makeError(fmt::format("its result {} is a graph output, so it "
                                 "must exist in memory",
                                 g.describeTensor(scores)));
  std::vector<NodeId> readers = g.consumers(scores);
  if (readers.size() != 1)
    return makeError(fmt::format("its result {} has {} readers; an "
                                 "epilogue can only replace a single one",
                                 g.describeTensor(scores), readers.size()));
  const Node &c = g.node(readers.front());
  OpCategory cat = c.info().category;
  if (cat != OpCategory::Unary && cat != OpCategory::Binary)
    return makeError(
        fmt::format("its reader '{}' is not elementwise", opName(c.op).str()));
  const TensorType &type = g.type(scores);
  if (g.type(c.result()) != type)
    return makeError(fmt::format("its reader '{}' broadcasts the result "
                                 "from {} to {}",
                                 opName(c.op).str(), type.str(),
                                 g.type(c.result()).str()));
  if (cat == OpCategory::Binary && c.inputs[0] == c.inputs[1])
    return makeError(
        fmt::format("its reader '{}' reads it twice", opName(c.op).str()));

  llvm::Expected<Epilogue> inner = currentEpilogue(p);
  if (!inner)
    return inner.takeError();
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(p.attr("spec").getString(), numContractionOperands(p));
  if (!spec)
    return spec.takeError();
  size_t numEinsumOperands = spec->inputs.size();
  BiasExpressionBuilder builder(
      g, spec->output,
      std::vector<int64_t>(type.shape().begin(), type.shape().end()),
      type.elementType(), options.maxOperandElements);
  builder.addExistingOperands(
      llvm::ArrayRef<TensorId>(p.inputs).drop_front(numEinsumOperands));

  Epilogue acc = Epilogue::acc();
  Epilogue combined;
  if (cat == OpCategory::Unary) {
    switch (c.op) {
    case OpKind::Neg:
      combined = -acc;
      break;
    case OpKind::Abs:
      combined = Epilogue::call(EpilogueOp::Abs, {acc});
      break;
    case OpKind::Exp:
      combined = Epilogue::call(EpilogueOp::Exp, {acc});
      break;
    case OpKind::Log:
      combined = Epilogue::call(EpilogueOp::Log, {acc});
      break;
    case OpKind::Sqrt:
      combined = Epilogue::call(EpilogueOp::Sqrt, {acc});
      break;
    case OpKind::Square:
      combined = acc * acc;
      break;
    default:
      return makeError(fmt::format("its reader '{}' has no counterpart in "
                                   "the epilogue language",
                                   opName(c.op).str()));
    }
  } else {
    bool scoresFirst = c.inputs[0] == scores;
    llvm::Expected<Epilogue> other =
        builder.express(c.inputs[scoresFirst ? 1 : 0]);
    if (!other)
      return makeError(fmt::format("the other operand of '{}': {}",
                                   opName(c.op).str(),
                                   firstMessage(other.takeError())));
    Epilogue a = scoresFirst ? acc : *other, b = scoresFirst ? *other : acc;
    switch (c.op) {
    case OpKind::Add:
      combined = a + b;
      break;
    case OpKind::Sub:
      combined = a - b;
      break;
    case OpKind::Mul:
      combined = a * b;
      break;
    case OpKind::Div:
      combined = a / b;
      break;
    case OpKind::Max:
      combined = Epilogue::call(EpilogueOp::Max, {a, b});
      break;
    case OpKind::Min:
      combined = Epilogue::call(EpilogueOp::Min, {a, b});
      break;
    default:
      return makeError(fmt::format("its reader '{}' has no counterpart in "
                                   "the epilogue language",
                                   opName(c.op).str()));
    }
  }
  EpilogueFusionStep step;
  step.producer = producer;
  step.consumer = readers.front();
  step.epilogue = combined.substituteAcc(*inner);
  if (step.epilogue.depth() > Epilogue::kMaxDepth)
    return makeError(fmt::format("the epilogue would be nested more than {} "
                                 "levels deep",
                                 Epilogue::kMaxDepth));
  step.operands = builder.operands();
  return step;
}

NodeId applyEpilogueFusion(Graph &g, const EpilogueFusionStep &step) {
  const Node &p = g.node(step.producer);
  size_t numEinsumOperands = numContractionOperands(p);
  std::vector<TensorId> inputs(p.inputs.begin(),
                               p.inputs.begin() + numEinsumOperands);
  inputs.insert(inputs.end(), step.operands.begin(), step.operands.end());
  std::string spec = p.attr("spec").getString();
  TensorId result = g.node(step.consumer).result();
  g.eraseNode(step.producer);
  // The checks above made the new node well typed; redefine re-checks.
  llvm::cantFail(
      redefine(g, result, OpKind::Contraction, inputs,
               {{"spec", Attribute::ofString(spec)},
                {"epilogue", Attribute::ofString(step.epilogue.str())}}));
  return g.producer(result);
}

} // namespace einsum
