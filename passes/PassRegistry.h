//===- PassRegistry.h - Passes by name --------------------------*- C++ -*-===//
#ifndef EINSUM_PASSES_PASSREGISTRY_H
#define EINSUM_PASSES_PASSREGISTRY_H

#include "passes/Pass.h"

#include <functional>

namespace einsum {

using PassFactory = std::function<std::unique_ptr<Pass>()>;

/// Registers every pass of the library; idempotent.
void registerAllPasses();
/// Adds a pass; false if the name is taken.
bool registerPass(llvm::StringRef name, PassFactory factory);
/// Makes `alias` another name of the registered pass `target` (a pass's
/// former name, kept so that old pipelines still run); false if taken.
bool registerPassAlias(llvm::StringRef alias, llvm::StringRef target);
/// The pass name `name` stands for: itself, or an alias's target.
std::string canonicalPassName(llvm::StringRef name);
/// Aliases and their targets, sorted by alias.
std::vector<std::pair<std::string, std::string>> passAliases();
/// A new instance of the pass `name` (or of an alias's target), or an error
/// with a suggestion.
llvm::Expected<std::unique_ptr<Pass>> createPass(llvm::StringRef name);
/// Registered pass names, sorted, without aliases.
std::vector<std::string> registeredPasses();

/// Named pipelines for people who do not want to spell one out.
struct NamedPipeline {
  llvm::StringRef name;
  llvm::StringRef pipeline;
  llvm::StringRef summary;
};
llvm::ArrayRef<NamedPipeline> namedPipelines();
/// The pipeline text of -O<level>, level 0 to 3.
llvm::StringRef optLevelPipeline(unsigned level);

} // namespace einsum

#endif // EINSUM_PASSES_PASSREGISTRY_H
