//===- DeadCodeElimination.cpp - dce --------------------------------------===//
//
// 1. Mark the graph outputs needed.
// 2. Walk the nodes in reverse topological order: a node with no needed
//    result is erased; otherwise its inputs become needed.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

namespace einsum {

namespace {

class DeadCodeElimination : public Pass {
public:
  llvm::StringRef name() const override { return "dce"; }
  llvm::StringRef summary() const override {
    return "erase nodes whose results nothing reads";
  }
  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    size_t erased = eraseDeadNodes(g);
    numErased += erased;
    return erased > 0;
  }

private:
  Statistic numErased{*this, "erased", "nodes erased"};
};

} // namespace

std::unique_ptr<Pass> createDeadCodeEliminationPass() {
  return std::make_unique<DeadCodeElimination>();
}

} // namespace einsum
