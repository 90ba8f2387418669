#include "ir/EinsumSpec.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

std::string parseError(llvm::StringRef spec, size_t n) {
  llvm::Expected<EinsumSpec> s = EinsumSpec::parse(spec, n);
  if (s)
    return "<parsed>";
  return firstMessage(s.takeError());
}

TEST(EinsumSpec, ParsesExplicitForm) {
  llvm::Expected<EinsumSpec> s = EinsumSpec::parse("bhid,bhjd->bhij", 2);
  ASSERT_TRUE(bool(s));
  EXPECT_EQ(s->inputs, (std::vector<std::string>{"bhid", "bhjd"}));
  EXPECT_EQ(s->output, "bhij");
  EXPECT_EQ(s->allLabels(), "bhidj");
  EXPECT_EQ(s->reductionLabels(), "d");
  EXPECT_EQ(s->str(), "bhid,bhjd->bhij");
}

TEST(EinsumSpec, ImplicitOutputIsSortedSingletons) {
  llvm::Expected<EinsumSpec> s = EinsumSpec::parse("ij,jk", 2);
  ASSERT_TRUE(bool(s));
  EXPECT_EQ(s->output, "ik");
  llvm::Expected<EinsumSpec> t = EinsumSpec::parse("ba", 1);
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->output, "ab");
}

TEST(EinsumSpec, IgnoresSpaces) {
  llvm::Expected<EinsumSpec> s = EinsumSpec::parse(" ij , jk -> ik ", 2);
  ASSERT_TRUE(bool(s));
  EXPECT_EQ(s->str(), "ij,jk->ik");
}

TEST(EinsumSpec, Diagnostics) {
  EXPECT_EQ(parseError("bhid,bhjd->bhiq", 2),
            "einsum 'bhid,bhjd->bhiq': output label 'q' appears in no input");
  EXPECT_EQ(parseError("ij,jk->ik", 1),
            "einsum 'ij,jk->ik': the spec has 2 input terms but the op has 1 "
            "input");
  EXPECT_EQ(parseError("i1,jk->ik", 2),
            "einsum 'i1,jk->ik': invalid label '1'; labels are ASCII letters");
  EXPECT_EQ(parseError("ij->ii", 1),
            "einsum 'ij->ii': output label 'i' appears more than once");
  EXPECT_EQ(parseError("", 1), "einsum '': the spec is empty");
  EXPECT_EQ(parseError("...ij->...i", 1),
            "einsum '...ij->...i': '...' (ellipsis) is not supported; name "
            "every dimension");
  EXPECT_EQ(parseError("i->i->i", 1), "einsum 'i->i->i': more than one '->'");
}

TEST(EinsumSpec, LabelSizes) {
  llvm::Expected<EinsumSpec> s = EinsumSpec::parse("bhid,bhjd->bhij", 2);
  ASSERT_TRUE(bool(s));
  auto sizes = s->labelSizes(
      {TensorType::f32({1, 2, 8, 16}), TensorType::f32({1, 2, 5, 16})});
  ASSERT_TRUE(bool(sizes));
  EXPECT_EQ(sizes->at('i'), 8);
  EXPECT_EQ(sizes->at('j'), 5);
  EXPECT_EQ(sizes->at('d'), 16);

  auto bad = s->labelSizes(
      {TensorType::f32({1, 2, 8, 16}), TensorType::f32({1, 2, 8, 32})});
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(firstMessage(bad.takeError()),
            "einsum 'bhid,bhjd->bhij': label 'd' is 16 in input 0 but 32 in "
            "input 1");

  auto rank = s->labelSizes(
      {TensorType::f32({2, 8, 16}), TensorType::f32({1, 2, 8, 16})});
  ASSERT_FALSE(bool(rank));
  EXPECT_EQ(firstMessage(rank.takeError()),
            "einsum 'bhid,bhjd->bhij': input 0 has rank 3 (f32[2,8,16]) but "
            "its term 'bhid' has 4 labels");
}

} // namespace
