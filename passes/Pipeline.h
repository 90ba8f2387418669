//===- Pipeline.h - Textual pass pipelines ----------------------*- C++ -*-===//
//
//   pipeline ::= [pass (',' pass)*]
//   pass     ::= name ['{' [option (' ' option)*] '}']
//   option   ::= name ['=' value]
//
// e.g. `canonicalize,cse,fold-constants{max-elements=64}`.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_PIPELINE_H
#define EINSUM_PASSES_PIPELINE_H

#include "passes/Pass.h"

namespace einsum {

/// Parses `text` into fresh pass instances with their options set. Errors
/// give the column in the pipeline text and suggest near-miss names.
llvm::Expected<std::vector<std::unique_ptr<Pass>>>
parsePipeline(llvm::StringRef text);

} // namespace einsum

#endif // EINSUM_PASSES_PIPELINE_H
