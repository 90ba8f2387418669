//===- NnSupport.h - Helpers shared by the ir/nn builders -------*- C++ -*-===//
//
// Private to ir/nn: argument checks that name the tensor and the caller, the
// conversion of the Builder's sticky error into an Expected, and names that
// stay unique when a graph holds several attention layers.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NN_NNSUPPORT_H
#define EINSUM_IR_NN_NNSUPPORT_H

#include "ir/Builder.h"
#include "ir/Graph.h"
#include "ir/nn/PositionEncoding.h"

#include "llvm/Support/Error.h"

#include <string>

namespace einsum::nn::detail {

/// Validates `config` and refuses one of another encoding type:
/// `<className> needs a <type> config, got <other>`.
llvm::Error checkConfig(const PositionEncodingConfig &config,
                        EncodingType expected, llvm::StringRef className);

/// `base` if no tensor has that name yet, else `base_1`, `base_2`, ...: the
/// verifier requires unique names and a graph may hold many layers.
std::string uniqueName(const Graph &g, llvm::StringRef base);

/// The type of `id`, or an error `<context>: <what> is not a tensor of the
/// graph` / `... has no type`.
llvm::Expected<TensorType> typeOf(const Graph &g, TensorId id,
                                  llvm::StringRef context,
                                  llvm::StringRef what);

/// `t` must be floating point of rank `rank`.
llvm::Error expectFloatRank(const TensorType &t, unsigned rank,
                            llvm::StringRef context, llvm::StringRef what,
                            llvm::StringRef layout);

/// `result` if the builder recorded nothing, else its diagnostics, each
/// prefixed with `<context>: `.
llvm::Expected<TensorId> finish(Builder &b, TensorId result,
                                llvm::StringRef context);

/// The parameter called `name` if the graph has one of type `type` (layers
/// may share a table, as T5's share the relative bias), else a new one. A
/// tensor of that name that is no such parameter is an error.
llvm::Expected<TensorId> sharedParameter(Graph &g, llvm::StringRef name,
                                         const TensorType &type,
                                         llvm::StringRef context);

} // namespace einsum::nn::detail

#endif // EINSUM_IR_NN_NNSUPPORT_H
