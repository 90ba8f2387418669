#include "ir/Epilogue.h"
#include "backends/reference/EpilogueProgram.h"
#include "ir/Diagnostic.h"
#include "ir/RelativeBuckets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>

using namespace einsum;

namespace einsum {
// Failure messages show the expression rather than its bytes.
void PrintTo(const Epilogue &e, std::ostream *os) { *os << e.str(); }
} // namespace einsum

namespace {

Epilogue parseOk(llvm::StringRef text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    ADD_FAILURE() << "'" << text.str()
                  << "' did not parse: " << firstMessage(e.takeError());
    return Epilogue();
  }
  return std::move(*e);
}

std::string parseError(llvm::StringRef text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (e)
    return "<parsed>";
  return firstMessage(e.takeError());
}

std::string canonical(llvm::StringRef text) { return parseOk(text).str(); }

Epilogue lbl(char c) { return Epilogue::label(c); }
Epilogue num(double v) { return Epilogue::constant(v); }
Epilogue acc() { return Epilogue::acc(); }

//===--- Parsing ----------------------------------------------------------===//

TEST(EpilogueParse, Precedence) {
  EXPECT_EQ(parseOk("i + j * 2"), lbl('i') + lbl('j') * num(2));
  EXPECT_EQ(parseOk("i * j + 2"), lbl('i') * lbl('j') + num(2));
  EXPECT_EQ(parseOk("(i + j) * 2"), (lbl('i') + lbl('j')) * num(2));
  // Left-associative at each level.
  EXPECT_EQ(parseOk("acc - i - j"), acc() - lbl('i') - lbl('j'));
  EXPECT_EQ(parseOk("acc / 2 / 4"), acc() / num(2) / num(4));
  EXPECT_EQ(parseOk("acc - (i - j)"), acc() - (lbl('i') - lbl('j')));
  // A comparison binds loosest.
  EXPECT_EQ(parseOk("select(j + 1 <= i * 2, acc, 0)"),
            Epilogue::select(Epilogue::binary(EpilogueOp::Le, lbl('j') + num(1),
                                              lbl('i') * num(2)),
                             acc(), num(0)));
}

TEST(EpilogueParse, UnaryMinus) {
  // Binds tighter than '*', and folds into a literal.
  EXPECT_EQ(parseOk("-acc * 2"), (-acc()) * num(2));
  EXPECT_EQ(parseOk("-(acc * 2)"), -(acc() * num(2)));
  EXPECT_EQ(parseOk("-2"), num(-2));
  EXPECT_EQ(parseOk("- 2 * i"), num(-2) * lbl('i'));
  EXPECT_EQ(parseOk("i - -2"), lbl('i') - num(-2));
  EXPECT_EQ(parseOk("--acc"), -(-acc()));
  EXPECT_EQ(parseOk("-inf"), num(-INFINITY));
  EXPECT_EQ(parseOk("acc * -i"), acc() * -lbl('i'));
}

TEST(EpilogueParse, NumbersAndNames) {
  EXPECT_EQ(parseOk("123").root().value, 123);
  EXPECT_EQ(parseOk("0.125").root().value, 0.125);
  EXPECT_EQ(parseOk("1e-3").root().value, 1e-3);
  EXPECT_EQ(parseOk("1.5E+2").root().value, 150);
  EXPECT_EQ(parseOk("3.").root().value, 3);
  EXPECT_EQ(parseOk("inf").root().value, INFINITY);
  EXPECT_EQ(parseOk("acc").root().op, EpilogueOp::Acc);
  EXPECT_EQ(parseOk(" \tacc  ").root().op, EpilogueOp::Acc);
  EXPECT_EQ(parseOk("e"), lbl('e'));
  EXPECT_EQ(parseOk("Z"), lbl('Z'));
}

TEST(EpilogueParse, Calls) {
  EXPECT_EQ(parseOk("abs(i - j)"),
            Epilogue::call(EpilogueOp::Abs, {lbl('i') - lbl('j')}));
  EXPECT_EQ(parseOk("max(acc, 0)"),
            Epilogue::call(EpilogueOp::Max, {acc(), num(0)}));
  EXPECT_EQ(parseOk("min(exp(acc), log(sqrt(i)))"),
            Epilogue::call(EpilogueOp::Min,
                           {Epilogue::call(EpilogueOp::Exp, {acc()}),
                            Epilogue::call(EpilogueOp::Log,
                                           {Epilogue::call(EpilogueOp::Sqrt,
                                                           {lbl('i')})})}));
  // A parenthesized comparison is still a condition.
  EXPECT_EQ(parseOk("select((j != i), acc, -inf)"),
            parseOk("select(j != i, acc, -inf)"));
}

TEST(EpilogueParse, Operands) {
  Epilogue e = parseOk("$0[h] + $12[b,h] + $3[] + $1 [ i , j ]");
  EXPECT_EQ(e, Epilogue::operand(0, "h") + Epilogue::operand(12, "bh") +
                   Epilogue::operand(3, "") + Epilogue::operand(1, "ij"));
  EXPECT_EQ(e.str(), "$0[h] + $12[b,h] + $3[] + $1[i,j]");
  EXPECT_EQ(e.operandCount(), 13u);
}

TEST(EpilogueParse, Diagnostics) {
  struct Case {
    const char *text, *message;
  } cases[] = {
      {"acc * $0[h]x", "unexpected 'x' at column 12"},
      {"", "unexpected end of expression at column 1"},
      {"acc *", "unexpected end of expression at column 6"},
      {"acc $", "unexpected '$' at column 5"},
      {"acc = 1", "unexpected '=' at column 5"},
      {"acc\x01", "unexpected byte 0x01 at column 4"},
      {"(acc", "expected ')' but found end of expression at column 5"},
      {"(acc]", "expected ')' but found ']' at column 5"},
      {"accu", "unknown name 'accu' at column 1"},
      {"acc + ij", "unknown name 'ij' at column 7"},
      {"foo(acc)", "unknown function 'foo' at column 1"},
      {"i(acc)", "unknown function 'i' at column 1"},
      {"abs(acc, 1)", "'abs' takes 1 argument, got 2 at column 1"},
      {"max(acc)", "'max' takes 2 arguments, got 1 at column 1"},
      {"select(i < j, 1)", "'select' takes 3 arguments, got 2 at column 1"},
      {"max(acc 1)", "expected ',' or ')' but found '1' at column 9"},
      {"2e", "malformed number '2e' at column 1"},
      {"1e+x", "malformed number '1e' at column 1"},
      {"1e999", "number '1e999' is out of range at column 1"},
      {"$x", "expected an operand number after '$' but found 'x' at column 2"},
      {"$1234567[h]", "operand number $1234567 is too large at column 1"},
      {"$0 h", "expected '[' after '$0' but found 'h' at column 4"},
      {"$0[hh]", "unknown name 'hh' at column 4"},
      {"$0[h;i]", "expected ',' or ']' but found ';' at column 5"},
      {"$0[h", "expected ',' or ']' but found end of expression at column 5"},
      {"$0[h,]", "unexpected ']' at column 6"},
      {"$0[i < j]",
       "comparison '<' is only allowed as the condition of select at column "
       "6"},
      {"rel_bucket(j - i, 32, 128)",
       "'rel_bucket' takes 4 arguments, got 3 at column 1"},
      {"$0[rel_bucket(j - i, 32, 128, 1, 0), h]",
       "'rel_bucket' takes 4 arguments, got 5 at column 4"},
      {"acc <= 1",
       "comparison '<=' is only allowed as the condition of select at column "
       "5"},
      {"(i < j) * acc",
       "comparison '<' is only allowed as the condition of select at column "
       "4"},
      {"acc + (i == j)",
       "comparison '==' is only allowed as the condition of select at column "
       "10"},
      {"-(i != j)",
       "comparison '!=' is only allowed as the condition of select at column "
       "5"},
      {"max(acc, i >= j)",
       "comparison '>=' is only allowed as the condition of select at column "
       "12"},
      {"select(i < j, i > j, 0)",
       "comparison '>' is only allowed as the condition of select at column "
       "17"},
      {"i < j < 2",
       "comparison '<' is only allowed as the condition of select at column "
       "3"},
      {"select(acc, 1, 2)",
       "the condition of select must be a comparison at column 8"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(parseError(c.text),
              std::string("epilogue '") + c.text + "': " + c.message)
        << c.text;
}

//===--- Printing ---------------------------------------------------------===//

TEST(EpiloguePrint, CanonicalForms) {
  EXPECT_EQ(canonical("acc*0.125-$0[h]*abs(i-j)"),
            "acc * 0.125 - $0[h] * abs(i - j)");
  EXPECT_EQ(canonical("select(j<=i,acc*0.125-$0[h]*(i-j),-inf)"),
            "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)");
  EXPECT_EQ(canonical("((acc))"), "acc");
  EXPECT_EQ(canonical("(acc * 2) + (i * j)"), "acc * 2 + i * j");
  EXPECT_EQ(canonical("(acc + 2) * (i - j)"), "(acc + 2) * (i - j)");
  EXPECT_EQ(canonical("acc / (2 * i)"), "acc / (2 * i)");
  EXPECT_EQ(canonical("(acc / 2) * i"), "acc / 2 * i");
  EXPECT_EQ(canonical("--acc"), "-(-acc)");
  EXPECT_EQ(canonical("-(2)"), "-2");
  EXPECT_EQ(canonical("-(-2)"), "2");
  EXPECT_EQ(canonical("3.0 + 1e2 + 0.5 + 1e-3 + 1e20"),
            "3 + 100 + 0.5 + 0.001 + 1e+20");
  EXPECT_EQ(canonical("-0"), "-0");
  EXPECT_EQ(canonical("0.1"), "0.1");
  EXPECT_EQ(canonical("inf - -inf"), "inf - -inf");
}

TEST(EpiloguePrint, FixedPointOverManyExpressions) {
  const char *texts[] = {
      "acc",
      "acc*0.125-$0[h]*abs(i-j)",
      "select(j<=i,acc*0.125-$0[h]*(i-j),-inf)",
      "acc * 0.125 - $0[h] * abs(i + 7 - j)",
      "acc*0.125+$0[h]*j",
      "max(acc + $0[k], 0)",
      "(acc)",
      "-(-(acc))",
      "-(acc - 1) / -(2)",
      "acc - (i - (j - (1 - acc)))",
      "acc / (i / (j / 2))",
      "((acc * i) * j) * 2",
      "acc * (i * (j * 2))",
      "select(i == j, 1, select(i < j, -1, 0))",
      "select((i + 1) * 2 >= j - 3, exp(-acc), log(sqrt(abs(acc))))",
      "min(max(acc, -1e30), 1e30)",
      "$0[b,h,i,j] * $1[] + $2[j]",
      "0.30000000000000004 * acc",
      "1e-300 + 123456789012345 + 1234567890123456 + 5e-324",
      "- 0.5 * acc",
      "acc * -i - -j",
      "acc+$0[rel_bucket(j-i,32,128,1),h]",
      "$0[rel_bucket(j - (i + 5), 16, 64, 0), h] * 2",
      "$0[ i+1 , h ] - $1[-i + 4, 0]",
      "rel_bucket(-(i - j), 8, 20, 1) + acc",
  };
  for (const char *t : texts) {
    Epilogue once = parseOk(t);
    std::string printed = once.str();
    Epilogue twice = parseOk(printed);
    EXPECT_EQ(twice.str(), printed) << t;
    EXPECT_EQ(twice, once) << t << " -> " << printed;
  }
}

using OperandMaker = std::function<Epilogue(std::mt19937 &)>;

Epilogue anyOperand(std::mt19937 &rng) {
  return Epilogue::operand(rng() % 3, std::string("hij").substr(0, rng() % 4));
}

/// A random well-typed tree. Neg never wraps a literal: `-2` reads back as
/// the literal -2, a different tree with the same value.
Epilogue randomTree(std::mt19937 &rng, int depth,
                    const OperandMaker &makeOperand = anyOperand) {
  auto pick = [&](int n) { return int(rng() % n); };
  if (depth == 0 || pick(4) == 0) {
    switch (pick(4)) {
    case 0:
      return acc();
    case 1: {
      const double values[] = {0,         1,        2.5,       -3,
                               0.125,     1e-7,     123456.75, 1e20,
                               -INFINITY, INFINITY, -0.0,      0.1};
      return num(values[pick(12)]);
    }
    case 2:
      return lbl("bhij"[pick(4)]);
    default:
      return makeOperand(rng);
    }
  }
  auto sub = [&] { return randomTree(rng, depth - 1, makeOperand); };
  switch (pick(9)) {
  case 0: {
    Epilogue a = sub();
    if (a.root().op == EpilogueOp::Number)
      return a;
    return -a;
  }
  case 1:
  case 2: {
    const EpilogueOp ops[] = {EpilogueOp::Add, EpilogueOp::Sub, EpilogueOp::Mul,
                              EpilogueOp::Div};
    return Epilogue::binary(ops[pick(4)], sub(), sub());
  }
  case 3:
  case 4: {
    const EpilogueOp ops[] = {EpilogueOp::Add, EpilogueOp::Sub, EpilogueOp::Mul,
                              EpilogueOp::Div};
    Epilogue l = sub();
    return Epilogue::binary(ops[pick(4)], l, sub());
  }
  case 5: {
    const EpilogueOp fns[] = {EpilogueOp::Abs, EpilogueOp::Exp, EpilogueOp::Log,
                              EpilogueOp::Sqrt};
    return Epilogue::call(fns[pick(4)], {sub()});
  }
  case 6:
    return Epilogue::call(pick(2) ? EpilogueOp::Min : EpilogueOp::Max,
                          {sub(), sub()});
  default: {
    const EpilogueOp cmps[] = {EpilogueOp::Lt, EpilogueOp::Le, EpilogueOp::Gt,
                               EpilogueOp::Ge, EpilogueOp::Eq, EpilogueOp::Ne};
    return Epilogue::select(Epilogue::binary(cmps[pick(6)], sub(), sub()),
                            sub(), sub());
  }
  }
}

TEST(EpiloguePrint, RandomTreesSurviveTheRoundTrip) {
  std::mt19937 rng(1234);
  for (int n = 0; n < 2000; ++n) {
    Epilogue e = randomTree(rng, 5);
    std::string text = e.str();
    Epilogue back = parseOk(text);
    ASSERT_EQ(back, e) << text << " reads back as " << back.str();
    ASSERT_EQ(back.str(), text);
  }
}

TEST(EpiloguePrint, ComputedIndicesSurviveTheRoundTrip) {
  std::mt19937 rng(4321);
  auto computed = [](std::mt19937 &r) {
    Epilogue rel =
        lbl("hij"[r() % 3]) - lbl('j') + num(double(int(r() % 9) - 4));
    unsigned k = r() % 3;
    switch (r() % 3) {
    case 0:
      return Epilogue::operand(
          k, {Epilogue::relBucket(rel, 32, 128, r() % 2), lbl('h')});
    case 1:
      return Epilogue::operand(k, {rel});
    default:
      return Epilogue::operand(k, {lbl('i'), -lbl('j') + num(5)});
    }
  };
  for (int n = 0; n < 1000; ++n) {
    Epilogue e = randomTree(rng, 4, computed);
    std::string text = e.str();
    Epilogue back = parseOk(text);
    ASSERT_EQ(back, e) << text << " reads back as " << back.str();
    ASSERT_EQ(back.str(), text);
  }
}

TEST(EpiloguePrint, CanonicalText) {
  EXPECT_EQ(parseOk("acc*2").str(), "acc * 2");
  EXPECT_EQ(parseOk("((acc))-(1)").str(), "acc - 1");
}

//===--- Construction, queries, transforms --------------------------------===//

TEST(EpilogueBuild, ConstructorsMatchParsing) {
  Epilogue alibi = acc() * num(0.125) -
                   Epilogue::operand(0, "h") *
                       Epilogue::call(EpilogueOp::Abs, {lbl('i') - lbl('j')});
  EXPECT_EQ(alibi.str(), "acc * 0.125 - $0[h] * abs(i - j)");
  EXPECT_EQ(alibi, parseOk("acc * 0.125 - $0[h] * abs(i - j)"));
  Epilogue causal = Epilogue::select(
      Epilogue::binary(EpilogueOp::Le, lbl('j'), lbl('i')),
      acc() * num(0.125) - Epilogue::operand(0, "h") * (lbl('i') - lbl('j')),
      num(-INFINITY));
  EXPECT_EQ(causal.str(),
            "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)");
  EXPECT_EQ(Epilogue().str(), "acc");
}

TEST(EpilogueBuild, Queries) {
  Epilogue e = parseOk("acc * 0.125 - $0[h] * abs(i - j) + $2[b]");
  EXPECT_FALSE(e.isIdentity());
  EXPECT_TRUE(Epilogue().isIdentity());
  EXPECT_TRUE(parseOk("(acc)").isIdentity());
  EXPECT_FALSE(parseOk("acc + 0").isIdentity());
  EXPECT_TRUE(e.usesAcc());
  EXPECT_FALSE(parseOk("$0[h] * i").usesAcc());
  EXPECT_TRUE(e.usesLabel('h')); // only as an operand index
  EXPECT_TRUE(e.usesLabel('b'));
  EXPECT_TRUE(e.usesLabel('i'));
  EXPECT_FALSE(e.usesLabel('d'));
  EXPECT_EQ(e.operandCount(), 3u);
  EXPECT_EQ(parseOk("acc * 2").operandCount(), 0u);
}

TEST(EpilogueBuild, SubstituteAccComposes) {
  Epilogue scale = parseOk("acc * 0.125");
  Epilogue bias = parseOk("acc - $0[h] * abs(i - j)");
  Epilogue both = bias.substituteAcc(scale);
  EXPECT_EQ(both.str(), "acc * 0.125 - $0[h] * abs(i - j)");
  // Parentheses appear where the inner expression binds more loosely.
  Epilogue twice = parseOk("acc * 2").substituteAcc(parseOk("acc + 1"));
  EXPECT_EQ(twice.str(), "(acc + 1) * 2");
  // Every use is replaced; the inner acc is the accumulator, not replaced
  // again.
  EXPECT_EQ(
      parseOk("max(acc, acc * acc)").substituteAcc(parseOk("acc - 1")).str(),
      "max(acc - 1, (acc - 1) * (acc - 1))");
  EXPECT_EQ(parseOk("i * 2").substituteAcc(parseOk("acc + 1")).str(), "i * 2");
  // Composition agrees with applying one after the other.
  auto noOperands = [](unsigned, llvm::ArrayRef<int64_t>) { return 0.0; };
  int64_t values[] = {0, 1, 5, 2};
  double inner = twice.evaluate(3.0, "bhij", values, noOperands);
  EXPECT_EQ(inner, (3.0 + 1) * 2);
}

TEST(EpilogueBuild, RemapOperandsAndRenameLabels) {
  Epilogue e = parseOk("$0[h] + $1[i] * $0[h]");
  unsigned newIndex[] = {2, 0};
  EXPECT_EQ(e.remapOperands(newIndex).str(), "$2[h] + $0[i] * $2[h]");
  Epilogue r = parseOk("$0[h,i] * abs(i - j) + h")
                   .renameLabels({{'i', 'q'}, {'j', 'k'}, {'x', 'y'}});
  EXPECT_EQ(r.str(), "$0[h,q] * abs(q - k) + h");
  // Swapping is simultaneous, not sequential.
  EXPECT_EQ(parseOk("i - j").renameLabels({{'i', 'j'}, {'j', 'i'}}).str(),
            "j - i");
}

//===--- Checks -----------------------------------------------------------===//

std::string checkError(const Epilogue &e, llvm::StringRef labels,
                       std::vector<TensorType> operands) {
  std::map<char, int64_t> sizes = {{'b', 2}, {'h', 4}, {'i', 5}, {'j', 6}};
  if (llvm::Error err = e.check(labels, operands, sizes))
    return firstMessage(std::move(err));
  return "<ok>";
}

TEST(EpilogueCheck, AcceptsWellFormedUses) {
  EXPECT_EQ(checkError(parseOk("acc * 0.125 - $0[h] * abs(i - j)"), "bhij",
                       {TensorType::f32({4})}),
            "<ok>");
  // Broadcast dimensions, scalars, f64, a label used twice.
  EXPECT_EQ(checkError(parseOk("$0[h,i,j] + $1[] + $2[i,i]"), "bhij",
                       {TensorType::f32({1, 5, 1}), TensorType::f64({}),
                        TensorType::f32({5, 1})}),
            "<ok>");
  // Unused operands are allowed.
  EXPECT_EQ(checkError(parseOk("acc"), "", {TensorType::f32({3})}), "<ok>");
}

TEST(EpilogueCheck, Diagnostics) {
  auto f32 = [](std::vector<int64_t> s) { return TensorType::f32(s); };
  EXPECT_EQ(checkError(parseOk("acc * k"), "bhij", {}),
            "epilogue 'acc * k': label 'k' is not a loop label of the node "
            "(loop labels: bhij)");
  EXPECT_EQ(checkError(parseOk("acc * i"), "", {}),
            "epilogue 'acc * i': label 'i' is not a loop label: the node has "
            "none");
  EXPECT_EQ(checkError(parseOk("$0[d]"), "bhij", {f32({4})}),
            "epilogue '$0[d]': label 'd' is not a loop label of the node "
            "(loop labels: bhij)");
  EXPECT_EQ(checkError(parseOk("acc - $1[h]"), "bhij", {f32({4})}),
            "epilogue 'acc - $1[h]': operand $1 does not exist: the node has "
            "1 epilogue operand");
  EXPECT_EQ(checkError(parseOk("acc - $0[h]"), "bhij", {}),
            "epilogue 'acc - $0[h]': operand $0 does not exist: the node has "
            "0 epilogue operands");
  EXPECT_EQ(checkError(parseOk("$0[h,i]"), "bhij", {f32({4})}),
            "epilogue '$0[h,i]': operand $0 has type f32[4] but is indexed "
            "by 2 labels; expected 1");
  EXPECT_EQ(checkError(parseOk("$0[h]"), "bhij", {f32({4, 5})}),
            "epilogue '$0[h]': operand $0 has type f32[4,5] but is indexed "
            "by 1 label; expected 2");
  EXPECT_EQ(checkError(parseOk("$0[h,j]"), "bhij", {f32({4, 5})}),
            "epilogue '$0[h,j]': dimension 1 of operand $0 (f32[4,5]) is 5 "
            "but label 'j' has size 6; expected 6 or 1");
  EXPECT_EQ(checkError(parseOk("$0[h]"), "bhij", {TensorType::i64({4})}),
            "epilogue '$0[h]': operand $0 has type i64[4]; expected a float "
            "type");
  // Trees built by hand get the checks the parser makes.
  EXPECT_EQ(checkError(Epilogue::binary(EpilogueOp::Lt, acc(), num(0)) + num(1),
                       "bhij", {}),
            "epilogue '(acc < 0) + 1': comparison '<' is only allowed as the "
            "condition of select");
  EXPECT_EQ(checkError(Epilogue::select(acc(), num(1), num(2)), "bhij", {}),
            "epilogue 'select(acc, 1, 2)': the condition of select must be a "
            "comparison");
  EXPECT_EQ(checkError(acc() * num(NAN), "bhij", {}),
            "epilogue 'acc * nan': constant nan is not allowed");
  EpilogueExpr bad;
  bad.op = EpilogueOp::Max;
  bad.children.push_back(EpilogueExpr());
  EXPECT_EQ(checkError(Epilogue(bad), "bhij", {}),
            "epilogue 'max(acc)': 'max' has 1 operands; it takes 2");
}

//===--- Evaluation -------------------------------------------------------===//

TEST(EpilogueEval, MatchesHandComputation) {
  double slopes[] = {0.5, 0.25, 0.125};
  auto slopeAt = [&](unsigned k, llvm::ArrayRef<int64_t> idx) {
    EXPECT_EQ(k, 0u);
    return slopes[idx[0]];
  };
  int64_t at[] = {0, 1, 5, 2}; // b, h, i, j
  Epilogue alibi = parseOk("acc * 0.125 - $0[h] * abs(i - j)");
  EXPECT_EQ(alibi.evaluate(4.0, "bhij", at, slopeAt), 4.0 * 0.125 - 0.25 * 3);
  int64_t above[] = {0, 2, 1, 4};
  EXPECT_EQ(alibi.evaluate(-1.0, "bhij", above, slopeAt), -0.125 - 0.125 * 3);

  Epilogue causal =
      parseOk("select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)");
  EXPECT_EQ(causal.evaluate(4.0, "bhij", at, slopeAt), 0.5 - 0.25 * 3);
  EXPECT_EQ(causal.evaluate(4.0, "bhij", above, slopeAt), -INFINITY);
  // The diagonal is kept.
  int64_t diag[] = {0, 0, 3, 3};
  EXPECT_EQ(causal.evaluate(4.0, "bhij", diag, slopeAt), 0.5);
  // Labels bind by position in the label string, not by name order.
  int64_t swapped[] = {2, 5, 1, 0}; // j, i, h, b
  EXPECT_EQ(alibi.evaluate(4.0, "jihb", swapped, slopeAt),
            4.0 * 0.125 - 0.25 * 3);
}

TEST(EpilogueEval, ScalarSemantics) {
  auto none = [](unsigned, llvm::ArrayRef<int64_t>) { return 0.0; };
  auto eval = [&](llvm::StringRef text, double a) {
    return parseOk(text).evaluate(a, "", {}, none);
  };
  EXPECT_EQ(eval("acc / 4 - 1", 2), -0.5);
  EXPECT_EQ(eval("2 - 3 - 4", 0), -5);
  EXPECT_EQ(eval("2 / 4 / 8", 0), 1.0 / 16);
  EXPECT_EQ(eval("-acc * -acc", 3), 9);
  EXPECT_EQ(eval("abs(acc)", -2), 2);
  EXPECT_EQ(eval("exp(acc)", 1), std::exp(1.0));
  EXPECT_EQ(eval("log(acc)", 8), std::log(8.0));
  EXPECT_EQ(eval("sqrt(acc)", 2), std::sqrt(2.0));
  EXPECT_EQ(eval("min(acc, 1)", 3), 1);
  EXPECT_EQ(eval("max(acc, 1)", 3), 3);
  // min and max propagate NaN as the min and max ops do.
  EXPECT_TRUE(std::isnan(eval("max(acc, 1)", NAN)));
  EXPECT_TRUE(std::isnan(eval("min(1, acc)", NAN)));
  EXPECT_EQ(eval("select(acc < 1, 10, 20)", 0), 10);
  EXPECT_EQ(eval("select(acc < 1, 10, 20)", 1), 20);
  EXPECT_EQ(eval("select(acc <= 1, 10, 20)", 1), 10);
  EXPECT_EQ(eval("select(acc > 1, 10, 20)", 1), 20);
  EXPECT_EQ(eval("select(acc >= 1, 10, 20)", 1), 10);
  EXPECT_EQ(eval("select(acc == 1, 10, 20)", 1), 10);
  EXPECT_EQ(eval("select(acc != 1, 10, 20)", 1), 20);
  // Comparisons with NaN are false, except !=.
  EXPECT_EQ(eval("select(acc == acc, 10, 20)", NAN), 20);
  EXPECT_EQ(eval("select(acc != acc, 10, 20)", NAN), 10);
  EXPECT_EQ(eval("acc - inf", 1), -INFINITY);
}

TEST(EpilogueEval, ProgramMatchesTreeWalk) {
  // f64 operands indexed with broadcasting: $0 is [H], $1 is [1, J] (i
  // broadcast), $2 a scalar.
  // $3 is a [8, 3] table read at a computed bucket, $4 a [7] vector read
  // at i + 1.
  std::vector<TensorType> types = {
      TensorType::f64({3}), TensorType::f64({1, 6}), TensorType::f64({}),
      TensorType::f64({8, 3}), TensorType::f64({7})};
  std::vector<std::vector<double>> data = {
      {0.5, 0.25, 0.125}, {1, -2, 3, -4, 5, -6}, {7}, {}, {}};
  for (int n = 0; n < 24; ++n)
    data[3].push_back(0.5 * n - 3);
  for (int n = 0; n < 7; ++n)
    data[4].push_back(10.0 + n);
  auto access = [&](unsigned k, llvm::ArrayRef<int64_t> idx) -> double {
    // The tree walk leaves broadcasting to the accessor.
    if (k == 0)
      return data[0][idx[0]];
    if (k == 1)
      return data[1][idx[1]];
    if (k == 3)
      return data[3][idx[0] * 3 + idx[1]];
    if (k == 4)
      return data[4][idx[0]];
    return data[2][0];
  };
  std::vector<const double *> ptrs = {data[0].data(), data[1].data(),
                                      data[2].data(), data[3].data(),
                                      data[4].data()};
  std::map<char, int64_t> sizes = {{'h', 3}, {'i', 5}, {'j', 6}};
  std::mt19937 rng(99);
  for (int n = 0; n < 300; ++n) {
    Epilogue fixed =
        randomTree(rng, 4, [](std::mt19937 &r) {
          const char *refs[] = {"h", "ij", ""};
          unsigned k = r() % 5;
          if (k == 3)
            return Epilogue::operand(
                3, {Epilogue::relBucket(lbl('j') - lbl('i') +
                                            num(double(int(r() % 7) - 3)),
                                        8, 20, r() % 2),
                    lbl('b')});
          if (k == 4)
            return Epilogue::operand(4, {lbl('i') + num(1)});
          return Epilogue::operand(k, refs[k]);
        }).renameLabels({{'b', 'h'}});
    if (llvm::Error err = fixed.check("hij", types, sizes))
      FAIL() << fixed.str() << ": " << firstMessage(std::move(err));
    reference::EpilogueProgram program(fixed, "hij", types);
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 5; ++i)
        for (int64_t j = 0; j < 6; ++j) {
          int64_t at[] = {h, i, j};
          double a = 0.37 * double(h * 30 + i * 6 + j) - 4;
          double want = fixed.evaluate(a, "hij", at, access);
          double got = program.run(a, at, ptrs);
          if (std::isnan(want))
            ASSERT_TRUE(std::isnan(got)) << fixed.str();
          else
            ASSERT_EQ(got, want) << fixed.str();
        }
  }
}

//===--- Index expressions and rel_bucket ---------------------------------===//

Epilogue relTable() {
  return Epilogue::operand(
      0, {Epilogue::relBucket(lbl('j') - lbl('i'), 32, 128, true), lbl('h')});
}

TEST(EpilogueIndex, ParsesAndPrints) {
  EXPECT_EQ(parseOk("$0[rel_bucket(j - i, 32, 128, 1), h]"), relTable());
  EXPECT_EQ(parseOk(" $0[ rel_bucket( j-i ,32,128,1.0 ),h ] "), relTable());
  EXPECT_EQ(relTable().str(), "$0[rel_bucket(j - i, 32, 128, 1), h]");
  // A plain label is the same tree whichever constructor built it.
  EXPECT_EQ(Epilogue::operand(0, "hi"),
            Epilogue::operand(0, {lbl('h'), lbl('i')}));
  EXPECT_EQ(parseOk("$0[h,i]").str(), "$0[h,i]");
  // Computed indices are spaced like call arguments.
  EXPECT_EQ(canonical("$0[i+1,h]"), "$0[i + 1, h]");
  EXPECT_EQ(canonical("$0[(i+1)]"), "$0[i + 1]");
  EXPECT_EQ(canonical("$0[0]"), "$0[0]");
  EXPECT_EQ(canonical("$2[rel_bucket(j-(i+7),16,64,0),h]"),
            "$2[rel_bucket(j - (i + 7), 16, 64, 0), h]");
  EXPECT_EQ(canonical("acc + rel_bucket(i, 8, 20, 1)"),
            "acc + rel_bucket(i, 8, 20, 1)");
  Epilogue nested = parseOk("$1[$0[h], i]");
  EXPECT_EQ(nested.operandCount(), 2u);
}

TEST(EpilogueIndex, QueriesAndTransformsSeeInsideIndices) {
  Epilogue e = parseOk("acc + $1[rel_bucket(j - i, 32, 128, 1), h] + $0[b]");
  EXPECT_TRUE(e.usesLabel('j'));
  EXPECT_TRUE(e.usesLabel('h'));
  EXPECT_FALSE(e.usesLabel('k'));
  EXPECT_EQ(e.operandCount(), 2u);
  EXPECT_EQ(e.renameLabels({{'i', 'q'}, {'j', 'k'}, {'h', 'n'}}).str(),
            "acc + $1[rel_bucket(k - q, 32, 128, 1), n] + $0[b]");
  unsigned newIndex[] = {1, 0};
  EXPECT_EQ(e.remapOperands(newIndex).str(),
            "acc + $0[rel_bucket(j - i, 32, 128, 1), h] + $1[b]");
  EXPECT_EQ(parseOk("acc * 2").substituteAcc(e).str(),
            "(acc + $1[rel_bucket(j - i, 32, 128, 1), h] + $0[b]) * 2");
}

std::string checkTable(llvm::StringRef text, TensorType table) {
  return checkError(parseOk(text), "bhij", {table});
}

TEST(EpilogueIndex, CheckAcceptsProvablyInRangeIndices) {
  auto f32 = [](std::vector<int64_t> s) { return TensorType::f32(s); };
  EXPECT_EQ(
      checkTable("acc + $0[rel_bucket(j - i, 32, 128, 1), h]", f32({32, 4})),
      "<ok>");
  // A larger table is fine: only the first 32 rows are read. So is a
  // broadcast head dimension.
  EXPECT_EQ(
      checkTable("$0[rel_bucket(j - (i + 3), 16, 64, 0), h]", f32({40, 1})),
      "<ok>");
  // i in [0, 5), so i + 1 in [1, 6); j - i + 4 in [0, 10).
  EXPECT_EQ(checkTable("$0[i + 1]", f32({6})), "<ok>");
  EXPECT_EQ(checkTable("$0[j - i + 4]", f32({10})), "<ok>");
  EXPECT_EQ(checkTable("$0[-i + 4, 0]", f32({5, 1})), "<ok>");
  EXPECT_EQ(checkTable("acc * rel_bucket(j - i, 8, 20, 1)", f32({1})), "<ok>");
}

TEST(EpilogueIndex, CheckDiagnostics) {
  auto f32 = [](std::vector<int64_t> s) { return TensorType::f32(s); };
  EXPECT_EQ(checkTable("$0[rel_bucket(j - i, 32, 128, 1), h]", f32({16, 4})),
            "epilogue '$0[rel_bucket(j - i, 32, 128, 1), h]': index 0 of $0 "
            "ranges over [0, 32) but the dimension has size 16");
  EXPECT_EQ(checkTable("$0[i + 1]", f32({5})),
            "epilogue '$0[i + 1]': index 0 of $0 ranges over [1, 6) but the "
            "dimension has size 5");
  EXPECT_EQ(checkTable("$0[j - i]", f32({6})),
            "epilogue '$0[j - i]': index 0 of $0 ranges over [-4, 6) but the "
            "dimension has size 6");
  // A computed index never broadcasts.
  EXPECT_EQ(checkTable("$0[i + 0]", f32({1})),
            "epilogue '$0[i + 0]': index 0 of $0 ranges over [0, 5) but the "
            "dimension has size 1");
  EXPECT_EQ(checkTable("$0[i * 2]", f32({10})),
            "epilogue '$0[i * 2]': index 0 of $0: 'i * 2' is not an integer "
            "expression (labels, integer constants, +, - and rel_bucket)");
  EXPECT_EQ(checkTable("$0[h, i + 0.5]", f32({4, 6})),
            "epilogue '$0[h, i + 0.5]': index 1 of $0: '0.5' is not an "
            "integer expression (labels, integer constants, +, - and "
            "rel_bucket)");
  EXPECT_EQ(checkTable("$0[abs(i)]", f32({5})),
            "epilogue '$0[abs(i)]': index 0 of $0: 'abs(i)' is not an integer "
            "expression (labels, integer constants, +, - and rel_bucket)");
  EXPECT_EQ(checkTable("$0[$0[h]]", f32({5})),
            "epilogue '$0[$0[h]]': index 0 of $0: '$0[h]' is not an integer "
            "expression (labels, integer constants, +, - and rel_bucket)");
  EXPECT_EQ(checkTable("$0[i + k]", f32({5})),
            "epilogue '$0[i + k]': index 0 of $0: label 'k' is not a loop "
            "label of the node (loop labels: bhij)");
  EXPECT_EQ(checkTable("$0[i + 9007199254740992]", f32({5})),
            "epilogue '$0[i + 9007199254740992]': index 0 of $0: 'i + "
            "9007199254740992' may reach 9007199254740996, beyond 2^53 where "
            "the arithmetic is no longer exact");
  EXPECT_EQ(checkTable("$0[i + 1, h]", f32({6})),
            "epilogue '$0[i + 1, h]': operand $0 has type f32[6] but is "
            "indexed by 2 indices; expected 1");
  EXPECT_EQ(checkTable("$0[rel_bucket(j - i, n, 128, 1)]", f32({32})),
            "epilogue '$0[rel_bucket(j - i, n, 128, 1)]': index 0 of $0: "
            "rel_bucket's num_buckets must be an integer constant, not 'n'");
  EXPECT_EQ(checkTable("acc + rel_bucket(j - i, 32, 128, 0.5)", f32({1})),
            "epilogue 'acc + rel_bucket(j - i, 32, 128, 0.5)': rel_bucket's "
            "bidirectional must be an integer constant, not '0.5'");
  EXPECT_EQ(checkTable("acc + rel_bucket(j - i, 32, 128, 2)", f32({1})),
            "epilogue 'acc + rel_bucket(j - i, 32, 128, 2)': rel_bucket's "
            "bidirectional is 2; expected 0 or 1");
  EXPECT_EQ(checkTable("acc + rel_bucket(j - i, 3, 128, 1)", f32({1})),
            "epilogue 'acc + rel_bucket(j - i, 3, 128, 1)': rel_bucket's "
            "num_buckets is 3; expected at least 4 and at most 2^30");
  EXPECT_EQ(checkTable("acc + rel_bucket(j - i, 32, 8, 1)", f32({1})),
            "epilogue 'acc + rel_bucket(j - i, 32, 8, 1)': rel_bucket's "
            "max_distance is 8; expected more than the 8 exact buckets and "
            "at most 2^48");
  EXPECT_EQ(checkTable("acc + rel_bucket(acc, 32, 128, 1)", f32({1})),
            "epilogue 'acc + rel_bucket(acc, 32, 128, 1)': the first argument "
            "of rel_bucket: 'acc' is not an integer expression (labels, "
            "integer constants, +, - and rel_bucket)");
  EpilogueExpr bad;
  bad.op = EpilogueOp::RelBucket;
  bad.children.resize(2);
  EXPECT_EQ(checkError(Epilogue(bad), "bhij", {}),
            "epilogue 'rel_bucket(acc, acc)': 'rel_bucket' has 2 operands; it "
            "takes 4");
}

TEST(EpilogueIndex, EvaluatesTheBucketThenReads) {
  // Distances up to 300 reach the logarithmic and the clamped buckets.
  const int64_t n = 300, heads = 2;
  for (bool bidirectional : {true, false}) {
    SCOPED_TRACE(bidirectional);
    std::vector<double> table;
    for (int64_t r = 0; r < 32 * heads; ++r)
      table.push_back(0.25 * double(r) - 1);
    auto read = [&](unsigned k, llvm::ArrayRef<int64_t> idx) {
      EXPECT_EQ(k, 0u);
      return table[idx[0] * heads + idx[1]];
    };
    Epilogue e = parseOk(
        bidirectional ? "acc + $0[rel_bucket(j - (i + 7), 32, 128, 1), h]"
                      : "acc + $0[rel_bucket(j - (i + 7), 32, 128, 0), h]");
    std::vector<TensorType> types = {TensorType::f64({32, heads})};
    std::map<char, int64_t> sizes = {{'h', heads}, {'i', n}, {'j', n}};
    ASSERT_FALSE(bool(e.check("hij", types, sizes)));
    reference::EpilogueProgram program(e, "hij", types);
    const double *ptrs[] = {table.data()};
    std::set<int64_t> seen;
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < n; i += 7)
        for (int64_t j = 0; j < n; j += 3) {
          int64_t bucket =
              relativePositionBucket(j - (i + 7), 32, 128, bidirectional);
          seen.insert(bucket);
          double want = 1.5 + table[bucket * heads + h];
          int64_t at[] = {h, i, j};
          ASSERT_EQ(e.evaluate(1.5, "hij", at, read), want) << i << "," << j;
          ASSERT_EQ(program.run(1.5, at, ptrs), want) << i << "," << j;
        }
    // Exact, logarithmic and clamped buckets were all exercised.
    EXPECT_TRUE(seen.count(0) && seen.count(20) && seen.count(31));
  }
}

TEST(EpilogueIndex, RelBucketAsAValue) {
  auto none = [](unsigned, llvm::ArrayRef<int64_t>) { return 0.0; };
  Epilogue e = parseOk("rel_bucket(j - i, 8, 20, 1)");
  for (int64_t i = 0; i < 40; ++i)
    for (int64_t j = 0; j < 40; ++j) {
      int64_t at[] = {i, j};
      EXPECT_EQ(e.evaluate(0, "ij", at, none),
                double(relativePositionBucket(j - i, 8, 20, true)));
    }
}

} // namespace
