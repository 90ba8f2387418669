//===- EvalGenerators.cpp - constant, iota, distance, slopes, masks -------===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/TensorSemantics.h"

#include <fmt/format.h>

namespace einsum::reference {

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

/// The generators' values are ir's (ir/TensorSemantics.h), which
/// fold-constants shares.
static llvm::Error evalGenerator(const Node &node, const std::string &what,
                                 TensorData &result) {
  if (llvm::Error err = generateValues(
          node, result.type(), [&](int64_t i, double v) { result.set(i, v); }))
    return makeError(what + ": " + firstMessage(std::move(err)));
  return llvm::Error::success();
}

llvm::Error evalIota(const Node &node, const std::string &what,
                     TensorData &result) {
  return evalGenerator(node, what, result);
}

llvm::Error evalDistance(const Node &node, const std::string &what,
                         TensorData &result) {
  return evalGenerator(node, what, result);
}

llvm::Error evalCausalMask(const Node &node, const std::string &what,
                           TensorData &result) {
  return evalGenerator(node, what, result);
}

llvm::Error evalAlibiSlopes(const Node &node, const std::string &what,
                            TensorData &result) {
  return evalGenerator(node, what, result);
}

llvm::Error evalRelativeBuckets(const Node &node, const std::string &what,
                                TensorData &result) {
  return evalGenerator(node, what, result);
}

} // namespace einsum::reference
