//===- FuseEpilogue.cpp - fuse-epilogue (alias fuse-alibi-bias) -----------===//
//
// 1. The worklist is every einsum and contraction, in topological order,
//    taken once each.
// 2. For each, while checkEpilogueFusion offers a step and the policy
//    allows it, apply it: the scale, the ALiBi bias (any form; slopes from
//    a generator or an input), the T5 relative bias (its table read at the
//    computed bucket), masks and any other elementwise reader with a closed
//    form move into the epilogue. The node a step creates continues the
//    chain here and is never queued again, so each chain ends in exactly
//    one remark: what it absorbed and why it stopped, or why nothing.
// 3. Erase what the fusions left unused: the distance and bucket
//    generators and the bias chains.
//
// The pass is named for what it does; `fuse-alibi-bias`, its first name,
// stays registered as an alias.
//
//===----------------------------------------------------------------------===//
#include "passes/EpilogueFusion.h"
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/FusedNode.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

namespace einsum {

namespace {

class FuseEpilogue : public Pass {
public:
  explicit FuseEpilogue(EpilogueFusionPolicy policy)
      : policy(std::move(policy)) {}
  llvm::StringRef name() const override { return "fuse-epilogue"; }
  llvm::StringRef summary() const override {
    return "fuse the scale, ALiBi, T5 relative and other elementwise biases "
           "and masks into the contraction's epilogue";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &ctx) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    std::vector<NodeId> worklist;
    for (NodeId id : *order)
      if (g.node(id).op == OpKind::Einsum ||
          g.node(id).op == OpKind::Contraction)
        worklist.push_back(id);
    EpilogueFusionOptions options;
    options.maxOperandElements = maxOperandElements;
    bool changed = false;
    for (NodeId id : worklist) {
      // A chain an earlier node absorbed (a contraction reading another's
      // fused result is a separate chain and stays queued).
      if (g.node(id).erased)
        continue;
      changed |= fuseChain(g, ctx, id, options);
    }
    if (changed)
      numErased += eraseDeadNodes(g);
    return changed;
  }

private:
  /// Absorbs readers into `id` until a refusal; one remark for the chain.
  bool fuseChain(Graph &g, PassContext &ctx, NodeId id,
                 const EpilogueFusionOptions &options) {
    NodeId current = id;
    std::vector<std::string> absorbed;
    std::string stop;
    while (true) {
      EpilogueFusionCheck check = checkEpilogueFusion(g, current, options);
      const EpilogueFusionStep *step = check.step();
      if (!step) {
        stop = check.refusal();
        break;
      }
      if (policy)
        if (std::optional<std::string> veto = policy(g, *step)) {
          stop = "vetoed by the policy: " + *veto;
          break;
        }
      absorbed.push_back(opName(g.node(step->consumer).op).str());
      current = applyEpilogueFusion(g, *step);
      ++numAbsorbed;
    }
    if (absorbed.empty()) {
      ctx.remark(*this, g, current, false, stop);
      return false;
    }
    ++numFused;
    ctx.remark(*this, g, current, true,
               fmt::format("absorbed {}; epilogue '{}'; stopped: {}",
                           llvm::join(absorbed, ", "),
                           nodeEpilogue(g.node(current)).str(), stop));
    return true;
  }

  EpilogueFusionPolicy policy;
  Option<int64_t> maxOperandElements{
      *this, "max-operand-elements",
      "largest tensor an epilogue may read (slopes, tables)", 4096};
  Statistic numFused{*this, "fused", "contractions that absorbed a consumer"};
  Statistic numAbsorbed{*this, "absorbed", "elementwise nodes absorbed"};
  Statistic numErased{*this, "erased", "nodes left unused and erased"};
};

} // namespace

std::unique_ptr<Pass> createFuseEpiloguePass(EpilogueFusionPolicy policy) {
  return std::make_unique<FuseEpilogue>(std::move(policy));
}

} // namespace einsum
