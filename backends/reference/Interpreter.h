//===- Interpreter.h - Reference evaluation of single ops -------*- C++ -*-===//
//
// Private to the reference backend. Each eval function computes one node's
// result in double and stores it rounded to the result's element type. The
// result tensor arrives allocated with the node's declared type, which the
// verifier has checked against the inputs; functions that could still meet
// bad data at run time (gather indices) return an error.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_REFERENCE_INTERPRETER_H
#define EINSUM_BACKENDS_REFERENCE_INTERPRETER_H

#include "backends/reference/EpilogueProgram.h"
#include "ir/Graph.h"
#include "ir/TensorData.h"

#include "llvm/Support/Error.h"

#include <map>
#include <vector>

namespace einsum::reference {

/// When to run each node and when each value may be freed, computed once per
/// graph so that repeated runs only evaluate.
struct Schedule {
  std::vector<NodeId> order;
  /// lastUse[t]: the step after which tensor t is dead, or -1 if it must be
  /// kept (graph arguments are borrowed, outputs are returned).
  std::vector<int64_t> lastUse;
};

llvm::Expected<Schedule> makeSchedule(const Graph &g);

/// Runs `g` with one input per argument (types already checked), returning
/// the outputs in graph order.
llvm::Expected<std::vector<TensorData>>
runSchedule(const Graph &g, const Schedule &schedule,
            llvm::ArrayRef<const TensorData *> inputs);

/// Evaluates node `id` of `g` into `result`.
llvm::Error evalNode(const Graph &g, NodeId id,
                     llvm::ArrayRef<const TensorData *> inputs,
                     TensorData &result);

//===--- Per-family evaluators ------------------------------------------===//
// `what` is the node's description, used as the subject of messages.

llvm::Error evalEinsum(const Node &node, const std::string &what,
                       llvm::ArrayRef<const TensorData *> inputs,
                       TensorData &result);
/// The sums of the einsum `spec` over `inputs` in double, one per element
/// of `resultType` in row-major order, before any rounding or epilogue.
llvm::Expected<std::vector<double>>
accumulateEinsum(const std::string &what, llvm::StringRef spec,
                 llvm::ArrayRef<const TensorData *> inputs,
                 const TensorType &resultType);
/// A verified node's epilogue compiled for loop `labels`, reading
/// `operands`.
EpilogueProgram
compileNodeEpilogue(const Node &node, llvm::StringRef labels,
                    llvm::ArrayRef<const TensorData *> operands);
llvm::Error evalContraction(const Node &node, const std::string &what,
                            llvm::ArrayRef<const TensorData *> inputs,
                            TensorData &result);
llvm::Error evalAttention(const Node &node, const std::string &what,
                          llvm::ArrayRef<const TensorData *> inputs,
                          TensorData &result);

/// result[i] = f(x[i]).
template <typename F>
void evalUnaryWith(const TensorData &x, TensorData &result, F f) {
  for (int64_t i = 0, n = result.numElements(); i < n; ++i)
    result.set(i, f(x.get(i)));
}

/// How the operands of a binary op line up with its result under numpy
/// broadcasting: per result dimension, each operand's stride (0 where the
/// operand is broadcast or lacks the dimension).
struct BroadcastPlan {
  std::vector<int64_t> shape;
  std::vector<int64_t> strideA, strideB;
};
BroadcastPlan planBroadcast(const TensorType &a, const TensorType &b,
                            const TensorType &result);

/// result = f(a, b) elementwise with broadcasting. Walks the result in
/// row-major order, the innermost dimension as a plain loop and the others
/// as an odometer that moves both operand offsets incrementally.
template <typename F>
void evalBinaryWith(const TensorData &a, const TensorData &b,
                    TensorData &result, F f) {
  BroadcastPlan p = planBroadcast(a.type(), b.type(), result.type());
  size_t rank = p.shape.size();
  if (rank == 0) {
    result.set(0, f(a.get(0), b.get(0)));
    return;
  }
  int64_t inner = p.shape[rank - 1];
  int64_t innerA = p.strideA[rank - 1], innerB = p.strideB[rank - 1];
  std::vector<int64_t> index(rank, 0);
  int64_t offA = 0, offB = 0;
  for (int64_t out = 0, n = result.numElements(); out < n; out += inner) {
    for (int64_t t = 0; t < inner; ++t)
      result.set(out + t,
                 f(a.get(offA + t * innerA), b.get(offB + t * innerB)));
    for (size_t d = rank - 1; d-- > 0;) {
      offA += p.strideA[d];
      offB += p.strideB[d];
      if (++index[d] < p.shape[d])
        break;
      offA -= p.strideA[d] * p.shape[d];
      offB -= p.strideB[d] * p.shape[d];
      index[d] = 0;
    }
  }
}
llvm::Error evalReduce(const Node &node, const std::string &what,
                       const TensorData &x, TensorData &result);
llvm::Error evalSoftmax(const Node &node, const std::string &what,
                        const TensorData &x, TensorData &result);
/// Softmax of one row in place, as the `softmax` op defines it (a row that
/// is all -inf gives zeros); `attention` shares it.
void softmaxRow(llvm::MutableArrayRef<double> row);

/// expand_dims and reshape: the row-major data does not change.
void evalCopy(const TensorData &x, TensorData &result);
llvm::Error evalTranspose(const Node &node, const std::string &what,
                          const TensorData &x, TensorData &result);
llvm::Error evalGather(const Node &node, const std::string &what,
                       const TensorData &table, const TensorData &indices,
                       TensorData &result);
llvm::Error evalConcat(const Node &node, const std::string &what,
                       llvm::ArrayRef<const TensorData *> inputs,
                       TensorData &result);

llvm::Error evalConstant(const Node &node, const std::string &what,
                         TensorData &result);
llvm::Error evalIota(const Node &node, const std::string &what,
                     TensorData &result);
llvm::Error evalDistance(const Node &node, const std::string &what,
                         TensorData &result);
llvm::Error evalAlibiSlopes(const Node &node, const std::string &what,
                            TensorData &result);
llvm::Error evalRelativeBuckets(const Node &node, const std::string &what,
                                TensorData &result);
llvm::Error evalCausalMask(const Node &node, const std::string &what,
                           TensorData &result);

//===--- Helpers shared by the evaluators -------------------------------===//

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

/// The elements of `t` as doubles: the f64 storage itself, or a converted
/// copy for other element types, so inner loops index a plain array.
class DoubleView {
public:
  explicit DoubleView(const TensorData &t);
  // A copy would point into the original's buffer; a move keeps the buffer.
  DoubleView(const DoubleView &) = delete;
  DoubleView &operator=(const DoubleView &) = delete;
  DoubleView(DoubleView &&) = default;
  DoubleView &operator=(DoubleView &&) = default;
  const double *data() const { return ptr; }
  double operator[](int64_t i) const { return ptr[i]; }

private:
  std::vector<double> converted;
  const double *ptr = nullptr;
};

/// Stores `values` (one per element) into `result`, rounding to its type.
void storeAll(llvm::ArrayRef<double> values, TensorData &result);

} // namespace einsum::reference

#endif // EINSUM_BACKENDS_REFERENCE_INTERPRETER_H
