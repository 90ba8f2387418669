//===- SuggestTest.cpp - The one "did you mean" of every name lookup ------===//
#include "ir/Suggest.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

const std::vector<std::string> kPasses = {"canonicalize", "cse", "dce",
                                          "fold-constants"};

TEST(ClosestMatch, UpToTwoEdits) {
  EXPECT_EQ(closestMatch("canonicalise", kPasses), "canonicalize");
  EXPECT_EQ(closestMatch("fold-constant", kPasses), "fold-constants");
  // A swapped pair of letters is two edits.
  EXPECT_EQ(closestMatch("cnaonicalize", kPasses), "canonicalize");
  EXPECT_EQ(closestMatch("canonicalizzzze", kPasses), std::nullopt);
  EXPECT_EQ(closestMatch("inline", kPasses), std::nullopt);
}

TEST(ClosestMatch, NearestThenFirst) {
  // "cs" is one edit from "cse" and two from "dce".
  EXPECT_EQ(closestMatch("cs", kPasses), "cse");
  // "ce" is one edit from both: the first listed wins.
  EXPECT_EQ(closestMatch("ce", kPasses), "cse");
}

TEST(ClosestMatch, NoCandidatesOrAnExactOne) {
  EXPECT_EQ(closestMatch("cse", {}), std::nullopt);
  EXPECT_EQ(closestMatch("cse", kPasses), "cse");
}

TEST(ClosestMatch, AHugeWordIsNoNearMiss) {
  EXPECT_EQ(closestMatch(std::string(1 << 20, 'c'), kPasses), std::nullopt);
}

} // namespace
