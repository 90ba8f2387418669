// The diagonal mask analysis: every proof is checked by evaluating the
// epilogue (Epilogue::evaluate, the reference's semantics) over a grid of
// positions beyond the proven diagonal, and the offset checked minimal where
// the form has scores that are not -inf on the diagonal itself.
// The analysis belongs to the cpu backend and is built with it.
#ifdef EG_HAVE_CPU_BACKEND
#include "backends/cpu/EpilogueMask.h"
#include "ir/Diagnostic.h"
#include "ir/SizeBindings.h"

#include <gtest/gtest.h>

#include <cmath>
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

/// The epilogue at (h, i, j) with random finite acc and positive $0[h].
double evaluateAt(const Epilogue &e, int64_t i, int64_t j, std::mt19937 &rng) {
  std::uniform_real_distribution<double> acc(-50, 50), slope(1e-3, 2);
  double s = slope(rng);
  int64_t labels[] = {0, i, j};
  return e.evaluate(acc(rng), "hij", labels,
                    [&](unsigned, llvm::ArrayRef<int64_t>) { return s; });
}

void expectMaskedBeyond(llvm::StringRef text, int64_t expected,
                        bool minimal = true) {
  SCOPED_TRACE(text.str());
  Epilogue e = parsed(text);
  std::optional<int64_t> offset =
      maskedBeyondDiagonal(e, 'i', 'j', {OperandFact::PositiveFinite});
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, expected);
  std::mt19937 rng(7);
  for (int64_t i = 0; i < 40; ++i)
    for (int64_t j = std::max<int64_t>(0, i + *offset + 1); j < 60; ++j)
      EXPECT_EQ(evaluateAt(e, i, j, rng), -INFINITY) << "at " << i << "," << j;
  if (minimal) {
    bool someFinite = false;
    for (int64_t i = 0; i < 40; ++i)
      if (i + *offset >= 0)
        someFinite |= std::isfinite(evaluateAt(e, i, i + *offset, rng));
    EXPECT_TRUE(someFinite) << "offset " << *offset << " is not the smallest";
  }
}

void expectNotProven(llvm::StringRef text, llvm::ArrayRef<OperandFact> facts = {
                                               OperandFact::PositiveFinite}) {
  SCOPED_TRACE(text.str());
  EXPECT_FALSE(maskedBeyondDiagonal(parsed(text), 'i', 'j', facts));
}

TEST(EpilogueMaskTest, CausalFormsTheBuilderAndFusionEmit) {
  expectMaskedBeyond("select(j <= i, acc * 0.125, -inf)", 0);
  expectMaskedBeyond("acc * 0.5 - $0[h] * select(j <= i, i - j, inf)", 0);
  expectMaskedBeyond("(acc - $0[h] * select(j <= i, i - j, inf)) * 0.125", 0);
  // Fewer queries than keys (decode, chunked prefill): the diagonal moves.
  expectMaskedBeyond("acc * 0.5 - $0[h] * select(j <= i + 7, i + 7 - j, inf)",
                     7);
  expectMaskedBeyond("select(j - i < 3, acc, -inf)", 2);
  expectMaskedBeyond("select(i >= j, acc, -inf) + $0[h] * abs(i - j)", 0);
  expectMaskedBeyond("min(acc, select(j > i, -inf, inf))", 0);
  expectMaskedBeyond("max(select(j <= i, acc, -inf), -inf)", 0);
}

TEST(EpilogueMaskTest, RefusesWhatItCannotProve) {
  // Symmetric ALiBi and plain scores are never -inf.
  expectNotProven("acc * 0.5 - $0[h] * abs(i - j)");
  expectNotProven("acc");
  // The slope's sign is unknown: -m * inf may be +inf.
  expectNotProven("acc - $0[h] * select(j <= i, i - j, inf)",
                  {OperandFact::Unknown});
  // Masked below the diagonal, not above it.
  expectNotProven("select(j >= i, acc, -inf)");
  // inf - inf is NaN, not -inf.
  expectNotProven("select(j <= i, acc, -inf) + select(j <= i, 0, inf)");
  // 0 * inf is NaN.
  expectNotProven("acc - 0 * select(j <= i, i - j, inf)");
  // A mask read from a tensor is data.
  expectNotProven("acc + $0[i, j]", {OperandFact::Unknown});
  // exp(-inf) is 0, not -inf.
  expectNotProven("exp(select(j <= i, acc, -inf))");
}

TEST(EpilogueMaskTest, ATableNextToAMaskNeedsOnlyFiniteValues) {
  // T5's causal form: a bias read from a table, masked by a separate term.
  const char *t5 = "acc * 0.125 + $0[rel_bucket(j - i, 32, 128, 0), h] + "
                   "select(j <= i, 0, -inf)";
  expectNotProven(t5, {OperandFact::Unknown});
  std::optional<int64_t> offset = maskedBeyondDiagonal(
      parsed(t5), 'i', 'j', {OperandFact::Finite});
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, 0);
  // Slopes times an infinite distance still need a sign.
  expectNotProven("acc - $0[h] * select(j <= i, i - j, inf)",
                  {OperandFact::Finite});
}

/// The diagonal of `text` for each value of ?p: every (i, j) beyond it
/// evaluates to -inf with the size substituted, and on it not always.
void expectSymbolicDiagonal(llvm::StringRef text,
                            const std::string &expected) {
  SCOPED_TRACE(text.str());
  Epilogue e = parsed(text);
  std::optional<int64_t> offset =
      maskedBeyondDiagonal(e, 'i', 'j', {OperandFact::PositiveFinite});
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(sizeStr(*offset), expected);
  std::mt19937 rng(3);
  for (int64_t p : {1, 4, 9}) {
    SizeBindings values = {{"k", p + 3}, {"p", p}, {"q", 3}};
    Epilogue concrete = llvm::cantFail(e.substituteSymbols(values));
    int64_t d = llvm::cantFail(evaluateSize(*offset, values));
    bool someFinite = false;
    for (int64_t i = 0; i < 12; ++i)
      for (int64_t j = 0; j < 30; ++j) {
        double v = evaluateAt(concrete, i, j, rng);
        if (j - i > d)
          EXPECT_EQ(v, -INFINITY) << "p = " << p << " at " << i << "," << j;
        else if (j - i == d)
          someFinite |= std::isfinite(v);
      }
    EXPECT_TRUE(someFinite) << "p = " << p << ": not the smallest";
  }
}

TEST(EpilogueMaskTest, DiagonalsOfSizesKnownOnlyAtRunTime) {
  // A decode step: queries sit ?k - ?q after the first key.
  expectSymbolicDiagonal(
      "acc * 0.5 - $0[h] * select(j <= i + (?k - ?q), i + (?k - ?q) - j, "
      "inf)",
      "?k-?q");
  expectSymbolicDiagonal("select(j <= i + ?p + 1, acc, -inf)", "?p+1");
  expectSymbolicDiagonal("select(j - ?p < i, acc, -inf)", "?p-1");
  // A comparison whose side of the diagonal depends on the sizes' values
  // proves nothing.
  expectNotProven("select(j <= ?p, acc, -inf)");
}

} // namespace

#endif // EG_HAVE_CPU_BACKEND
