#include "ir/Builder.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

TEST(Builder, BuildsTypedAttentionScores) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({1, 2, 8, 16}));
  TensorId k = b.input("k", TensorType::f32({1, 2, 6, 16}));
  TensorId s = b.einsum("bhid,bhjd->bhij", {q, k}, "scores");
  TensorId scaled = b.mul(s, b.scalar(0.25));
  TensorId m = b.alibiSlopes(2);
  TensorId d = b.distance(TensorType::f32({8, 6}), "symmetric", 0, "dist");
  TensorId bias = b.mul(b.expandDims(m, {1, 2}), d);
  TensorId out = b.sub(scaled, bias);
  b.output(out, "out");
  ASSERT_FALSE(b.hasError());
  ASSERT_FALSE(bool(b.takeError()));
  EXPECT_EQ(g.type(s), TensorType::f32({1, 2, 8, 6}));
  EXPECT_EQ(g.type(bias), TensorType::f32({2, 8, 6}));
  EXPECT_EQ(g.type(out), TensorType::f32({1, 2, 8, 6}));
  EXPECT_EQ(g.tensor(out).name, "out");
  EXPECT_FALSE(bool(verify(g)));
}

TEST(Builder, StickyErrorReportsTheFirstMistakeOnce) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({2, 3}));
  TensorId k = b.input("k", TensorType::f32({4, 5}));
  TensorId bad = b.einsum("ij,jk->ik", {q, k}, "s");
  EXPECT_FALSE(bad.isValid());
  TensorId later = b.exp(b.neg(bad));
  EXPECT_FALSE(later.isValid());
  std::vector<Diagnostic> diags = takeDiagnostics(b.takeError());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].message, "%s: 'einsum': einsum 'ij,jk->ik': label 'j' is "
                              "3 in input 0 but 4 in input 1");
  EXPECT_FALSE(b.hasError());
}

struct TypeCase {
  const char *what;
  std::function<TensorId(Builder &)> build;
  std::string expected; // a type, or the error message
};

// Names the case in test listings instead of dumping the struct's bytes.
void PrintTo(const TypeCase &c, std::ostream *os) { *os << c.what; }

class BuilderTypes : public ::testing::TestWithParam<TypeCase> {};

TEST_P(BuilderTypes, InfersOrRefuses) {
  Graph g;
  Builder b(g);
  TensorId t = GetParam().build(b);
  if (t.isValid()) {
    EXPECT_EQ(g.type(t).str(), GetParam().expected);
    EXPECT_FALSE(bool(b.takeError()));
  } else {
    EXPECT_EQ(firstMessage(b.takeError()), GetParam().expected);
  }
}

TensorId in(Builder &b, std::vector<int64_t> shape, DType dt = DType::F32) {
  return b.input("x" + std::to_string(b.graph().numTensors()),
                 TensorType(dt, std::move(shape)));
}

INSTANTIATE_TEST_SUITE_P(
    Ops, BuilderTypes,
    ::testing::Values(
        TypeCase{"broadcast",
                 [](Builder &b) {
                   return b.add(in(b, {2, 1, 4}), in(b, {3, 1}));
                 },
                 "f32[2,3,4]"},
        TypeCase{"mixed dtypes",
                 [](Builder &b) {
                   return b.add(in(b, {2}), in(b, {2}, DType::F64));
                 },
                 "'add': input 1 is f64[2] but input 0 is f32[2]; element "
                 "types must match (a 'cast' converts)"},
        TypeCase{
            "unary on i64",
            [](Builder &b) { return b.exp(in(b, {2}, DType::I64)); },
            "'exp': the input has type i64[2]; expected a float type (f32, "
            "f64, f16 or bf16)"},
        TypeCase{"reduce keepdims",
                 [](Builder &b) {
                   return b.reduce("max", in(b, {2, 3, 4}), {-1, 0}, true);
                 },
                 "f32[1,3,1]"},
        TypeCase{"reduce drop",
                 [](Builder &b) {
                   return b.reduce("mean", in(b, {2, 3, 4}), {1});
                 },
                 "f32[2,4]"},
        TypeCase{"reduce bad kind",
                 [](Builder &b) {
                   return b.reduce("prod", in(b, {2, 3}), {1});
                 },
                 "'reduce': attribute 'kind' is 'prod'; expected one of sum, "
                 "max, min, mean"},
        TypeCase{"reduce bad axis",
                 [](Builder &b) {
                   return b.reduce("sum", in(b, {2, 3}), {2});
                 },
                 "'reduce': axis 2 is out of range for rank 2 (expected -2 to "
                 "1)"},
        TypeCase{"reduce repeated axis",
                 [](Builder &b) {
                   return b.reduce("sum", in(b, {2, 3}), {1, -1});
                 },
                 "'reduce': axis -1 is listed twice"},
        TypeCase{"softmax",
                 [](Builder &b) {
                   return b.softmax(in(b, {2, 5}));
                 },
                 "f32[2,5]"},
        TypeCase{"expand_dims",
                 [](Builder &b) {
                   return b.expandDims(in(b, {4}), {1, -1});
                 },
                 "f32[4,1,1]"},
        TypeCase{"expand_dims front",
                 [](Builder &b) {
                   return b.expandDims(in(b, {4, 5}), {0});
                 },
                 "f32[1,4,5]"},
        TypeCase{"reshape with -1",
                 [](Builder &b) {
                   return b.reshape(in(b, {2, 3, 4}), {-1, 4});
                 },
                 "f32[6,4]"},
        TypeCase{"reshape size mismatch",
                 [](Builder &b) {
                   return b.reshape(in(b, {2, 3}), {4, 2});
                 },
                 "'reshape': cannot reshape f32[2,3] (6 elements) to [4,2] (8 "
                 "elements)"},
        TypeCase{"transpose",
                 [](Builder &b) {
                   return b.transpose(in(b, {2, 3, 4}), {2, 0, 1});
                 },
                 "f32[4,2,3]"},
        TypeCase{"transpose not a permutation",
                 [](Builder &b) {
                   return b.transpose(in(b, {2, 3}), {0, 0});
                 },
                 "'transpose': perm [0,0] is not a permutation of 0..1"},
        TypeCase{"gather",
                 [](Builder &b) {
                   return b.gather(in(b, {10, 64}), in(b, {3, 5}, DType::I64));
                 },
                 "f32[3,5,64]"},
        TypeCase{"gather axis 1",
                 [](Builder &b) {
                   return b.gather(in(b, {10, 8}), in(b, {4}, DType::I64), 1);
                 },
                 "f32[10,4]"},
        TypeCase{"gather float indices",
                 [](Builder &b) { return b.gather(in(b, {10}), in(b, {4})); },
                 "'gather': indices have type f32[4]; expected i64"},
        TypeCase{"einsum full contraction",
                 [](Builder &b) {
                   return b.einsum("ij,ij->", {in(b, {2, 3}), in(b, {2, 3})});
                 },
                 "f32[]"},
        TypeCase{"einsum diagonal",
                 [](Builder &b) {
                   return b.einsum("ii->i", {in(b, {3, 3})});
                 },
                 "f32[3]"},
        TypeCase{"alibi slopes shard",
                 [](Builder &b) {
                   return b.alibiSlopes(4, DType::F32, SlopeRecipe::Paper, 8.0,
                                        8, 12);
                 },
                 "f32[4]"},
        TypeCase{"alibi slopes shard out of range",
                 [](Builder &b) {
                   return b.alibiSlopes(4, DType::F32, SlopeRecipe::Paper, 8.0,
                                        10, 12);
                 },
                 "'alibi_slopes': heads [10, 14) are not within total_heads "
                 "12"},
        TypeCase{"alibi slopes bad bias",
                 [](Builder &b) {
                   return b.alibiSlopes(4, DType::F32, SlopeRecipe::Paper,
                                        -1.0);
                 },
                 "'alibi_slopes': max_bias is -1.0; expected a positive finite "
                 "number"},
        TypeCase{"distance rank",
                 [](Builder &b) { return b.distance(TensorType::f32({8})); },
                 "'distance': result type f32[8] must have rank 2 ([queries, "
                 "keys])"},
        TypeCase{
            "causal mask i64",
            [](Builder &b) {
              return b.causalMask(TensorType::i64({4, 4}));
            },
            "'causal_mask': the result has type i64[4,4]; expected a float "
            "type (f32, f64, f16 or bf16)"},
        TypeCase{"constant data count",
                 [](Builder &b) {
                   return b.constant({1, 2, 3}, TensorType::f32({2, 2}));
                 },
                 "'constant': 'data' has 3 values but the result f32[2,2] has "
                 "4 elements"},
        TypeCase{
            "constant i64 fraction",
            [](Builder &b) { return b.constant({1.5}, TensorType::i64({1})); },
            "'constant': value 1.5 is not an integer exactly "
            "representable in i64 data"},
        TypeCase{"iota scalar",
                 [](Builder &b) { return b.iota(TensorType::f32({})); },
                 "'iota': the result of 'iota' must have rank 1 or more"},
        TypeCase{"generator shape overflow",
                 [](Builder &b) {
                   return b.iota(TensorType::f32({1 << 30, 1 << 30, 1 << 30}));
                 },
                 "'iota': shape [1073741824,1073741824,1073741824] has more "
                 "than 2^48 elements"},
        TypeCase{"einsum result overflow",
                 [](Builder &b) {
                   TensorId x = in(b, {1 << 25});
                   return b.einsum("i,j->ij", {x, x});
                 },
                 "'einsum': the result shape [33554432,33554432] has more "
                 "than 2^48 elements"}),
    [](const ::testing::TestParamInfo<TypeCase> &info) {
      std::string name = info.param.what;
      for (char &c : name)
        if (!isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return name;
    });

TEST(Builder, InputWithBadShapeIsRefused) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({2, 0}));
  EXPECT_FALSE(x.isValid());
  EXPECT_EQ(firstMessage(b.takeError()),
            "input %x: dimension 1 of shape [2,0] is 0; dimensions must be "
            "positive");
}

} // namespace
