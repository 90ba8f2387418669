//===- EvalGenerators.cpp - constant, iota, distance, slopes, masks -------===//
#include "backends/reference/Interpreter.h"

#include "ir/AlibiSlopes.h"
#include "ir/Diagnostic.h"
#include "ir/RelativeBuckets.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace einsum::reference {

static constexpr double kInf = std::numeric_limits<double>::infinity();

llvm::Error evalConstant(const Node &node, const std::string &what,
                         TensorData &result) {
  const std::vector<double> &data = node.attr("data").getFloats();
  int64_t n = result.numElements();
  if (data.empty()) {
    double value = node.attr("value").getFloat();
    for (int64_t i = 0; i < n; ++i)
      result.set(i, value);
    return llvm::Error::success();
  }
  if (int64_t(data.size()) != n)
    return makeError(fmt::format("{}: 'data' has {} values for {} elements",
                                 what, data.size(), n));
  storeAll(data, result);
  return llvm::Error::success();
}

llvm::Error evalIota(const Node &node, const std::string &what,
                     TensorData &result) {
  const TensorType &t = result.type();
  llvm::Expected<unsigned> axis =
      normalizeAxis(node.attr("axis").getInt(), t.rank());
  if (!axis)
    return makeError(what + ": " + firstMessage(axis.takeError()));
  int64_t size = t.dim(*axis), inner = 1;
  for (unsigned d = *axis + 1; d < t.rank(); ++d)
    inner *= t.dim(d);
  for (int64_t i = 0, n = result.numElements(); i < n; ++i)
    result.set(i, double((i / inner) % size));
  return llvm::Error::success();
}

/// Visits every (query, key) pair of a [Sq, Sk] result with the query's
/// absolute position i + query_offset.
template <typename F>
static llvm::Error forEachPair(const Node &node, const std::string &what,
                               TensorData &result, F f) {
  const TensorType &t = result.type();
  if (t.rank() != 2)
    return makeError(fmt::format("{}: result type {} is not [queries, keys]",
                                 what, t.str()));
  int64_t offset = node.attr("query_offset").getInt();
  int64_t sq = t.dim(0), sk = t.dim(1);
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      result.set(i * sk + j, f(double(i) + double(offset), double(j)));
  return llvm::Error::success();
}

llvm::Error evalDistance(const Node &node, const std::string &what,
                         TensorData &result) {
  if (node.attr("form").getString() == "causal")
    return forEachPair(node, what, result, [](double i, double j) {
      return j <= i ? i - j : kInf;
    });
  return forEachPair(node, what, result,
                     [](double i, double j) { return std::fabs(i - j); });
}

llvm::Error evalCausalMask(const Node &node, const std::string &what,
                           TensorData &result) {
  return forEachPair(node, what, result,
                     [](double i, double j) { return j <= i ? 0.0 : -kInf; });
}

llvm::Error evalAlibiSlopes(const Node &node, const std::string &what,
                            TensorData &result) {
  int64_t n = result.numElements();
  int64_t offset = node.attr("head_offset").getInt();
  int64_t total = node.attr("total_heads").getInt();
  if (total == 0)
    total = n;
  std::optional<SlopeRecipe> recipe =
      parseSlopeRecipe(node.attr("recipe").getString());
  if (!recipe)
    return makeError(fmt::format("{}: unknown recipe '{}'", what,
                                 node.attr("recipe").getString()));
  // computeAlibiSlopes asserts the range; an unverified graph must still
  // get a message.
  if (offset < 0 || total < 1 || offset > total || n > total - offset)
    return makeError(fmt::format("{}: heads [{}, {}) are not within "
                                 "total_heads {}",
                                 what, offset, offset + n, total));
  storeAll(computeAlibiSlopes(total, node.attr("max_bias").getFloat(), *recipe,
                              offset, n),
           result);
  return llvm::Error::success();
}

llvm::Error evalRelativeBuckets(const Node &node, const std::string &what,
                                TensorData &result) {
  int64_t buckets = node.attr("num_buckets").getInt();
  int64_t maxDistance = node.attr("max_distance").getInt();
  bool bidirectional = node.attr("bidirectional").getBool();
  return forEachPair(node, what, result, [&](double i, double j) {
    return double(relativePositionBucket(int64_t(j) - int64_t(i), buckets,
                                         maxDistance, bidirectional));
  });
}

} // namespace einsum::reference
