//===- BackendTest.cpp - Registry and Executable argument checks ----------===//
#include "backends/Backend.h"

#include "ir/Builder.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace einsum;

namespace {

/// An executable that only counts how often it really ran.
class CountingExecutable : public Executable {
public:
  explicit CountingExecutable(const Graph &g) : Executable(g) {}
  int runs = 0;

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                      llvm::ArrayRef<TensorData *> outputs,
                      const SizeBindings &) override {
    ++runs;
    // Writes something recognizable so runNamed's results can be checked.
    for (TensorData *out : outputs)
      for (int64_t i = 0; i < out->numElements(); ++i)
        out->set(i, 42);
    return llvm::Error::success();
  }
};

class FakeBackend : public Backend {
public:
  llvm::StringRef name() const override { return "fake"; }
  llvm::StringRef description() const override { return "for tests"; }
  llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &) override {
    return std::make_unique<CountingExecutable>(g);
  }
};

/// q, k -> scores; the tensor names the messages use.
Graph scoresGraph() {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({1, 2, 8, 8}));
  TensorId k = b.input("k", TensorType::f32({1, 2, 8, 8}));
  b.output(b.einsum("bhid,bhjd->bhij", {q, k}), "s");
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

TEST(BackendRegistry, ReferenceIsBuiltIn) {
  registerBuiltinBackends();
  std::vector<std::string> names = registeredBackends();
  EXPECT_NE(std::find(names.begin(), names.end(), "reference"), names.end());
  llvm::Expected<std::unique_ptr<Backend>> b = createBackend("reference");
  ASSERT_TRUE(bool(b)) << firstMessage(b.takeError());
  EXPECT_EQ((*b)->name(), "reference");
  EXPECT_FALSE((*b)->description().empty());
  // Registering the built-ins twice is harmless.
  registerBuiltinBackends();
  EXPECT_EQ(registeredBackends(), names);
}

TEST(BackendRegistry, NamesAreSortedAndFirstRegistrationWins) {
  EXPECT_TRUE(registerBackend("zz-test-last",
                              [] { return std::make_unique<FakeBackend>(); }));
  EXPECT_TRUE(registerBackend("aa-test-first",
                              [] { return std::make_unique<FakeBackend>(); }));
  EXPECT_FALSE(registerBackend("aa-test-first",
                               [] { return std::unique_ptr<Backend>(); }));
  std::vector<std::string> names = registeredBackends();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  llvm::Expected<std::unique_ptr<Backend>> b = createBackend("aa-test-first");
  ASSERT_TRUE(bool(b)) << firstMessage(b.takeError());
  ASSERT_TRUE(*b != nullptr);
  EXPECT_EQ((*b)->name(), "fake");
}

TEST(BackendRegistry, UnknownNameSuggestsANearMiss) {
  registerBuiltinBackends();
  std::string all;
  for (const std::string &n : registeredBackends())
    all += (all.empty() ? "" : ", ") + n;
  llvm::Expected<std::unique_ptr<Backend>> b = createBackend("refrence");
  ASSERT_FALSE(bool(b));
  EXPECT_EQ(firstMessage(b.takeError()),
            "unknown backend 'refrence' (did you mean 'reference'?); "
            "registered backends: " +
                all);
  // Too far from every name for a suggestion.
  b = createBackend("xyzzy");
  ASSERT_FALSE(bool(b));
  EXPECT_EQ(firstMessage(b.takeError()),
            "unknown backend 'xyzzy'; registered backends: " + all);
}

TEST(BackendEmit, ABackendThatOnlyRunsRefuses) {
  FakeBackend fake;
  EXPECT_EQ(firstMessage(fake.checkEmit(EmitArtifact::Object, {})),
            "the fake backend cannot emit an object file: it only runs "
            "graphs");
  llvm::Expected<EmitResult> r =
      fake.emit(scoresGraph(), EmitArtifact::CHeader, {});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(firstMessage(r.takeError()),
            "the fake backend cannot emit a C header: it only runs graphs");

  registerBuiltinBackends();
  llvm::Expected<std::unique_ptr<Backend>> reference =
      createBackend("reference");
  ASSERT_TRUE(bool(reference)) << firstMessage(reference.takeError());
  EXPECT_EQ(firstMessage((*reference)->checkEmit(EmitArtifact::Mlir, {})),
            "the reference backend cannot emit MLIR: it only runs graphs");
}

TEST(Executable, RecordsArgumentAndResultTypes) {
  Graph g = scoresGraph();
  CountingExecutable exe(g);
  ASSERT_EQ(exe.argumentNames().size(), 2u);
  EXPECT_EQ(exe.argumentNames()[0], "q");
  EXPECT_EQ(exe.argumentNames()[1], "k");
  EXPECT_EQ(exe.argumentTypes()[1], TensorType::f32({1, 2, 8, 8}));
  ASSERT_EQ(exe.resultNames().size(), 1u);
  EXPECT_EQ(exe.resultNames()[0], "s");
  EXPECT_EQ(exe.resultTypes()[0], TensorType::f32({1, 2, 8, 8}));
}

TEST(Executable, AnonymousTensorsAreNamedByIndex) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({2}));
  TensorId y = b.neg(x);
  b.output(y);
  CountingExecutable exe(g);
  EXPECT_EQ(exe.resultNames()[0], "%" + std::to_string(y.index()));
}

TEST(Executable, RunChecksCountsAndTypes) {
  Graph g = scoresGraph();
  CountingExecutable exe(g);
  TensorData q(TensorType::f32({1, 2, 8, 8})), k(TensorType::f32({1, 2, 8, 8}));
  TensorData wideK(TensorType::f32({1, 2, 8, 16}));
  TensorData s(TensorType::f32({1, 2, 8, 8}));
  TensorData sF64(TensorType::f64({1, 2, 8, 8}));

  EXPECT_EQ(firstMessage(exe.run({&q}, {&s})), "expected 2 inputs, got 1");
  EXPECT_EQ(firstMessage(exe.run({&q, &k}, {})), "expected 1 output, got 0");
  EXPECT_EQ(firstMessage(exe.run({&q, &wideK}, {&s})),
            "input 1 ('k') has type f32[1,2,8,16], expected f32[1,2,8,8]");
  EXPECT_EQ(firstMessage(exe.run({&q, &k}, {&sF64})),
            "output 0 ('s') has type f64[1,2,8,8], expected f32[1,2,8,8]");
  EXPECT_EQ(firstMessage(exe.run({nullptr, &k}, {&s})),
            "input 0 ('q') is null");
  EXPECT_EQ(exe.runs, 0);
  EXPECT_FALSE(bool(exe.run({&q, &k}, {&s})));
  EXPECT_EQ(exe.runs, 1);
}

TEST(Executable, RunNamedBindsByName) {
  Graph g = scoresGraph();
  CountingExecutable exe(g);
  std::map<std::string, TensorData> inputs;
  inputs.emplace("k", TensorData(TensorType::f32({1, 2, 8, 8})));
  inputs.emplace("q", TensorData(TensorType::f32({1, 2, 8, 8})));
  llvm::Expected<std::vector<TensorData>> out = exe.runNamed(inputs);
  ASSERT_TRUE(bool(out)) << firstMessage(out.takeError());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].type(), TensorType::f32({1, 2, 8, 8}));
  EXPECT_EQ((*out)[0].get(0), 42.0);
  EXPECT_EQ(exe.runs, 1);
}

TEST(Executable, RunNamedRejectsBadBindingsWithoutRunning) {
  Graph g = scoresGraph();
  CountingExecutable exe(g);
  TensorType t = TensorType::f32({1, 2, 8, 8});

  std::map<std::string, TensorData> missing;
  missing.emplace("q", TensorData(t));
  EXPECT_EQ(firstMessage(exe.runNamed(missing).takeError()),
            "missing input 'k'");
  EXPECT_EQ(firstMessage(exe.runNamed({}).takeError()),
            "missing inputs 'q', 'k'");

  std::map<std::string, TensorData> unknown = missing;
  unknown.emplace("k", TensorData(t));
  unknown.emplace("v", TensorData(t));
  EXPECT_EQ(firstMessage(exe.runNamed(unknown).takeError()),
            "unknown input 'v'; the inputs are 'q', 'k'");

  std::map<std::string, TensorData> mistyped = missing;
  mistyped.emplace("k", TensorData(TensorType::f64({1, 2, 8, 8})));
  EXPECT_EQ(firstMessage(exe.runNamed(mistyped).takeError()),
            "input 'k' has type f64[1,2,8,8], expected f32[1,2,8,8]");
  EXPECT_EQ(exe.runs, 0);
}

} // namespace
