//===- ReferenceTestUtil.h - Helpers for interpreter tests ------*- C++ -*-===//
#ifndef EINSUM_TESTS_UNIT_REFERENCETESTUTIL_H
#define EINSUM_TESTS_UNIT_REFERENCETESTUTIL_H

#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace einsum::testing {

/// A tensor whose element i is f(i).
inline TensorData filled(TensorType type,
                         const std::function<double(int64_t)> &f) {
  TensorData t(std::move(type));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, f(i));
  return t;
}

/// Deterministic, irregular values in [-1, 1], different per seed.
inline TensorData wave(TensorType type, double seed) {
  return filled(std::move(type), [seed](int64_t i) {
    return std::sin(0.7 * double(i) + seed) * std::cos(0.13 * double(i));
  });
}

/// Runs the interpreter, reporting a test failure (and returning nothing)
/// on error.
inline std::vector<TensorData> runOk(const Graph &g,
                                     std::vector<const TensorData *> inputs) {
  llvm::Expected<std::vector<TensorData>> out = interpret(g, inputs);
  if (!out) {
    ADD_FAILURE() << "interpret failed: " << firstMessage(out.takeError());
    return {};
  }
  return std::move(*out);
}

/// The message of the interpreter's error, or "<no error>".
inline std::string runError(const Graph &g,
                            std::vector<const TensorData *> inputs) {
  llvm::Expected<std::vector<TensorData>> out = interpret(g, inputs);
  if (out)
    return "<no error>";
  return firstMessage(out.takeError());
}

/// Checks every element of `actual` against expected(i) within
/// atol + rtol * |expected|; non-finite expectations must match exactly.
inline void expectElements(const TensorData &actual,
                           const std::function<double(int64_t)> &expected,
                           double rtol, double atol = 0) {
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double e = expected(i), a = actual.get(i);
    if (std::isnan(e))
      EXPECT_TRUE(std::isnan(a)) << "element " << i << ": got " << a;
    else if (std::isinf(e))
      EXPECT_EQ(a, e) << "element " << i;
    else
      EXPECT_NEAR(a, e, atol + rtol * std::fabs(e)) << "element " << i;
  }
}

/// Builds a one-input graph `f(x)` with `build` and runs it on `x`.
inline TensorData
runUnaryGraph(const TensorData &x,
              const std::function<TensorId(Builder &, TensorId)> &build) {
  Graph g;
  Builder b(g);
  TensorId in = b.input("x", x.type());
  b.output(build(b, in), "y");
  if (llvm::Error err = b.takeError()) {
    ADD_FAILURE() << "building failed: " << firstMessage(std::move(err));
    return TensorData();
  }
  std::vector<TensorData> out = runOk(g, {&x});
  return out.empty() ? TensorData() : std::move(out.front());
}

/// exp, neg, add over 1 KiB tensors. Held throughout: x and the caller's
/// buffer for w (2 KiB). While add runs, its operands and result are alive
/// (3 KiB): the peak is 5 KiB.
inline Graph chainOfKiBs() {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({256}));
  TensorId y = b.exp(x, "y");
  TensorId z = b.neg(y, "z");
  b.output(b.add(y, z, "w"));
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_REFERENCETESTUTIL_H
