//===- CpuTestUtil.h - Differential checks of the cpu backend ---*- C++ -*-===//
#ifndef EINSUM_TESTS_UNIT_CPUTESTUTIL_H
#define EINSUM_TESTS_UNIT_CPUTESTUTIL_H

#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Diagnostic.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace einsum::testing {

/// The cpu backend, or nullptr (the test skips) when it is not built.
inline std::unique_ptr<Backend> cpuBackend() {
  registerBuiltinBackends();
  llvm::Expected<std::unique_ptr<Backend>> b = createBackend("cpu");
  if (!b) {
    llvm::consumeError(b.takeError());
    return nullptr;
  }
  return std::move(*b);
}

/// `y = einsum "i->q" x`, built past the verifier (the label q is unknown):
/// what a backend must refuse with a diagnostic rather than lower.
inline Graph unverifiedEinsumGraph() {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({4}));
  TensorId y = g.addTensor("y", TensorType::f32({4}));
  Node n;
  n.op = OpKind::Einsum;
  n.inputs = {x};
  n.outputs = {y};
  n.attrs = {Attribute::ofString("i->q")};
  g.addNodeUnchecked(n);
  g.addOutput(y);
  return g;
}

/// Uniform values in [lo, hi) for float arguments; i64 arguments get
/// `indexRange` values in [0, indexRange).
inline std::vector<TensorData> randomInputs(const Graph &g, unsigned seed,
                                            double lo = -1, double hi = 1,
                                            int64_t indexRange = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> real(lo, hi);
  std::vector<TensorData> inputs;
  for (TensorId a : g.arguments()) {
    TensorData t(g.type(a));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, isFloat(t.type().elementType())
                   ? real(rng)
                   : double(int64_t(rng() % uint64_t(indexRange))));
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// Runs `exe` on `inputs` into fresh outputs; a run error fails the test
/// and gives no outputs.
inline std::vector<TensorData>
runExecutable(Executable &exe, const std::vector<TensorData> &inputs) {
  std::vector<TensorType> inputTypes;
  for (const TensorData &t : inputs)
    inputTypes.push_back(t.type());
  // With sizes known only at run time, the inputs give the outputs' types.
  llvm::Expected<std::vector<TensorType>> types =
      exe.hasSymbolicSizes()
          ? exe.resultTypesFor(inputTypes)
          : llvm::Expected<std::vector<TensorType>>(exe.resultTypes().vec());
  if (!types) {
    ADD_FAILURE() << "run: " << firstMessage(types.takeError());
    return {};
  }
  std::vector<TensorData> outs;
  for (const TensorType &t : *types)
    outs.emplace_back(t);
  std::vector<const TensorData *> in;
  for (const TensorData &t : inputs)
    in.push_back(&t);
  std::vector<TensorData *> out;
  for (TensorData &t : outs)
    out.push_back(&t);
  if (llvm::Error err = exe.run(in, out)) {
    ADD_FAILURE() << "run: " << firstMessage(std::move(err));
    return {};
  }
  return outs;
}

inline std::vector<TensorData> runOn(Backend &backend, const Graph &g,
                                     const std::vector<TensorData> &inputs,
                                     const CompileOptions &options = {}) {
  llvm::Expected<std::unique_ptr<Executable>> exe = backend.compile(g, options);
  if (!exe) {
    ADD_FAILURE() << backend.name().str()
                  << " compile: " << firstMessage(exe.takeError()) << "\n"
                  << printGraph(g);
    return {};
  }
  return runExecutable(**exe, inputs);
}

/// Runs `expectedGraph` on the reference and `g` on the cpu backend with the
/// same inputs and compares every output within atol + rtol * |expected|.
inline void expectCpuMatches(const Graph &g, const std::vector<TensorData> &in,
                             double rtol, double atol,
                             const Graph *expectedGraph = nullptr,
                             const CompileOptions &options = {}) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  std::unique_ptr<Backend> ref = createReferenceBackend();
  std::vector<TensorData> expected =
      runOn(*ref, expectedGraph ? *expectedGraph : g, in);
  std::vector<TensorData> actual = runOn(*cpu, g, in, options);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < actual.size(); ++k) {
    Comparison c = compareTensors(actual[k], expected[k], rtol, atol);
    EXPECT_TRUE(c.allClose)
        << "output " << k << ": max |error| " << c.maxAbsError << " at "
        << c.worstIndex << " (got "
        << actual[k].get(std::max<int64_t>(c.worstIndex, 0)) << ", expected "
        << expected[k].get(std::max<int64_t>(c.worstIndex, 0)) << ")\n"
        << printGraph(g);
  }
}

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_CPUTESTUTIL_H
