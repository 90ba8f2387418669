//===- FuseAlibiBias.cpp - fuse-alibi-bias --------------------------------===//
//
// 1. For each einsum and contraction, in topological order, ask
//    checkEpilogueFusion for the next step.
// 2. While there is one and the policy allows it, apply it: the scale, the
//    ALiBi bias (any form; slopes from a generator or an input), the T5
//    relative bias (its table read at the computed bucket), masks and any
//    other elementwise consumer with a closed form move into the epilogue.
// 3. Record a remark per candidate: what it absorbed, or why nothing.
// 4. Erase what the fusions left unused: the distance and bucket generators
//    and the bias chains.
//
//===----------------------------------------------------------------------===//
#include "passes/EpilogueFusion.h"
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

namespace einsum {

namespace {

class FuseAlibiBias : public Pass {
public:
  explicit FuseAlibiBias(EpilogueFusionPolicy policy)
      : policy(std::move(policy)) {}
  llvm::StringRef name() const override { return "fuse-alibi-bias"; }
  llvm::StringRef summary() const override {
    return "fuse the scale, ALiBi, T5 relative and other elementwise biases "
           "and masks into the contraction's epilogue";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &ctx) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    EpilogueFusionOptions options;
    options.maxOperandElements = maxOperandElements;
    bool changed = false;
    for (NodeId id : *order) {
      const Node &n = g.node(id);
      if (n.erased || (n.op != OpKind::Einsum && n.op != OpKind::Contraction))
        continue;
      NodeId current = id;
      std::vector<std::string> absorbed;
      std::string stop;
      while (true) {
        llvm::Expected<EpilogueFusionStep> step =
            checkEpilogueFusion(g, current, options);
        if (!step) {
          stop = firstMessage(step.takeError());
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
        continue;
      }
      ++numFused;
      changed = true;
      ctx.remark(*this, g, current, true,
                 fmt::format("absorbed {}; epilogue '{}'; stopped: {}",
                             llvm::join(absorbed, ", "),
                             g.node(current).attr("epilogue").getString(),
                             stop));
    }
    if (changed)
      numErased += eraseDeadNodes(g);
    return changed;
  }

private:
  EpilogueFusionPolicy policy;
  Option<int64_t> maxOperandElements{
      *this, "max-operand-elements",
      "largest tensor an epilogue may read (slopes, tables)", 4096};
  Statistic numFused{*this, "fused", "contractions that absorbed a consumer"};
  Statistic numAbsorbed{*this, "absorbed", "elementwise nodes absorbed"};
  Statistic numErased{*this, "erased", "nodes left unused and erased"};
};

} // namespace

std::unique_ptr<Pass> createFuseAlibiBiasPass(EpilogueFusionPolicy policy) {
  return std::make_unique<FuseAlibiBias>(std::move(policy));
}

} // namespace einsum
