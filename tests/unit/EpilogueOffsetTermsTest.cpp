// Which parts of a score epilogue the flash kernel tabulates over j - i:
// the terms found for T5's forms and their variants, none where i or j is
// read outside a difference in the gathered part or where no gather needs
// the table (ALiBi). Every term found is checked to be a function of j - i
// by evaluating it (Epilogue::evaluate) at (i, j) and at (0, j - i).
// The analysis belongs to the cpu backend and is built with it.
#ifdef EG_HAVE_CPU_BACKEND
#include "backends/cpu/EpilogueOffsetTerms.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

#include <random>

using namespace einsum;

namespace {

Epilogue parsed(llvm::StringRef text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    ADD_FAILURE() << firstMessage(e.takeError());
    return Epilogue();
  }
  return std::move(*e);
}

/// The terms of `text` as text, each checked to depend on (i, j) only
/// through j - i over a grid of rows and keys.
std::vector<std::string> termsOf(llvm::StringRef text) {
  SCOPED_TRACE(text.str());
  Epilogue e = parsed(text);
  std::vector<std::string> out;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> value(-1, 1);
  // Operand values that depend on the whole index, so that a term reading
  // an index that is not a function of j - i shows.
  auto operand = [](unsigned k, llvm::ArrayRef<int64_t> index) {
    double v = 0.37 * (k + 1);
    for (int64_t x : index)
      v = v * 1.7 + double(x);
    return v;
  };
  for (const EpilogueExpr *term : offsetTerms(e, 'i', 'j')) {
    Epilogue t(*term);
    out.push_back(t.str());
    EXPECT_FALSE(t.usesAcc()) << t.str();
    for (int64_t i = 0; i < 40; i += 3)
      for (int64_t j = 0; j < 50; j += 7) {
        int64_t at[] = {1, 2, i, j}, shifted[] = {1, 2, 0, j - i};
        double acc = value(rng);
        EXPECT_EQ(t.evaluate(acc, "bhij", at, operand),
                  t.evaluate(acc, "bhij", shifted, operand))
            << t.str() << " at i=" << i << " j=" << j;
      }
  }
  return out;
}

using Terms = std::vector<std::string>;

TEST(EpilogueOffsetTerms, T5Forms) {
  const std::string bias = "$0[rel_bucket(j - i, 32, 128, 1), h]";
  EXPECT_EQ(termsOf("acc * 0.125 + " + bias), Terms{bias});
  EXPECT_EQ(
      termsOf("select(j <= i, acc * 0.125 + $0[rel_bucket(j - i, 32, 128, "
              "0), h], -inf)"),
      Terms{"$0[rel_bucket(j - i, 32, 128, 0), h]"});
  // Offsets, differences written other ways, other labels beside them.
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(i + 3 - j, 16, 64, 1), h]"),
            Terms{"$0[rel_bucket(i + 3 - j, 16, 64, 1), h]"});
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j - (i + 5), 16, 64, 0), h]"),
            Terms{"$0[rel_bucket(j - (i + 5), 16, 64, 0), h]"});
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j + (h - i), 8, 20, 1)]"),
            Terms{"$0[rel_bucket(j + (h - i), 8, 20, 1)]"});
  // The largest acc-free part: value-context differences go with it.
  EXPECT_EQ(termsOf("acc + " + bias + " * exp(-abs(j - i) * 0.01)"),
            Terms{bias + " * exp(-abs(j - i) * 0.01)"});
  EXPECT_EQ(termsOf("acc * " + bias + " + $1[rel_bucket(i - j, 8, 20, 1)]"),
            (Terms{bias, "$1[rel_bucket(i - j, 8, 20, 1)]"}));
  // A condition.
  EXPECT_EQ(termsOf("select(rel_bucket(j - i, 32, 128, 1) > 20, acc, acc + " +
                    bias + ")"),
            (Terms{"rel_bucket(j - i, 32, 128, 1) > 20", bias}));
  // i outside the term, in vector arithmetic, leaves the term alone.
  EXPECT_EQ(termsOf("acc * (i + 1) + " + bias), Terms{bias});
  EXPECT_EQ(termsOf(bias + " * acc"), Terms{bias});
}

TEST(EpilogueOffsetTerms, NothingToTabulate) {
  // No gather: ALiBi stays vector arithmetic.
  EXPECT_EQ(termsOf("acc * 0.125 - $0[h] * abs(i - j)"), Terms{});
  EXPECT_EQ(termsOf("select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)"),
            Terms{});
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(i, 32, 128, 1), h]"), Terms{});
  // j outside a difference inside the gather.
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j + j - i, 32, 128, 1), h]"), Terms{});
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j, 32, 128, 1), h]"), Terms{});
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j - i, 32, 128, 1), j]"), Terms{});
  // A gather by j that no table covers: all of it goes lane by lane.
  EXPECT_EQ(termsOf("acc + $0[rel_bucket(j - i, 32, 128, 1), h] + $1[j]"),
            Terms{});
}

} // namespace
#endif // EG_HAVE_CPU_BACKEND
