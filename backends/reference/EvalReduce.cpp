//===- EvalReduce.cpp - reduce and softmax --------------------------------===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/TensorSemantics.h"
#include "ir/TypeInference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace einsum::reference {

static constexpr double kInf = std::numeric_limits<double>::infinity();

llvm::Error evalReduce(const Node &node, const std::string &what,
                       const TensorData &x, TensorData &result) {
  // The reduction is ir's (ir/TensorSemantics.h), which fold-constants
  // shares.
  llvm::Expected<std::vector<double>> values =
      reduceValues(node.attr("kind").getString(), node.attr("axes").getInts(),
                   x.type(), [&](int64_t i) { return x.get(i); });
  if (!values)
    return makeError(what + ": " + firstMessage(values.takeError()));
  storeAll(*values, result);
  return llvm::Error::success();
}

void softmaxRow(llvm::MutableArrayRef<double> row) {
  double max = -kInf;
  for (double x : row)
    max = std::isnan(x) || x > max ? x : max;
  // A fully masked row has no probability mass to spread: zeros, not the
  // NaNs that exp(-inf - -inf) would give.
  if (max == -kInf) {
    std::fill(row.begin(), row.end(), 0.0);
    return;
  }
  double sum = 0;
  for (double &x : row)
    sum += x = std::exp(x - max);
  for (double &x : row)
    x /= sum;
}

llvm::Error evalSoftmax(const Node &node, const std::string &what,
                        const TensorData &x, TensorData &result) {
  const TensorType &type = x.type();
  llvm::Expected<unsigned> axis =
      normalizeAxis(node.attr("axis").getInt(), type.rank());
  if (!axis)
    return makeError(what + ": " + firstMessage(axis.takeError()));
  // Element (o, a, i) of an [outer, n, inner] view sits at (o*n + a)*inner + i.
  int64_t n = type.dim(*axis), outer = 1, inner = 1;
  for (unsigned d = 0; d < *axis; ++d)
    outer *= type.dim(d);
  for (unsigned d = *axis + 1; d < type.rank(); ++d)
    inner *= type.dim(d);

  std::vector<double> row(n);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t base = o * n * inner + i;
      for (int64_t a = 0; a < n; ++a)
        row[a] = x.get(base + a * inner);
      softmaxRow(row);
      for (int64_t a = 0; a < n; ++a)
        result.set(base + a * inner, row[a]);
    }
  return llvm::Error::success();
}

} // namespace einsum::reference
