//===- EpilogueFusion.h - Elementwise readers into contractions -*- C++ -*-===//
//
// Split as MLIR's Linalg fusion: a legality check that returns the step or
// the reason it refuses, the rewrite, and a policy hook a caller can use to
// veto; the registered pass (fuse-epilogue) is a thin loop over them.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_EPILOGUEFUSION_H
#define EINSUM_PASSES_EPILOGUEFUSION_H

#include "ir/Epilogue.h"
#include "ir/Graph.h"

#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace einsum {

/// One legal step: the contraction `producer` (an einsum or contraction
/// node) absorbs its only consumer, the elementwise `consumer`.
struct EpilogueFusionStep {
  NodeId producer;
  NodeId consumer;
  /// The epilogue after the step, and its operands in order.
  Epilogue epilogue;
  std::vector<TensorId> operands;
};

struct EpilogueFusionOptions {
  /// Largest tensor read as an epilogue operand (slopes, a relative-bias
  /// table); anything bigger would be a materialized bias.
  int64_t maxOperandElements = 4096;
};

/// Why a contraction absorbs nothing more: the end of its chain, or what
/// stops it. A refusal is an answer, not an error.
struct FusionRefusal {
  std::string reason;
};

/// The next step for a producer, or why there is none.
struct EpilogueFusionCheck {
  std::variant<EpilogueFusionStep, FusionRefusal> outcome;

  const EpilogueFusionStep *step() const {
    return std::get_if<EpilogueFusionStep>(&outcome);
  }
  const std::string &refusal() const {
    return std::get<FusionRefusal>(outcome).reason;
  }
};

EpilogueFusionCheck checkEpilogueFusion(const Graph &g, NodeId producer,
                                        const EpilogueFusionOptions &options);

/// Performs `step`: a contraction node now defines the consumer's result
/// (keeping its name) and the two nodes it replaces are erased. Returns the
/// new node.
NodeId applyEpilogueFusion(Graph &g, const EpilogueFusionStep &step);

/// Decides whether a legal step is taken; return a reason to veto.
using EpilogueFusionPolicy = std::function<std::optional<std::string>(
    const Graph &, const EpilogueFusionStep &)>;

} // namespace einsum

#endif // EINSUM_PASSES_EPILOGUEFUSION_H
