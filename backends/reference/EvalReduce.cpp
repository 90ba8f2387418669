//===- EvalReduce.cpp - reduce and softmax --------------------------------===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace einsum::reference {

static constexpr double kInf = std::numeric_limits<double>::infinity();

llvm::Error evalReduce(const Node &node, const std::string &what,
                       const TensorData &x, TensorData &result) {
  const TensorType &in = x.type();
  std::vector<bool> reduced(in.rank(), false);
  for (int64_t axis : node.attr("axes").getInts()) {
    llvm::Expected<unsigned> a = normalizeAxis(axis, in.rank());
    if (!a)
      return makeError(what + ": " + firstMessage(a.takeError()));
    reduced[*a] = true;
  }

  // Each input element's result offset: the result's row-major strides over
  // the kept dimensions, 0 over the reduced ones (keepdims only adds size-1
  // dimensions, which do not change offsets).
  std::vector<int64_t> keptShape;
  for (unsigned d = 0; d < in.rank(); ++d)
    if (!reduced[d])
      keptShape.push_back(in.dim(d));
  std::vector<int64_t> keptStrides = rowMajorStrides(keptShape);
  std::vector<int64_t> outStride(in.rank(), 0);
  int64_t groupSize = 1;
  for (unsigned d = 0, k = 0; d < in.rank(); ++d) {
    if (reduced[d])
      groupSize *= in.dim(d);
    else
      outStride[d] = keptStrides[k++];
  }

  enum class Kind { Sum, Max, Min, Mean };
  llvm::StringRef kindName = node.attr("kind").getString();
  Kind kind;
  if (kindName == "sum")
    kind = Kind::Sum;
  else if (kindName == "max")
    kind = Kind::Max;
  else if (kindName == "min")
    kind = Kind::Min;
  else if (kindName == "mean")
    kind = Kind::Mean;
  else
    return makeError(
        fmt::format("{}: unknown reduction kind '{}'", what, kindName.str()));

  double init = kind == Kind::Max ? -kInf : kind == Kind::Min ? kInf : 0.0;
  std::vector<double> acc(result.numElements(), init);
  std::vector<int64_t> index(in.rank(), 0);
  int64_t out = 0;
  for (int64_t i = 0, n = x.numElements(); i < n; ++i) {
    double v = x.get(i);
    double &a = acc[out];
    // NaN wins max and min, as in numpy.
    if (kind == Kind::Max)
      a = std::isnan(v) || v > a ? v : a;
    else if (kind == Kind::Min)
      a = std::isnan(v) || v < a ? v : a;
    else
      a += v;
    for (unsigned d = in.rank(); d-- > 0;) {
      out += outStride[d];
      if (++index[d] < in.dim(d))
        break;
      out -= outStride[d] * in.dim(d);
      index[d] = 0;
    }
  }
  if (kind == Kind::Mean)
    for (double &a : acc)
      a /= double(groupSize);
  storeAll(acc, result);
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
