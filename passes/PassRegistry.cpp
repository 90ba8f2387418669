//===- PassRegistry.cpp ---------------------------------------------------===//
#include "passes/PassRegistry.h"
#include "passes/Passes.h"

#include "ir/Suggest.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <map>

namespace einsum {

static std::map<std::string, PassFactory> &registry() {
  static std::map<std::string, PassFactory> passes;
  return passes;
}

bool registerPass(llvm::StringRef name, PassFactory factory) {
  return registry().emplace(name.str(), std::move(factory)).second;
}

void registerAllPasses() {
  registerPass("canonicalize", createCanonicalizePass);
  registerPass("cse", createCommonSubexpressionEliminationPass);
  registerPass("dce", createDeadCodeEliminationPass);
  registerPass("fold-constants", createFoldConstantsPass);
  registerPass("fuse-alibi-bias", [] { return createFuseAlibiBiasPass(); });
  registerPass("fuse-attention", [] { return createFuseAttentionPass(); });
}

llvm::Expected<std::unique_ptr<Pass>> createPass(llvm::StringRef name) {
  auto it = registry().find(name.str());
  if (it != registry().end())
    return it->second();
  std::vector<std::string> known = registeredPasses();
  if (std::optional<std::string> best = closestMatch(name, known))
    return makeError(fmt::format("unknown pass '{}'; did you mean '{}'?",
                                 name.str(), *best));
  return makeError(fmt::format("unknown pass '{}'; registered passes: {}",
                               name.str(), llvm::join(known, ", ")));
}

std::vector<std::string> registeredPasses() {
  std::vector<std::string> names;
  for (const auto &entry : registry())
    names.push_back(entry.first);
  return names;
}

llvm::ArrayRef<NamedPipeline> namedPipelines() {
  static const NamedPipeline pipelines[] = {
      {"O0", "", "no transformation: parse, verify, emit"},
      {"O1", "canonicalize,fold-constants,cse,dce", "algebraic cleanup"},
      {"O2", "canonicalize,fold-constants,cse,fuse-alibi-bias,dce",
       "-O1, then the scale, biases and masks fused into the contraction"},
      {"O3",
       "canonicalize,fold-constants,cse,fuse-alibi-bias,fuse-attention,dce",
       "-O2, then scores, softmax and values fused into one attention node"},
  };
  return pipelines;
}

llvm::StringRef optLevelPipeline(unsigned level) {
  assert(level < namedPipelines().size() && "no such -O level");
  return namedPipelines()[level].pipeline;
}

} // namespace einsum
