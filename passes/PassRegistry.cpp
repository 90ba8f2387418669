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

static std::map<std::string, std::string> &aliases() {
  static std::map<std::string, std::string> names;
  return names;
}

bool registerPass(llvm::StringRef name, PassFactory factory) {
  if (aliases().count(name.str()))
    return false;
  return registry().emplace(name.str(), std::move(factory)).second;
}

bool registerPassAlias(llvm::StringRef alias, llvm::StringRef target) {
  assert(registry().count(target.str()) && "alias of an unknown pass");
  if (registry().count(alias.str()))
    return false;
  return aliases().emplace(alias.str(), target.str()).second;
}

std::string canonicalPassName(llvm::StringRef name) {
  auto it = aliases().find(name.str());
  return it == aliases().end() ? name.str() : it->second;
}

std::vector<std::pair<std::string, std::string>> passAliases() {
  return {aliases().begin(), aliases().end()};
}

void registerAllPasses() {
  registerPass("canonicalize", createCanonicalizePass);
  registerPass("cse", createCommonSubexpressionEliminationPass);
  registerPass("dce", createDeadCodeEliminationPass);
  registerPass("fold-constants", createFoldConstantsPass);
  registerPass("fuse-epilogue", [] { return createFuseEpiloguePass(); });
  registerPass("expand-kv-heads", createExpandKvHeadsPass);
  registerPass("fuse-attention", [] { return createFuseAttentionPass(); });
  registerPassAlias("fuse-alibi-bias", "fuse-epilogue");
}

llvm::Expected<std::unique_ptr<Pass>> createPass(llvm::StringRef name) {
  auto it = registry().find(canonicalPassName(name));
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
      {"O2", "canonicalize,fold-constants,cse,fuse-epilogue,dce",
       "-O1, then the scale, biases and masks fused into the contraction"},
      {"O3",
       "canonicalize,fold-constants,cse,expand-kv-heads,fuse-epilogue,"
       "fuse-attention,dce",
       "-O2, then scores, softmax and values fused into one attention node"},
  };
  return pipelines;
}

llvm::StringRef optLevelPipeline(unsigned level) {
  assert(level < namedPipelines().size() && "no such -O level");
  return namedPipelines()[level].pipeline;
}

} // namespace einsum
