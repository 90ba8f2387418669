//===- ConcatTest.cpp - concat: types, values, folding, the cpu backend ---===//
//
// Concat moves data without arithmetic, so every comparison is exact: the
// interpreter against a closed form that locates each result element by
// its multi-index (the implementations copy rows), fold-constants against
// the interpreter, and the cpu backend after -O0, -O2 and -O3 against the
// interpreter on the unpassed graph and the closed form.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "ReferenceTestUtil.h"

#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;

namespace {

/// Element i of input k: distinct across inputs, exact in f32 and i64.
double inputValue(size_t k, int64_t i) { return double(1000 * (k + 1) + i); }

TensorData inputData(const TensorType &type, size_t k) {
  return filled(type, [k](int64_t i) { return inputValue(k, i); });
}

/// The closed form: result element `flat` lies in the input whose range of
/// the axis holds its index there, at the same index on every other axis.
double expectedAt(llvm::ArrayRef<TensorType> ins, unsigned axis,
                  llvm::ArrayRef<int64_t> shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  size_t k = 0;
  while (index[axis] >= ins[k].dim(axis))
    index[axis] -= ins[k++].dim(axis);
  int64_t at = 0;
  for (unsigned d = 0; d < shape.size(); ++d)
    at = at * ins[k].dim(d) + index[d];
  return inputValue(k, at);
}

std::string buildError(llvm::ArrayRef<TensorType> types, int64_t axis) {
  Graph g;
  Builder b(g);
  std::vector<TensorId> ins;
  for (auto [k, t] : llvm::enumerate(types))
    ins.push_back(b.input("x" + std::to_string(k), t));
  b.output(b.concat(ins, axis, "y"));
  llvm::Error err = b.takeError();
  return err ? firstMessage(std::move(err)) : "<no error>";
}

TEST(ConcatType, SumsTheAxis) {
  Graph g;
  Builder b(g);
  TensorId past = b.input("past", TensorType::f32({1, 2, 5, 8}));
  TensorId now = b.input("now", TensorType::f32({1, 2, 3, 8}));
  TensorId k = b.concat({past, now}, 2, "k");
  TensorId last = b.concat({now, now, now}, -1, "last");
  TensorId one = b.concat({now}, 0, "one");
  ASSERT_FALSE(bool(b.takeError()));
  EXPECT_EQ(g.type(k), TensorType::f32({1, 2, 8, 8}));
  EXPECT_EQ(g.type(last), TensorType::f32({1, 2, 3, 24}));
  EXPECT_EQ(g.type(one), TensorType::f32({1, 2, 3, 8}));
  b.output(k);
  b.output(last);
  b.output(one);
  EXPECT_FALSE(bool(verify(g)));
  EXPECT_NE(printGraph(g).find("%k = concat %past, %now {axis = 2} : "
                               "f32[1,2,8,8]"),
            std::string::npos)
      << printGraph(g);
}

TEST(ConcatType, DiagnosticsNameTheInputsAndSizes) {
  TensorType a = TensorType::f32({1, 2, 3, 4});
  EXPECT_EQ(
      buildError({a, TensorType::f32({1, 2, 5, 8})}, 2),
      "%y: 'concat': input 1 is f32[1,2,5,8] but input 0 is f32[1,2,3,4]; "
      "sizes must match except on axis 2");
  EXPECT_EQ(
      buildError({a, TensorType::f32({1, 3, 3, 4})}, -2),
      "%y: 'concat': input 1 is f32[1,3,3,4] but input 0 is f32[1,2,3,4]; "
      "sizes must match except on axis 2");
  EXPECT_EQ(
      buildError({a, a, TensorType::f64({1, 2, 3, 4})}, 0),
      "%y: 'concat': input 2 is f64[1,2,3,4] but input 0 is f32[1,2,3,4]; "
      "element types must match");
  EXPECT_EQ(buildError({a, TensorType::f32({1, 2, 3})}, 0),
            "%y: 'concat': input 1 is f32[1,2,3] but input 0 is f32[1,2,3,4]; "
            "ranks must match");
  EXPECT_EQ(
      buildError({a}, 4),
      "%y: 'concat': axis 4 is out of range for rank 4 (expected -4 to 3)");
  EXPECT_EQ(
      buildError({a, a}, -5),
      "%y: 'concat': axis -5 is out of range for rank 4 (expected -4 to 3)");
  EXPECT_EQ(buildError({TensorType::f32({})}, 0),
            "%y: 'concat': input 0 is f32[]; inputs must have rank 1 or more");
  EXPECT_EQ(buildError({}, 0),
            "%y: 'concat': expects at least 1 inputs, got 0");
  // Dimensions up to 2^48 each; their sum must stay within it.
  int64_t half = int64_t(1) << 47;
  EXPECT_EQ(buildError({TensorType::i64({half}), TensorType::i64({half}),
                        TensorType::i64({1})},
                       0),
            "%y: 'concat': the result size on axis 0 exceeds 2^48 at input 2");
}

/// Runs concat of `types` along `axis` on the interpreter and checks it
/// against the closed form.
void expectReferenceClosedForm(std::vector<TensorType> types, int64_t axis) {
  Graph g;
  Builder b(g);
  std::vector<TensorId> ins;
  std::vector<TensorData> data;
  for (auto [k, t] : llvm::enumerate(types)) {
    ins.push_back(b.input("x" + std::to_string(k), t));
    data.push_back(inputData(t, k));
  }
  b.output(b.concat(ins, axis, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  std::vector<const TensorData *> ptrs;
  for (const TensorData &t : data)
    ptrs.push_back(&t);
  std::vector<TensorData> out = runOk(g, ptrs);
  ASSERT_EQ(out.size(), 1u);
  unsigned a = axis < 0 ? axis + types[0].rank() : axis;
  llvm::ArrayRef<int64_t> shape = out[0].type().shape();
  expectElements(
      out[0], [&](int64_t i) { return expectedAt(types, a, shape, i); }, 0);
}

TEST(ConcatReference, MatchesTheClosedForm) {
  using T = TensorType;
  expectReferenceClosedForm({T::f32({3}), T::f32({1}), T::f32({2})}, 0);
  expectReferenceClosedForm({T::f64({2, 3}), T::f64({4, 3})}, 0);
  expectReferenceClosedForm({T::f64({2, 3}), T::f64({2, 1})}, -1);
  expectReferenceClosedForm({T::i64({2, 3, 4}), T::i64({2, 5, 4})}, 1);
  expectReferenceClosedForm({T::f32({1, 2, 5, 8}), T::f32({1, 2, 3, 8})}, 2);
  expectReferenceClosedForm({T::f32({2, 2, 1, 3})}, -2);
}

TEST(ConcatReference, I64BeyondDoublePrecisionIsExact) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::i64({1}));
  b.output(b.concat({x, x}, 0, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  TensorData in(TensorType::i64({1}));
  in.data<int64_t>()[0] = (int64_t(1) << 53) + 1;
  std::vector<TensorData> out = runOk(g, {&in});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<int64_t>()[0], (int64_t(1) << 53) + 1);
  EXPECT_EQ(out[0].data<int64_t>()[1], (int64_t(1) << 53) + 1);
}

TEST(ConcatFold, ConstantsFoldToTheInterpretersValues) {
  registerAllPasses();
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({2, 3}));
  TensorId c0 = b.constant({1, 2, 3, 4}, TensorType::f32({2, 2}));
  TensorId c1 = b.splat(7, TensorType::f32({2, 1}));
  TensorId data = b.concat({c0, c1}, 1, "data");
  TensorId same = b.concat({c1, b.splat(7, TensorType::f32({2, 2}))}, -1);
  TensorId mixed = b.concat({c1, b.splat(-7, TensorType::f32({2, 2}))}, 1);
  b.output(b.add(x, data), "a");
  b.output(b.mul(x, same), "m");
  b.output(b.sub(x, mixed), "s");
  ASSERT_FALSE(bool(b.takeError()));
  Graph folded = g;
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline("fold-constants")));
  ASSERT_FALSE(bool(pm.run(folded)));
  int concats = 0, splats = 0;
  for (NodeId id : folded.liveNodes()) {
    const Node &n = folded.node(id);
    concats += n.op == OpKind::Concat;
    splats += n.op == OpKind::Constant && n.attr("data").getFloats().empty();
  }
  EXPECT_EQ(concats, 0) << printGraph(folded);
  EXPECT_EQ(splats, 1) << printGraph(folded); // `same`, and only it.
  std::string text = printGraph(folded);
  EXPECT_NE(text.find("data = [1.0, 2.0, 7.0, 3.0, 4.0, 7.0]"),
            std::string::npos)
      << text;
  TensorData in = wave(TensorType::f32({2, 3}), 0.5);
  std::vector<TensorData> expected = runOk(g, {&in});
  std::vector<TensorData> actual = runOk(folded, {&in});
  ASSERT_EQ(actual.size(), 3u);
  for (size_t k = 0; k < 3; ++k)
    EXPECT_TRUE(compareTensors(actual[k], expected[k], 0, 0).allClose);
}

/// Input shapes for a concat of rank `rank` along `axis`: 3, 1 and 2 along
/// the axis (one input of size 1), {2, 3, 4, 5} elsewhere.
std::vector<TensorType> partsFor(DType dtype, unsigned rank, unsigned axis) {
  const int64_t base[] = {2, 3, 4, 5};
  std::vector<TensorType> parts;
  for (int64_t size : {3, 1, 2}) {
    std::vector<int64_t> shape(base, base + rank);
    shape[axis] = size;
    parts.emplace_back(dtype, shape);
  }
  return parts;
}

struct CpuCase {
  DType dtype;
  unsigned rank;
  unsigned level;
};

class CpuConcat : public ::testing::TestWithParam<CpuCase> {
protected:
  void SetUp() override { registerAllPasses(); }
};

/// One graph per case with a concat along every axis, given as positive
/// and as negative, a one-input concat, and for floats an elementwise op
/// on each side: the passes of the level run on it, then the cpu backend,
/// against the interpreter on the unpassed graph and the closed form.
TEST_P(CpuConcat, MatchesReferenceAndClosedForm) {
  const CpuCase &c = GetParam();
  bool isFloat = c.dtype != DType::I64;
  Graph g;
  Builder b(g);
  std::vector<TensorData> inputs;
  struct Check {
    std::vector<TensorType> parts;
    unsigned axis;
    size_t output;
  };
  std::vector<Check> checks;
  auto input = [&](const TensorType &t) {
    TensorId id = b.input("x" + std::to_string(inputs.size()), t);
    inputs.push_back(inputData(t, inputs.size()));
    return id;
  };
  for (unsigned axis = 0; axis < c.rank; ++axis) {
    std::vector<TensorType> parts = partsFor(c.dtype, c.rank, axis);
    std::vector<TensorId> ids;
    size_t first = inputs.size();
    for (const TensorType &t : parts)
      ids.push_back(input(t));
    // The closed form numbers inputs from 0 per concat: shift its values.
    for (size_t k = 0; k < parts.size(); ++k)
      inputs[first + k] = inputData(parts[k], k);
    checks.push_back({parts, axis, g.outputs().size()});
    b.output(b.concat(ids, axis, "p" + std::to_string(axis)));
    checks.push_back({parts, axis, g.outputs().size()});
    b.output(b.concat(ids, int64_t(axis) - c.rank, "n" + std::to_string(axis)));
    if (isFloat) {
      // Computed inputs and an elementwise reader: what the fusions see.
      TensorId joined = b.concat({b.neg(ids[0]), ids[1], ids[2]}, axis);
      b.output(b.mul(joined, joined), "e" + std::to_string(axis));
    }
  }
  b.output(b.concat({g.arguments()[0]}, 0, "single"));
  ASSERT_FALSE(bool(b.takeError()));

  Graph passed = g;
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(c.level))));
  ASSERT_FALSE(bool(pm.run(passed))) << printGraph(passed);
  expectCpuMatches(passed, inputs, 0, 0, &g);
  if (HasFatalFailure() || IsSkipped())
    return;
  // Against the closed form too: the interpreter is not its own oracle.
  std::unique_ptr<Backend> cpu = cpuBackend();
  std::vector<TensorData> out = runOn(*cpu, passed, inputs);
  ASSERT_EQ(out.size(), g.outputs().size());
  for (const Check &check : checks) {
    SCOPED_TRACE("output " + std::to_string(check.output));
    const TensorData &t = out[check.output];
    llvm::ArrayRef<int64_t> shape = t.type().shape();
    expectElements(
        t,
        [&](int64_t i) {
          return expectedAt(check.parts, check.axis, shape, i);
        },
        0);
  }
}

std::vector<CpuCase> cpuCases() {
  std::vector<CpuCase> cases;
  for (DType dtype : {DType::F32, DType::F64, DType::I64})
    for (unsigned rank = 1; rank <= 4; ++rank)
      for (unsigned level : {0u, 2u, 3u})
        cases.push_back({dtype, rank, level});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(RanksTypesLevels, CpuConcat,
                         ::testing::ValuesIn(cpuCases()),
                         [](const ::testing::TestParamInfo<CpuCase> &info) {
                           return dtypeName(info.param.dtype).str() + "_rank" +
                                  std::to_string(info.param.rank) + "_O" +
                                  std::to_string(info.param.level);
                         });

/// The use the op is for: keys and values of a decode step appended to a
/// cache, then attention over all of them, which -O3 fuses.
TEST(CpuConcat, KeyValueCacheAttention) {
  registerAllPasses();
  for (unsigned threads : {1u, 2u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    Graph g;
    Builder b(g);
    TensorId q = b.input("q", TensorType::f32({1, 2, 3, 8}));
    TensorId pastK = b.input("past_k", TensorType::f32({1, 2, 5, 8}));
    TensorId newK = b.input("new_k", TensorType::f32({1, 2, 3, 8}));
    TensorId pastV = b.input("past_v", TensorType::f32({1, 2, 5, 8}));
    TensorId newV = b.input("new_v", TensorType::f32({1, 2, 3, 8}));
    TensorId k = b.concat({pastK, newK}, 2, "k");
    TensorId v = b.concat({pastV, newV}, -2, "v");
    TensorId s = b.einsum("bhid,bhjd->bhij", {q, k}, "s");
    TensorId p = b.softmax(b.mul(s, b.scalar(0.125)), -1, "p");
    b.output(b.einsum("bhij,bhjd->bhid", {p, v}), "o");
    b.output(k, "k_cache");
    b.output(v, "v_cache");
    ASSERT_FALSE(bool(b.takeError()));
    Graph passed = g;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
    ASSERT_FALSE(bool(pm.run(passed)));
    CompileOptions options;
    options.threads = threads;
    expectCpuMatches(passed, randomInputs(g, 21), 1e-5, 1e-6, &g, options);
  }
}

} // namespace
