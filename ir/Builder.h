//===- Builder.h - Typed graph construction ---------------------*- C++ -*-===//
//
// The builder appends nodes to a graph, inferring each result type. A call
// that would make an ill-typed node adds nothing, records a diagnostic and
// returns an invalid id; calls given an invalid id return one too without a
// second diagnostic, so a chain of calls reports its first mistake once.
// Check `takeError()` when done:
//
//   Builder b(graph);
//   TensorId q = b.input("q", TensorType::f32({1, 8, 128, 64}));
//   TensorId s = b.einsum("bhid,bhjd->bhij", {q, k});
//   ...
//   if (llvm::Error err = b.takeError()) ...
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_BUILDER_H
#define EINSUM_IR_BUILDER_H

#include "ir/AlibiSlopes.h"
#include "ir/Graph.h"

namespace einsum {

class Builder {
public:
  explicit Builder(Graph &graph) : g(graph) {}
  Graph &graph() { return g; }

  TensorId input(std::string name, TensorType type);
  TensorId parameter(std::string name, TensorType type);
  /// Marks `id` as a graph output; `name`, if given, renames it.
  void output(TensorId id, std::string name = {});

  /// Any op: the general form the named helpers below use. `declared` is
  /// required for generators and checked for every other op.
  TensorId op(OpKind kind, llvm::ArrayRef<TensorId> inputs,
              llvm::ArrayRef<NamedAttribute> attrs = {}, std::string name = {},
              std::optional<TensorType> declared = std::nullopt);

  TensorId einsum(llvm::StringRef spec, llvm::ArrayRef<TensorId> inputs,
                  std::string name = {});

  TensorId unary(OpKind kind, TensorId x, std::string name = {});
  TensorId neg(TensorId x, std::string name = {});
  TensorId abs(TensorId x, std::string name = {});
  TensorId exp(TensorId x, std::string name = {});
  TensorId sqrt(TensorId x, std::string name = {});

  /// `x` converted to element type `to` (round to nearest even).
  TensorId cast(TensorId x, DType to, std::string name = {});

  TensorId binary(OpKind kind, TensorId a, TensorId b, std::string name = {});
  TensorId add(TensorId a, TensorId b, std::string name = {});
  TensorId sub(TensorId a, TensorId b, std::string name = {});
  TensorId mul(TensorId a, TensorId b, std::string name = {});
  TensorId div(TensorId a, TensorId b, std::string name = {});

  /// kind is one of sum, max, min, mean.
  TensorId reduce(llvm::StringRef kind, TensorId x, std::vector<int64_t> axes,
                  bool keepDims = false, std::string name = {});
  TensorId softmax(TensorId x, int64_t axis = -1, std::string name = {});
  TensorId expandDims(TensorId x, std::vector<int64_t> axes,
                      std::string name = {});
  /// `shape` holds sizes (ir/Size.h); one entry may be -1.
  TensorId reshape(TensorId x, std::vector<int64_t> shape,
                   std::string name = {});
  TensorId transpose(TensorId x, std::vector<int64_t> perm,
                     std::string name = {});
  TensorId gather(TensorId table, TensorId indices, int64_t axis = 0,
                  std::string name = {});
  /// Joins `inputs` along `axis` (negative counts from the end).
  TensorId concat(llvm::ArrayRef<TensorId> inputs, int64_t axis,
                  std::string name = {});

  /// A rank-0 constant, for scales and offsets.
  TensorId scalar(double value, DType dtype = DType::F32,
                  std::string name = {});
  TensorId splat(double value, TensorType type, std::string name = {});
  TensorId constant(std::vector<double> data, TensorType type,
                    std::string name = {});

  /// Positions along `axis`, starting at `offset` (a size: `?k-?q` for the
  /// queries of a decode step).
  TensorId iota(TensorType type, int64_t axis = 0, std::string name = {},
                int64_t offset = 0);
  /// [Sq, Sk] distances; form is "symmetric" or "causal".
  TensorId distance(TensorType type, llvm::StringRef form = "symmetric",
                    int64_t queryOffset = 0, std::string name = {});
  /// Slopes of `nHeads` heads starting at `headOffset` out of `totalHeads`
  /// (0: nHeads).
  TensorId alibiSlopes(int64_t nHeads, DType dtype = DType::F32,
                       SlopeRecipe recipe = SlopeRecipe::Paper,
                       double maxBias = 8.0, int64_t headOffset = 0,
                       int64_t totalHeads = 0, std::string name = {});
  TensorId causalMask(TensorType type, int64_t queryOffset = 0,
                      std::string name = {});

  bool hasError() const { return !diags.empty(); }
  /// The diagnostics recorded so far as one error (success if none); clears
  /// them.
  llvm::Error takeError();

private:
  void fail(std::string message);

  Graph &g;
  std::vector<Diagnostic> diags;
};

} // namespace einsum

#endif // EINSUM_IR_BUILDER_H
