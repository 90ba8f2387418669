//===- EpilogueFusion.cpp -------------------------------------------------===//
//
// checkEpilogueFusion:
// 1. The producer is an einsum (epilogue `acc`) or a contraction whose
//    result is not a graph output and has exactly one reader.
// 2. The reader is elementwise, of the same type as the result (a bias may
//    broadcast into the scores, never the scores into something larger).
// 3. Its other operand translates into an expression over the output
//    labels (BiasExpression.h), and the op into epilogue operators
//    (expressElementwise, from ir/EpilogueOps.def); the old epilogue takes
//    the place of the scores in the new one.
//
//===----------------------------------------------------------------------===//
#include "passes/EpilogueFusion.h"
#include "passes/BiasExpression.h"
#include "passes/RewriteUtils.h"

#include "ir/EinsumSpec.h"
#include "ir/EpilogueOps.h"
#include "ir/FusedNode.h"

#include <fmt/format.h>

namespace einsum {

EpilogueFusionCheck checkEpilogueFusion(const Graph &g, NodeId producer,
                                        const EpilogueFusionOptions &options) {
  auto refuse = [](std::string reason) {
    return EpilogueFusionCheck{FusionRefusal{std::move(reason)}};
  };
  const Node &p = g.node(producer);
  if (p.op != OpKind::Einsum && p.op != OpKind::Contraction)
    return refuse("not a contraction");
  TensorId scores = p.result();
  if (g.isOutput(scores))
    return refuse(fmt::format("its result {} is a graph output, so it "
                              "must exist in memory",
                              g.describeTensor(scores)));
  std::vector<NodeId> readers = g.consumers(scores);
  if (readers.size() != 1)
    return refuse(fmt::format("its result {} has {} readers; an "
                              "epilogue can only replace a single one",
                              g.describeTensor(scores), readers.size()));
  const Node &c = g.node(readers.front());
  OpCategory cat = c.info().category;
  if (cat != OpCategory::Unary && cat != OpCategory::Binary)
    return refuse(
        fmt::format("its reader '{}' is not elementwise", opName(c.op).str()));
  const TensorType &type = g.type(scores);
  if (isHalfFloat(type.elementType()))
    return refuse(fmt::format("its result {} is rounded to {} before the "
                              "reader; an epilogue would skip that rounding",
                              g.describeTensor(scores),
                              dtypeName(type.elementType()).str()));
  if (g.type(c.result()) != type)
    return refuse(fmt::format("its reader '{}' broadcasts the result "
                              "from {} to {}",
                              opName(c.op).str(), type.str(),
                              g.type(c.result()).str()));
  if (cat == OpCategory::Binary && c.inputs[0] == c.inputs[1])
    return refuse(
        fmt::format("its reader '{}' reads it twice", opName(c.op).str()));

  llvm::ArrayRef<TensorId> terms = contractionTerms(p);
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(p.attr("spec").getString(), terms.size());
  if (!spec)
    return refuse(firstMessage(spec.takeError()));
  BiasExpressionBuilder builder(
      g, spec->output,
      std::vector<int64_t>(type.shape().begin(), type.shape().end()),
      type.elementType(), options.maxOperandElements);
  builder.addExistingOperands(epilogueOperands(p));

  std::vector<Epilogue> args;
  for (TensorId in : c.inputs) {
    if (in == scores) {
      args.push_back(Epilogue::acc());
      continue;
    }
    llvm::Expected<Epilogue> other = builder.express(in);
    if (!other)
      return refuse(fmt::format("the other operand of '{}': {}",
                                opName(c.op).str(),
                                firstMessage(other.takeError())));
    args.push_back(std::move(*other));
  }
  std::optional<Epilogue> combined = expressElementwise(c.op, args);
  if (!combined)
    return refuse(fmt::format("its reader '{}' has no counterpart in the "
                              "epilogue language",
                              opName(c.op).str()));
  EpilogueFusionStep step;
  step.producer = producer;
  step.consumer = readers.front();
  step.epilogue = combined->substituteAcc(nodeEpilogue(p));
  if (step.epilogue.depth() > Epilogue::kMaxDepth)
    return refuse(fmt::format("the epilogue would be nested more than {} "
                              "levels deep",
                              Epilogue::kMaxDepth));
  step.operands = builder.operands();
  return EpilogueFusionCheck{std::move(step)};
}

NodeId applyEpilogueFusion(Graph &g, const EpilogueFusionStep &step) {
  const Node &p = g.node(step.producer);
  llvm::ArrayRef<TensorId> terms = contractionTerms(p);
  std::vector<TensorId> inputs(terms.begin(), terms.end());
  inputs.insert(inputs.end(), step.operands.begin(), step.operands.end());
  std::string spec = p.attr("spec").getString();
  TensorId result = g.node(step.consumer).result();
  g.eraseNode(step.producer);
  // The checks above made the new node well typed; redefine re-checks.
  llvm::cantFail(
      redefine(g, result, OpKind::Contraction, inputs,
               {{"spec", Attribute::ofString(spec)},
                {"epilogue", Attribute::ofEpilogue(step.epilogue)}}));
  return g.producer(result);
}

} // namespace einsum
