//===- SizeTest.cpp - Sizes known only at run time ------------------------===//
//
// The size expressions (interning, canonical text, arithmetic), their text
// form in types, attributes and epilogues, what the verifier and type
// inference say of them, and how a run binds, checks and instantiates them.
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/SizeBindings.h"
#include "ir/TypeInference.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <thread>

using namespace einsum;

namespace {

int64_t size(SizeExpr e) {
  std::optional<int64_t> s = makeSize(std::move(e));
  EXPECT_TRUE(s.has_value());
  return s.value_or(0);
}

SizeExpr expr(int64_t constant, std::vector<SizeTerm> terms) {
  SizeExpr e;
  e.constant = constant;
  e.terms = std::move(terms);
  return e;
}

std::string messageOf(llvm::Error err) {
  return err ? firstMessage(std::move(err)) : "<no error>";
}

template <typename T> std::string messageOf(llvm::Expected<T> e) {
  return e ? "<no error>" : firstMessage(e.takeError());
}

TEST(Size, EqualExpressionsAreOneHandle) {
  int64_t s = symbolSize("s");
  EXPECT_TRUE(isSymbolicSize(s));
  EXPECT_EQ(s, symbolSize("s"));
  EXPECT_NE(s, symbolSize("t"));
  // Terms in any order, repeated symbols merged: one canonical form.
  int64_t a = size(expr(1, {{"q", 1}, {"k", 2}, {"q", -1}}));
  int64_t b = size(expr(1, {{"k", 2}}));
  EXPECT_EQ(a, b);
  EXPECT_EQ(sizeStr(a), "2*?k+1");
  // No terms left: the number itself.
  EXPECT_EQ(size(expr(7, {{"s", 1}, {"s", -1}})), 7);
  EXPECT_FALSE(isSymbolicSize(7));
}

TEST(Size, CanonicalText) {
  EXPECT_EQ(sizeStr(64), "64");
  EXPECT_EQ(sizeStr(symbolSize("seq_len")), "?seq_len");
  EXPECT_EQ(sizeStr(size(expr(-1, {{"p", 1}}))), "?p-1");
  EXPECT_EQ(sizeStr(size(expr(0, {{"q", -1}, {"k", 1}}))), "?k-?q");
  EXPECT_EQ(sizeStr(size(expr(3, {{"a", -2}}))), "-2*?a+3");
}

TEST(Size, OnlyInternedHandlesAreSymbolic) {
  // A value in the handle range that was never interned is a (bad) number.
  EXPECT_FALSE(isSymbolicSize(kSymbolicSizeBegin + kMaxSymbolicSizes - 1));
  EXPECT_FALSE(isSymbolicSize(-1));
  EXPECT_EQ(sizeStr(-5), "-5");
}

TEST(Size, RefusesBadNamesAndMagnitudes) {
  EXPECT_FALSE(makeSize(expr(0, {{"1x", 1}})).has_value());
  EXPECT_FALSE(makeSize(expr(0, {{"", 1}})).has_value());
  EXPECT_FALSE(makeSize(expr(0, {{"s", kMaxSizeMagnitude + 1}})).has_value());
  EXPECT_FALSE(makeSize(expr(kMaxSizeMagnitude + 1, {{"s", 1}})).has_value());
  EXPECT_FALSE(isSymbolName("a-b"));
  EXPECT_TRUE(isSymbolName("_a9"));
}

TEST(Size, Arithmetic) {
  int64_t s = symbolSize("s"), k = symbolSize("k"), q = symbolSize("q");
  EXPECT_EQ(sizeStr(*addSizes(s, 1)), "?s+1");
  EXPECT_EQ(sizeStr(*subSizes(k, q)), "?k-?q");
  EXPECT_EQ(*subSizes(s, s), 0);
  EXPECT_EQ(*addSizes(3, 4), 7);
  EXPECT_EQ(sizeStr(*scaleSize(*addSizes(s, 1), 16)), "16*?s+16");
  EXPECT_EQ(sizeStr(*multiplySizes(64, s)), "64*?s");
  EXPECT_FALSE(multiplySizes(s, k).has_value());
  EXPECT_EQ(*divideSize(*scaleSize(s, 8), 4), *scaleSize(s, 2));
  EXPECT_FALSE(divideSize(*addSizes(*scaleSize(s, 8), 1), 4).has_value());
  auto [factor, rest] = splitFactor(*scaleSize(*addSizes(s, 1), 6));
  EXPECT_EQ(factor, 6);
  EXPECT_EQ(sizeStr(rest), "?s+1");
  EXPECT_FALSE(scaleSize(s, kMaxSizeMagnitude).has_value() &&
               scaleSize(*scaleSize(s, kMaxSizeMagnitude), 2).has_value());
}

TEST(Size, EvaluatesWithBindings) {
  int64_t d = size(expr(1, {{"k", 1}, {"q", -1}}));
  EXPECT_EQ(*evaluateSize(d, {{"k", 10}, {"q", 4}}), 7);
  EXPECT_EQ(messageOf(evaluateSize(d, {{"k", 10}})),
            "size ?q is not known: no input gives it");
  EXPECT_EQ(messageOf(evaluateSize(*scaleSize(symbolSize("s"), 1 << 30),
                                   {{"s", int64_t(1) << 40}})),
            "size 1073741824*?s overflows with ?s = 1099511627776");
}

TEST(Size, NeverPositiveShapesAreRefused) {
  EXPECT_TRUE(alwaysBelow(size(expr(0, {{"s", -1}})), 1));
  EXPECT_TRUE(alwaysBelow(size(expr(1, {{"s", -1}})), 1));
  EXPECT_FALSE(alwaysBelow(symbolSize("s"), 1));
  EXPECT_FALSE(alwaysBelow(size(expr(0, {{"k", 1}, {"q", -1}})), 1));
  EXPECT_EQ(checkShape({2, size(expr(0, {{"s", -1}}))}),
            "dimension 1 of shape [2,-?s] is -?s, which is never positive");
  EXPECT_EQ(checkShape({2, symbolSize("s")}), "");
}

TEST(Size, InterningFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int64_t> seen(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < 200; ++i)
        symbolSize("t" + std::to_string(i));
      seen[t] = symbolSize("t199");
    });
  for (std::thread &t : threads)
    t.join();
  for (int64_t s : seen)
    EXPECT_EQ(s, seen[0]);
}

//===--- Text form ----------------------------------------------------------===//

Graph parseOk(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "t.eg");
  if (!g) {
    ADD_FAILURE() << firstMessage(g.takeError());
    return Graph();
  }
  return std::move(*g);
}

/// "line:col: message" of the first diagnostic of parsing and verifying.
std::string diagnosticOf(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "t.eg");
  llvm::Error err = g ? verify(*g) : g.takeError();
  if (!err)
    return "<no error>";
  std::vector<Diagnostic> d = takeDiagnostics(std::move(err));
  return std::to_string(d[0].loc.line) + ":" + std::to_string(d[0].loc.col) +
         ": " + d[0].message;
}

TEST(SizeText, TypesAttributesAndEpiloguesRoundTrip) {
  const char *text =
      "graph @g(%q: f32[1,2,?q,8], %k: f32[1,2,?k,8], %n: f32[?p], %p: "
      "f32[?p+1,4]) {\n"
      "  %d = distance {query_offset = ?k-?q} : f32[?q,?k]\n"
      "  %r = reshape %p {shape = [4, ?p+1]} : f32[4,?p+1]\n"
      "  %i = iota {offset = ?k-1} : f32[2*?q]\n"
      "  %s = contraction %q, %k {spec = \"bhid,bhjd->bhij\", epilogue = "
      "\"acc - abs(i + ?k - ?q - j)\"} : f32[1,2,?q,?k]\n"
      "  return %d, %r, %i, %s\n"
      "}\n";
  Graph g = parseOk(text);
  EXPECT_EQ(messageOf(verify(g)), "<no error>");
  EXPECT_EQ(printGraph(g), text);
  EXPECT_EQ(graphSymbols(g), (std::set<std::string>{"k", "p", "q"}));
}

TEST(SizeText, AcceptsOtherSpellingsOfOneSize) {
  Graph g = parseOk("graph @g(%x: f32[?s * 2 - 1 + 3, ?s]) {\n"
                    "  %y = neg %x : f32[2+2*?s, ?s]\n"
                    "  return %y\n"
                    "}\n");
  EXPECT_EQ(g.type(g.outputs()[0]).str(), "f32[2*?s+2,?s]");
}

TEST(SizeText, LocatedErrors) {
  EXPECT_EQ(diagnosticOf("graph @g(%x: f32[?]) {\n  return %x\n}\n"),
            "1:18: expected a size symbol name such as ?s after '?'");
  EXPECT_EQ(diagnosticOf("graph @g(%x: f32[?s*?t]) {\n  return %x\n}\n"),
            "1:21: expected an integer after '*', found '?t'");
  EXPECT_EQ(diagnosticOf("graph @g(%x: f32[-?s]) {\n  return %x\n}\n"),
            "1:14: dimension 0 of shape [-?s] is -?s, which is never "
            "positive");
  EXPECT_EQ(diagnosticOf("graph @g(%x: f32[9007199254740993*?s]) {\n  return "
                         "%x\n}\n"),
            "1:18: size 9007199254740993 is out of range: sizes, "
            "coefficients and offsets are at most 2^52");
  EXPECT_EQ(
      diagnosticOf("graph @g(%x: f32[4]) {\n"
                   "  %d = distance {query_offset = ?k} : f32[4,4]\n"
                   "  return %d\n}\n"),
      "2:8: size ?k in 'distance' producing %d is not given by any graph "
      "argument: a size known only at run time must be a whole dimension of "
      "an input, as in f32[?k]");
  EXPECT_EQ(diagnosticOf("graph @g(%x: f32[?s+1]) {\n  return %x\n}\n"),
            "1:10: size ?s in the type of %x is not given by any graph "
            "argument: a size known only at run time must be a whole "
            "dimension of an input, as in f32[?s]");
}

TEST(SizeText, InferenceNeedsProvableFacts) {
  auto errorOf = [](llvm::StringRef body, llvm::StringRef args =
                                              "%x: f32[?s,4], %y: f32[?t,4]") {
    std::string text = "graph @g(" + args.str() + ") {\n" + body.str() +
                       "\n  return %r\n}\n";
    return diagnosticOf(text);
  };
  EXPECT_EQ(errorOf("  %r = add %x, %y : f32[?s,4]"),
            "2:8: 'add' producing %r: shapes [?s,4] and [?t,4] do not "
            "broadcast: dimension 0 of the result would be ?s and ?t");
  EXPECT_EQ(errorOf("  %r = reshape %x {shape = [-1]} : f32[4*?s]"),
            "<no error>");
  EXPECT_EQ(errorOf("  %r = reshape %x {shape = [2, ?s, 2]} : f32[2,?s,2]"),
            "<no error>");
  EXPECT_EQ(errorOf("  %r = reshape %x {shape = [?t, 4]} : f32[?t,4]"),
            "2:8: 'reshape' producing %r: cannot reshape f32[?s,4] to [?t,4]: "
            "the element counts cannot be proven equal for every value of "
            "the sizes");
  EXPECT_EQ(errorOf("  %r = concat %x, %y {axis = 0} : f32[?s+?t,4]"),
            "<no error>");
  EXPECT_EQ(errorOf("  %r = alibi_slopes : f32[?s]", "%x: f32[?s]"),
            "2:8: 'alibi_slopes' producing %r: result type f32[?s] must have "
            "a static head count: slopes depend on it");
  EXPECT_EQ(
      errorOf("  %r = constant {data = [1.0, 2.0]} : f32[?s]", "%x: f32[?s]"),
      "2:8: 'constant' producing %r: 'data' has 2 values but the result "
      "f32[?s] has a size known only at run time; only a splat 'value' fills "
      "such a shape");
  EXPECT_EQ(errorOf("  %r = attention %x, %x, %x : f32[1,?s,4,4]",
                    "%x: f32[1,?s,4,4]"),
            "2:8: 'attention' producing %r: q f32[1,?s,4,4] and k "
            "f32[1,?s,4,4] must have static head counts: query heads are "
            "grouped over kv heads when the graph is compiled");
}

//===--- Binding and instantiation -------------------------------------===//

TEST(SizeBindings, ReadsSymbolsFromInputs) {
  std::vector<TensorType> declared = {
      TensorType::f32({1, symbolSize("q"), 8}),
      TensorType::f32({1, symbolSize("k"), 8}),
      TensorType::f32({*addSizes(symbolSize("k"), 1)})};
  std::vector<std::string> names = {"q", "k", "pos"};
  llvm::Expected<SizeBindings> b = bindSizes(
      declared, names,
      {TensorType::f32({1, 3, 8}), TensorType::f32({1, 10, 8}),
       TensorType::f32({11})});
  ASSERT_TRUE(bool(b)) << messageOf(b.takeError());
  EXPECT_EQ(*b, (SizeBindings{{"k", 10}, {"q", 3}}));
  EXPECT_EQ(messageOf(bindSizes(declared, names,
                                {TensorType::f32({1, 3, 8}),
                                 TensorType::f32({1, 10, 8}),
                                 TensorType::f32({10})})),
            "input 2 ('pos') has type f32[10], expected f32[?k+1]: dimension "
            "0 is ?k+1, which is 11 with ?k = 10");
  EXPECT_EQ(messageOf(bindSizes(declared, names,
                                {TensorType::f32({1, 3, 9}),
                                 TensorType::f32({1, 10, 8}),
                                 TensorType::f32({11})})),
            "input 0 ('q') has type f32[1,3,9], expected f32[1,?q,8]");
  std::vector<TensorType> shared = {TensorType::f32({symbolSize("s")}),
                                    TensorType::f32({symbolSize("s")})};
  EXPECT_EQ(messageOf(bindSizes(shared, {"a", "b"},
                                {TensorType::f32({4}), TensorType::f32({5})})),
            "input 1 ('b') has type f32[5], expected f32[?s]: ?s is 5 here "
            "but 4 on dimension 0 of input 0 ('a')");
  EXPECT_EQ(messageOf(bindSizes(shared, {"a", "b"},
                                {TensorType::f64({4}), TensorType::f32({4})})),
            "input 0 ('a') has type f64[4], expected f32[?s]");
}

TEST(SizeBindings, RequirementsOfARun) {
  Graph g = parseOk("graph @g(%q: f32[?q], %k: f32[?k]) {\n"
                    "  %d = distance {query_offset = ?k-?q} : f32[?q,?k]\n"
                    "  %e = iota : f32[?k-?q]\n"
                    "  return %d, %e\n"
                    "}\n");
  ASSERT_EQ(messageOf(verify(g)), "<no error>");
  SizeRequirements r(g);
  EXPECT_EQ(messageOf(r.check({{"k", 5}, {"q", 2}})), "<no error>");
  EXPECT_EQ(messageOf(r.check({{"k", 5}, {"q", 5}})),
            "%e: f32[?k-?q]: dimension ?k-?q is 0 with ?k = 5, ?q = 5; "
            "dimensions must be positive");
  EXPECT_EQ(messageOf(r.check({{"k", int64_t(1) << 30}, {"q", 1 << 20}})),
            "%d: f32[?q,?k] with ?k = 1073741824, ?q = 1048576: shape "
            "[1048576,1073741824] has more than 2^48 elements");
}

TEST(SizeBindings, SpecializedGraphIsStaticAndVerifies) {
  Graph g = parseOk(
      "graph @g(%q: f32[1,2,?q,8], %k: f32[1,2,?k,8]) {\n"
      "  %s = contraction %q, %k {spec = \"bhid,bhjd->bhij\", epilogue = "
      "\"acc - abs(i + ?k - ?q - j)\"} : f32[1,2,?q,?k]\n"
      "  %d = distance {query_offset = ?k-?q} : f32[?q,?k]\n"
      "  return %s, %d\n"
      "}\n");
  llvm::Expected<Graph> s = specializeGraph(g, {{"k", 6}, {"q", 2}});
  ASSERT_TRUE(bool(s)) << messageOf(s.takeError());
  EXPECT_EQ(messageOf(verify(*s)), "<no error>");
  EXPECT_EQ(printGraph(*s),
            "graph @g(%q: f32[1,2,2,8], %k: f32[1,2,6,8]) {\n"
            "  %s = contraction %q, %k {spec = \"bhid,bhjd->bhij\", epilogue "
            "= \"acc - abs(i + 6 - 2 - j)\"} : f32[1,2,2,6]\n"
            "  %d = distance {query_offset = 4} : f32[2,6]\n"
            "  return %s, %d\n"
            "}\n");
  EXPECT_TRUE(graphSymbols(*s).empty());
}

TEST(SizeBindings, ExecutableChecksItsInputsAndWritesNothingOnError) {
  registerBuiltinBackends();
  Graph g = parseOk("graph @g(%a: f32[?s], %b: f32[?s]) {\n"
                    "  %c = add %a, %b : f32[?s]\n"
                    "  return %c\n"
                    "}\n");
  for (const std::string &name : registeredBackends()) {
    if (name.find("profile") != std::string::npos)
      continue;
    SCOPED_TRACE(name);
    std::unique_ptr<Backend> backend = llvm::cantFail(createBackend(name));
    llvm::Expected<std::unique_ptr<Executable>> exe = backend->compile(g, {});
    ASSERT_TRUE(bool(exe)) << messageOf(exe.takeError());
    TensorData a(TensorType::f32({3})), b(TensorType::f32({4}));
    TensorData out(TensorType::f32({3}));
    out.set(0, 42);
    EXPECT_EQ(messageOf((*exe)->run({&a, &b}, {&out})),
              "input 1 ('b') has type f32[4], expected f32[?s]: ?s is 4 here "
              "but 3 on dimension 0 of input 0 ('a')");
    EXPECT_EQ(out.get(0), 42);
    TensorData b3(TensorType::f32({3})), wrong(TensorType::f32({4}));
    EXPECT_EQ(messageOf((*exe)->run({&a, &b3}, {&wrong})),
              "output 0 ('c') has type f32[4], expected f32[3]");
    for (int64_t n : {1, 5, 300}) {
      TensorData x(TensorType::f32({n})), y(TensorType::f32({n}));
      for (int64_t i = 0; i < n; ++i) {
        x.set(i, double(i));
        y.set(i, 0.5);
      }
      llvm::Expected<std::vector<TensorData>> r =
          (*exe)->runNamed({{"a", x}, {"b", y}});
      ASSERT_TRUE(bool(r)) << messageOf(r.takeError());
      ASSERT_EQ((*r)[0].type(), TensorType::f32({n}));
      EXPECT_EQ((*r)[0].get(n - 1), double(n - 1) + 0.5);
    }
  }
}

} // namespace
