//===- FuseAttention.cpp - fuse-attention ---------------------------------===//
//
// 1. For each softmax, in topological order, match scores -> softmax ->
//    values (AttentionFusion.h).
// 2. If the policy allows, replace the three nodes with one `attention`
//    node that keeps the scores' epilogue: no [b, h, Sq, Sk] tensor is left.
// 3. Record a remark per softmax: fused, or the part of the pattern that is
//    missing.
//
//===----------------------------------------------------------------------===//
#include "passes/AttentionFusion.h"
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/FusedNode.h"

namespace einsum {

namespace {

class FuseAttention : public Pass {
public:
  explicit FuseAttention(AttentionFusionPolicy policy)
      : policy(std::move(policy)) {}
  llvm::StringRef name() const override { return "fuse-attention"; }
  llvm::StringRef summary() const override {
    return "fuse scores, softmax and the value product into one attention "
           "node (flash-style: no [b,h,Sq,Sk] tensor)";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &ctx) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    bool changed = false;
    for (NodeId id : *order) {
      if (g.node(id).erased || g.node(id).op != OpKind::Softmax)
        continue;
      llvm::Expected<AttentionMatch> match = matchAttention(g, id);
      if (!match) {
        ctx.remark(*this, g, id, false, firstMessage(match.takeError()));
        continue;
      }
      if (policy)
        if (std::optional<std::string> veto = policy(g, *match)) {
          ctx.remark(*this, g, id, false, "vetoed by the policy: " + *veto);
          continue;
        }
      NodeId fused = applyAttentionFusion(g, *match);
      ctx.remark(*this, g, fused, true,
                 "score epilogue '" + nodeEpilogue(g.node(fused)).str() + "'");
      ++numFused;
      changed = true;
    }
    if (changed)
      eraseDeadNodes(g);
    return changed;
  }

private:
  AttentionFusionPolicy policy;
  Statistic numFused{*this, "fused", "attention nodes formed"};
};

} // namespace

std::unique_ptr<Pass> createFuseAttentionPass(AttentionFusionPolicy policy) {
  return std::make_unique<FuseAttention>(std::move(policy));
}

} // namespace einsum
