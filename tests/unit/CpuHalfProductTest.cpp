//===- CpuHalfProductTest.cpp - Matrix products of 16-bit terms -----------===//
//
// The cpu backend's register-tiled products read f16 and bf16 terms as
// they are, widening them as they pack or load them, and sum in f32: shapes
// with depth past one depth block (256), contiguous and strided operands,
// a batch, one row (the direct path) and an epilogue, against the reference
// (double sums of the same rounded terms). The products of 16-bit values
// are exact in f32, so the difference is f32 summation: within 1e-5 of the
// sum of |terms| here.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;

namespace {

struct ProductCase {
  const char *name, *spec;
  std::vector<int64_t> left, right;
};

TEST(CpuHalfProduct, MatchesTheReference) {
  const ProductCase cases[] = {
      {"plain", "mk,kn->mn", {13, 300}, {300, 37}},
      {"right transposed", "mk,nk->mn", {9, 520}, {21, 520}},
      {"batched", "bmk,bkn->bmn", {3, 7, 70}, {3, 70, 33}},
      {"one row", "mk,kn->mn", {1, 1024}, {1024, 64}},
      {"projection", "bsD,Dnd->bnsd", {1, 5, 64}, {64, 6, 16}},
  };
  for (DType t : {DType::BF16, DType::F16})
    for (const ProductCase &c : cases) {
      SCOPED_TRACE(std::string(c.name) + " " + dtypeName(t).str());
      Graph g("product");
      Builder b(g);
      TensorId a = b.input("a", TensorType(t, c.left));
      TensorId w = b.input("w", TensorType(t, c.right));
      TensorId y = b.einsum(c.spec, {a, w});
      b.output(y, "y");
      ASSERT_FALSE(b.hasError()) << firstMessage(b.takeError());
      ASSERT_EQ(g.type(y).elementType(), DType::F32);
      std::vector<TensorData> in = randomInputs(g, 17);
      expectCpuMatches(g, in, 1e-5, 1e-4);
    }
}

/// A contraction of bf16 terms whose epilogue adds an f32 bias and scales:
/// the epilogue runs on the f32 sums.
TEST(CpuHalfProduct, EpilogueOnTheSums) {
  Graph g("contraction");
  Builder b(g);
  TensorId a = b.input("a", TensorType::bf16({11, 600}));
  TensorId w = b.input("w", TensorType::bf16({600, 40}));
  TensorId bias = b.input("bias", TensorType::f32({40}));
  TensorId y = b.op(OpKind::Contraction, {a, w, bias},
                    {{"spec", Attribute::ofString("mk,kn->mn")},
                     {"epilogue", Attribute::ofEpilogue(llvm::cantFail(
                                      parseEpilogue("acc * 0.5 + $0[n]")))}},
                    "y");
  b.output(y);
  ASSERT_FALSE(b.hasError()) << firstMessage(b.takeError());
  std::vector<TensorData> in = randomInputs(g, 3);
  expectCpuMatches(g, in, 1e-5, 1e-4);
}

} // namespace
