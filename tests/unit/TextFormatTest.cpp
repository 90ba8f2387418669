//===- TextFormatTest.cpp - Printer, parser and DOT export ----------------===//
#include "ir/Dot.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

using namespace einsum;

namespace {

Graph parseOrDie(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "test.eg");
  if (!g) {
    ADD_FAILURE() << firstMessage(g.takeError());
    return Graph();
  }
  return std::move(*g);
}

/// The one diagnostic parsing `text` gives.
Diagnostic parseError(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "test.eg");
  if (g) {
    ADD_FAILURE() << "parsed:\n" << printGraph(*g);
    return Diagnostic();
  }
  std::vector<Diagnostic> diags = takeDiagnostics(g.takeError());
  EXPECT_EQ(diags.size(), 1u);
  return diags.empty() ? Diagnostic() : diags.front();
}

/// The ALiBi bias graph of the format's documentation, built by API.
Graph buildAlibi() {
  Graph g("alibi");
  TensorId q = g.addInput("q", TensorType::f32({1, 2, 8, 16}));
  TensorId k = g.addInput("k", TensorType::f32({1, 2, 8, 16}));
  g.addParameter("w", TensorType::f32({2}));
  auto node = [&](llvm::StringRef op, std::vector<TensorId> ins, TensorId out,
                  std::vector<NamedAttribute> attrs = {}) {
    llvm::Expected<NodeId> n = g.addNode(op, ins, {out}, attrs);
    EXPECT_TRUE(bool(n)) << (n ? "" : firstMessage(n.takeError()));
    return out;
  };
  TensorId s = node("einsum", {q, k}, g.addTensor("s"),
                    {{"spec", Attribute::ofString("bhid,bhjd->bhij")}});
  TensorId m = node("alibi_slopes", {}, g.addTensor("m", TensorType::f32({2})),
                    {{"max_bias", Attribute::ofFloat(8)}});
  TensorId e = node("expand_dims", {m}, g.addTensor(""),
                    {{"axes", Attribute::ofInts({1, 2})}});
  TensorId d = node("distance", {}, g.addTensor("d", TensorType::f32({8, 8})));
  TensorId b = node("mul", {e, d}, g.addTensor(""));
  node("constant", {}, g.addTensor("c", TensorType::f32({})),
       {{"value", Attribute::ofFloat(0.125)}});
  g.addOutput(node("add", {s, b}, g.addTensor("out")));
  return g;
}

const char *const kAlibiText =
    "graph @alibi(%q: f32[1,2,8,16], %k: f32[1,2,8,16], param %w: f32[2]) {\n"
    "  %s = einsum %q, %k {spec = \"bhid,bhjd->bhij\"} : f32[1,2,8,8]\n"
    "  %m = alibi_slopes : f32[2]\n"
    "  %0 = expand_dims %m {axes = [1, 2]} : f32[2,1,1]\n"
    "  %d = distance : f32[8,8]\n"
    "  %1 = mul %0, %d : f32[2,8,8]\n"
    "  %c = constant {value = 0.125} : f32[]\n"
    "  %out = add %s, %1 : f32[1,2,8,8]\n"
    "  return %out\n"
    "}\n";

//===--- Printing and round trips -----------------------------------------===//

TEST(TextFormat, PrintsApiGraphCanonically) {
  EXPECT_EQ(printGraph(buildAlibi()), kAlibiText);
}

TEST(TextFormat, ParseRebuildsTheSameGraph) {
  Graph built = buildAlibi();
  Graph parsed = parseOrDie(kAlibiText);
  EXPECT_EQ(parsed.name(), "alibi");
  ASSERT_EQ(parsed.numTensors(), built.numTensors());
  ASSERT_EQ(parsed.numNodes(), built.numNodes());
  for (unsigned i = 0; i < built.numTensors(); ++i) {
    EXPECT_EQ(parsed.tensor(TensorId(i)).name, built.tensor(TensorId(i)).name);
    EXPECT_EQ(parsed.type(TensorId(i)), built.type(TensorId(i)));
  }
  for (unsigned i = 0; i < built.numNodes(); ++i) {
    const Node &p = parsed.node(NodeId(i)), &b = built.node(NodeId(i));
    EXPECT_EQ(p.op, b.op);
    EXPECT_EQ(p.inputs, b.inputs);
    EXPECT_EQ(p.outputs, b.outputs);
    EXPECT_EQ(p.attrs, b.attrs) << opName(p.op).str();
  }
  EXPECT_EQ(parsed.inputs(), built.inputs());
  EXPECT_EQ(parsed.parameters(), built.parameters());
  EXPECT_EQ(parsed.outputs(), built.outputs());
  EXPECT_EQ(printGraph(parsed), kAlibiText);
}

TEST(TextFormat, NonCanonicalInputPrintsCanonically) {
  Graph g = parseOrDie("// leading comment\n"
                       "graph @alibi ( %q : f32 [ 1 , 2 , 8 , 16 ] ,\n"
                       "  %k:f32[1,2,8,16],param %w:f32[2]){\n"
                       "  %s=einsum %q,%k{spec=\"bhid,bhjd->bhij\"}:"
                       "f32[1,2,8,8] // trailing comment\n"
                       "  %m = alibi_slopes {max_bias = 8} : f32[2]\n"
                       "  %7 = expand_dims %m {axes = [1,2]} : f32[2,1,1]\n"
                       "  %d = distance {form = \"symmetric\"} : f32[8,8]\r\n"
                       "  %3 = mul %7, %d : f32[2,8,8]\n"
                       "\t%c = constant {value = 1.25e-1} : f32[]\n"
                       "  %out = add %s, %3 : f32[1,2,8,8]\n"
                       "  return %out }");
  EXPECT_EQ(printGraph(g), kAlibiText);
}

TEST(TextFormat, AnonymousTensorsAreNumberedInDefinitionOrder) {
  Graph g("g");
  TensorId a = g.addInput("", TensorType::f32({4}));
  TensorId b = g.addInput("b", TensorType::f32({4}));
  TensorId c = g.addParameter("", TensorType::f32({4}));
  TensorId x = g.addTensor("");
  ASSERT_TRUE(bool(g.addNode("add", {a, b}, {x})));
  TensorId y = g.addTensor("");
  ASSERT_TRUE(bool(g.addNode("mul", {x, c}, {y})));
  g.addOutput(y);
  const char *text = "graph @g(%0: f32[4], %b: f32[4], param %1: f32[4]) {\n"
                     "  %2 = add %0, %b : f32[4]\n"
                     "  %3 = mul %2, %1 : f32[4]\n"
                     "  return %3\n"
                     "}\n";
  EXPECT_EQ(printGraph(g), text);
  // The numbers in the text are only spellings: the parser keeps no name.
  Graph parsed = parseOrDie("graph @g(%10: f32[4], %b: f32[4], param %5: "
                            "f32[4]) {\n"
                            "  %00 = add %10, %b : f32[4]\n"
                            "  %0 = mul %00, %5 : f32[4]\n"
                            "  return %0\n"
                            "}\n");
  for (unsigned i = 0; i < parsed.numTensors(); ++i)
    EXPECT_EQ(parsed.tensor(TensorId(i)).name, i == 1 ? "b" : "");
  EXPECT_EQ(printGraph(parsed), text);
}

TEST(TextFormat, NamesThatAreNotBareAreQuoted) {
  Graph g("my graph");
  TensorId digits = g.addInput("0", TensorType::f32({2}));
  TensorId spaced = g.addInput("a \"b\"\n", TensorType::f32({2}));
  TensorId odd = g.addInput("x.y$-z_1", TensorType::f32({2}));
  TensorId out = g.addTensor("");
  ASSERT_TRUE(bool(g.addNode("add", {digits, spaced}, {out})));
  g.addOutput(out);
  g.addOutput(odd);
  const char *text =
      "graph @\"my graph\"(%\"0\": f32[2], %\"a \\\"b\\\"\\n\": f32[2], "
      "%x.y$-z_1: f32[2]) {\n"
      "  %0 = add %\"0\", %\"a \\\"b\\\"\\n\" : f32[2]\n"
      "  return %0, %x.y$-z_1\n"
      "}\n";
  EXPECT_EQ(printGraph(g), text);
  Graph parsed = parseOrDie(text);
  EXPECT_EQ(parsed.name(), "my graph");
  EXPECT_EQ(parsed.tensor(TensorId(0)).name, "0");
  EXPECT_EQ(parsed.tensor(TensorId(1)).name, "a \"b\"\n");
  EXPECT_EQ(parsed.tensor(TensorId(3)).name, "");
  EXPECT_EQ(printGraph(parsed), text);
}

TEST(TextFormat, EveryByteOfAStringRoundTrips) {
  std::string spec;
  for (int c = 0; c < 256; ++c)
    spec += char(c);
  spec += "é→"; // valid UTF-8 stays readable
  Graph g("g");
  TensorId x = g.addInput("x", TensorType::f32({2}));
  Node n;
  n.op = OpKind::Einsum;
  n.inputs = {x};
  n.outputs = {g.addTensor("y", TensorType::f32({2}))};
  n.attrs = {Attribute::ofString(spec)};
  g.addNodeUnchecked(n);
  std::string text = printGraph(g);
  EXPECT_NE(text.find(R"(\00\01\02)"), std::string::npos);
  EXPECT_NE(text.find(R"(\t\n\0B)"), std::string::npos);
  EXPECT_NE(text.find(R"( !\"#)"), std::string::npos);
  EXPECT_NE(text.find(R"([\\])"), std::string::npos);
  EXPECT_NE(text.find(R"(~\7F\80\81)"), std::string::npos);
  EXPECT_NE(text.find("\\FFé→\""), std::string::npos);
  Graph parsed = parseOrDie(text);
  EXPECT_EQ(parsed.node(NodeId(0)).attrs[0].getString(), spec);
  EXPECT_EQ(printGraph(parsed), text);
}

TEST(TextFormat, AttributesEqualToDefaultsAreOmitted) {
  Graph g = parseOrDie(
      "graph @g(%x: f32[2,8]) {\n"
      "  %a = softmax %x {axis = -1} : f32[2,8]\n"
      "  %b = reduce %a {kind = sum, axes = [1], keepdims = false} : f32[2]\n"
      "  %c = alibi_slopes {max_bias = 8.0, recipe = paper, head_offset = 0, "
      "total_heads = 0} : f32[2]\n"
      "  %d = constant {value = 0, data = []} : f32[]\n"
      "  %e = constant {value = -0.0} : f64[]\n"
      "  return %b, %c, %d, %e\n"
      "}\n");
  EXPECT_EQ(printGraph(g), "graph @g(%x: f32[2,8]) {\n"
                           "  %a = softmax %x : f32[2,8]\n"
                           "  %b = reduce %a {kind = sum, axes = [1]} : "
                           "f32[2]\n"
                           "  %c = alibi_slopes : f32[2]\n"
                           "  %d = constant : f32[]\n"
                           "  %e = constant {value = -0.0} : f64[]\n"
                           "  return %b, %c, %d, %e\n"
                           "}\n");
  EXPECT_TRUE(std::signbit(g.node(NodeId(4)).attrs[0].getFloat()));
}

TEST(TextFormat, FloatsPrintShortestAndF32ConstantsAtFloatPrecision) {
  Graph g = parseOrDie(
      "graph @g() {\n"
      "  %a = constant {value = 0.1, data = [0.1, 1, 1e20, 16777217]} : "
      "f32[4]\n"
      "  %b = constant {value = 0.1, data = [0.1, 1, 1e20, 16777217]} : "
      "f64[4]\n"
      "  %c = constant {data = [inf, -inf, nan, -1.5e-3, 5e-324]} : f64[5]\n"
      "  %d = alibi_slopes {max_bias = 0.30000000000000004} : f32[2]\n"
      "  return\n"
      "}\n");
  std::string text = printGraph(g);
  EXPECT_EQ(text, "graph @g() {\n"
                  "  %a = constant {value = 0.1, data = [0.1, 1.0, 1e+20, "
                  "16777216.0]} : f32[4]\n"
                  "  %b = constant {value = 0.1, data = [0.1, 1.0, 1e+20, "
                  "16777217.0]} : f64[4]\n"
                  "  %c = constant {data = [inf, -inf, nan, -0.0015, "
                  "5e-324]} : f64[5]\n"
                  "  %d = alibi_slopes {max_bias = 0.30000000000000004} : "
                  "f32[2]\n"
                  "  return\n"
                  "}\n");
  EXPECT_EQ(printGraph(parseOrDie(text)), text);
}

TEST(TextFormat, I64ConstantsPrintExactIntegers) {
  // Up to 2^53 every integer is held exactly; an integer attribute holds
  // all of int64.
  std::string text =
      "graph @g(%x: f32[4]) {\n"
      "  %a = constant {data = [9007199254740992, -9007199254740991, 0, 7]} "
      ": i64[4]\n"
      "  %b = constant {value = -3} : i64[]\n"
      "  %c = alibi_slopes {head_offset = 9223372036854775807} : f32[2]\n"
      "  %d = softmax %x {axis = -9223372036854775808} : f32[4]\n"
      "  return %a, %b, %c, %d\n"
      "}\n";
  llvm::Expected<Graph> g = parseGraph(text, "test.eg");
  ASSERT_TRUE(bool(g)) << llvm::toString(g.takeError());
  EXPECT_EQ(printGraph(*g), text);
  EXPECT_EQ(g->node(NodeId(0)).attrs[1].getFloats()[0], 9007199254740992.0);
  EXPECT_EQ(g->node(NodeId(2)).attrs[2].getInt(), INT64_MAX);

  // Written as floats, or as -0, they print as integers too.
  Graph h = parseOrDie("graph @g() {\n"
                       "  %a = constant {data = [4.0, -0.0, 1e3]} : i64[3]\n"
                       "  %b = constant {value = -0.0} : i64[]\n"
                       "  return %a, %b\n"
                       "}\n");
  EXPECT_EQ(printGraph(h), "graph @g() {\n"
                           "  %a = constant {data = [4, 0, 1000]} : i64[3]\n"
                           "  %b = constant : i64[]\n"
                           "  return %a, %b\n"
                           "}\n");
}

TEST(TextFormat, ErasedNodesAreSkipped) {
  Graph g = parseOrDie("graph @g(%x: f32[4]) {\n"
                       "  %a = neg %x : f32[4]\n"
                       "  %b = exp %x : f32[4]\n"
                       "  %c = abs %x : f32[4]\n"
                       "  return %c\n"
                       "}\n");
  g.eraseNode(NodeId(1));
  EXPECT_EQ(printGraph(g), "graph @g(%x: f32[4]) {\n"
                           "  %a = neg %x : f32[4]\n"
                           "  %c = abs %x : f32[4]\n"
                           "  return %c\n"
                           "}\n");
}

TEST(TextFormat, LocationsPointAtOpsAndNames) {
  Graph g = parseOrDie("graph @g(%x: f32[4],\n"
                       "         param %w: f32[4]) {\n"
                       "  %a = add %x, %w : f32[4]\n"
                       "  return %a\n"
                       "}\n");
  const Tensor &w = g.tensor(TensorId(1));
  EXPECT_EQ(w.loc.file, "test.eg");
  EXPECT_EQ(w.loc.line, 2u);
  EXPECT_EQ(w.loc.col, 16u);
  EXPECT_EQ(w.loc.lineText, "         param %w: f32[4]) {");
  const Node &n = g.node(NodeId(0));
  EXPECT_EQ(n.loc.line, 3u);
  EXPECT_EQ(n.loc.col, 8u);
  EXPECT_EQ(n.loc.lineText, "  %a = add %x, %w : f32[4]");
  EXPECT_EQ(g.tensor(n.outputs[0]).loc.col, 3u);
}

//===--- Diagnostics ------------------------------------------------------===//

struct ErrorCase {
  const char *text;
  unsigned line, col;
  const char *message;
};

/// Wraps one node line in a graph so that it is line 2.
std::string inGraph(llvm::StringRef body) {
  return "graph @g(%x: f32[2,4], %i: i64[3]) {\n" + body.str() +
         "\n  return\n}\n";
}

void expectErrors(llvm::ArrayRef<ErrorCase> cases) {
  for (const ErrorCase &c : cases) {
    SCOPED_TRACE(c.text);
    Diagnostic d = parseError(c.text);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, c.line);
    EXPECT_EQ(d.loc.col, c.col);
    EXPECT_EQ(d.loc.file, "test.eg");
  }
}

TEST(TextFormatErrors, Structure) {
  expectErrors({
      {"", 1, 1, "expected 'graph'"},
      {"// nothing\n\n", 3, 1, "expected 'graph'"},
      {"grph @g() {}", 1, 1, "expected 'graph', found 'grph'"},
      {"graph g() {}", 1, 7,
       "expected a graph name such as @main after 'graph', found 'g'"},
      {"graph @() {}", 1, 7, "expected a graph name after '@'"},
      {"graph @g {}", 1, 10, "expected '(' after the graph name, found '{'"},
      {"graph @g(x) {}", 1, 10,
       "expected an argument such as %x: f32[4], found 'x'"},
      {"graph @g(param x) {}", 1, 16,
       "expected an argument name after 'param', found 'x'"},
      {"graph @g(%x f32[2]) {}", 1, 13,
       "expected ':' after the argument name, found 'f32'"},
      {"graph @g(%x: f32[2] %y: f32[2]) {}", 1, 21,
       "expected ',' or ')' after an argument, found '%y'"},
      {"graph @g() return }", 1, 12,
       "expected '{' before the graph body, found 'return'"},
      {"graph @g() {\n}\n", 2, 1, "missing 'return' before '}'"},
      {"graph @g() {\n  neg\n}\n", 2, 3,
       "expected a node such as %y = neg %x : f32[4], or 'return', found "
       "'neg'"},
      {"graph @g(%x: f32[2]) {\n  return %x %x\n}\n", 2, 13,
       "expected ',' or '}' after an output tensor, found '%x'"},
      {"graph @g(%x: f32[2]) {\n  return %x,\n}\n", 3, 1,
       "expected an output tensor after ',', found '}'"},
      {"graph @g(%x: f32[2]) {\n  return 3\n}\n", 2, 10,
       "expected an output tensor or '}' after 'return', found '3'"},
      {"graph @g() {\n  return\n}\ngraph @h() {\n  return\n}\n", 4, 1,
       "expected end of file, found 'graph'"},
  });
}

TEST(TextFormatErrors, EndOfFile) {
  expectErrors({
      {"graph", 1, 6,
       "unexpected end of file, expected a graph name such as @main after "
       "'graph'"},
      {"graph @g(%x: f32[2]", 1, 20,
       "unexpected end of file, expected ',' or ')' after an argument"},
      {"graph @g(%x: f32[2", 1, 19,
       "unexpected end of file, expected ',' or ']' in the shape"},
      {"graph @g() {\n  %a = constant", 2, 16,
       "unexpected end of file, expected ':' before the result type"},
      {"graph @g() {\n  %a = constant {value", 2, 23,
       "unexpected end of file, expected '=' after the attribute name"},
      {"graph @g() {\n  %a = constant {data = [1,", 2, 28,
       "unexpected end of file, expected a number in the list"},
      {"graph @g() {\n  return\n", 3, 1,
       "unexpected end of file, expected an output tensor or '}' after "
       "'return'"},
      {"graph @g() {\n", 2, 1,
       "unexpected end of file, expected a node such as %y = neg %x : "
       "f32[4], or 'return'"},
  });
}

TEST(TextFormatErrors, Lexical) {
  expectErrors({
      {"graph @g() {\n  return # \n}", 2, 10, "invalid character '#'"},
      {"graph @g() {\n  \x01return\n}", 2, 3, "invalid character 0x01"},
      {"graph @g() {\n  \xc3\xa9\n}", 2, 3, "invalid character U+00E9"},
      {"graph @g() {\n  \xff\n}", 2, 3,
       "invalid character: byte 0xFF is not UTF-8"},
      {"graph @\"g\n() {}", 1, 8, "unterminated string"},
      {"graph @\"g", 1, 8, "unterminated string"},
      {"graph @\"g\\q\"() {}", 1, 10,
       "invalid escape '\\q' in string; use \\\", \\\\, \\n, \\t or two hex "
       "digits"},
      {"graph @\"g\\4\"() {}", 1, 10,
       "invalid escape '\\4' in string; use \\\", \\\\, \\n, \\t or two hex "
       "digits"},
      {"graph @g(%: f32[2]) {}", 1, 10, "expected a tensor name after '%'"},
      {"graph @g(%\"\": f32[2]) {}", 1, 10, "tensor name must not be empty"},
      {"graph @g(%x: f32[2x3]) {}", 1, 18, "invalid number literal '2x3'"},
      // A byte that is not ASCII ends no name: it is the error, rather than
      // the name before it being unknown or undefined.
      {inGraph("  %a = ne\xffg %x : f32[2,4]").c_str(), 2, 10,
       "invalid UTF-8 in identifier: byte 0xFF"},
      {inGraph("  %a = n\xc3\xa9g %x : f32[2,4]").c_str(), 2, 9,
       "invalid character U+00E9 in identifier"},
      {inGraph("  %a = neg %x\xe9 : f32[2,4]").c_str(), 2, 14,
       "invalid UTF-8 in tensor name: byte 0xE9; quote the name and write "
       "the byte as an escape, as in %\"x\\E9\""},
      {"graph @\xc3\xa9t\xc3\xa9() {}", 1, 8,
       "invalid character U+00E9 in graph name; quote names that are not "
       "ASCII, as in @\"\xc3\xa9t\xc3\xa9\""},
      {"graph @g(%x: f32[1.5.2]) {}", 1, 18, "invalid number literal '1.5.2'"},
  });
}

TEST(TextFormatErrors, Types) {
  expectErrors({
      {"graph @g(%x: f8[2]) {}", 1, 14,
       "unknown element type 'f8'; expected f32, f64, f16, bf16 or i64"},
      {"graph @g(%x: [2]) {}", 1, 14,
       "expected an argument type such as f32[4], found '['"},
      {"graph @g(%x: f32) {}", 1, 17,
       "expected '[' after element type f32, found ')'"},
      {"graph @g(%x: f32[2,]) {}", 1, 20,
       "expected a dimension size, found ']'"},
      {"graph @g(%x: f32[2.0]) {}", 1, 18,
       "expected a dimension size, found '2.0'"},
      {"graph @g(%x: f32[4,0]) {}", 1, 14,
       "dimension 1 of shape [4,0] is 0; dimensions must be positive"},
      {"graph @g(%x: f32[-3]) {}", 1, 14,
       "dimension 0 of shape [-3] is -3; dimensions must be positive"},
      {"graph @g(%x: f32[65536,65536,65536,2]) {}", 1, 14,
       "shape [65536,65536,65536,2] has more than 2^48 elements"},
      {"graph @g(%x: f32[9223372036854775808]) {}", 1, 18,
       "integer 9223372036854775808 does not fit in 64 bits"},
      {inGraph("  %a = neg %x : x32[2,4]").c_str(), 2, 17,
       "unknown element type 'x32'; expected f32, f64, f16, bf16 or i64"},
      {inGraph("  %a = neg %x f32[2,4]").c_str(), 2, 15,
       "expected ':' before the result type, found 'f32'"},
      {inGraph("  %a = neg %x : %x").c_str(), 2, 17,
       "expected a result type such as f32[4], found '%x'"},
  });
}

TEST(TextFormatErrors, Names) {
  expectErrors({
      {inGraph("  %a = neg %y : f32[2,4]").c_str(), 2, 12,
       "use of undefined tensor %y"},
      {inGraph("  %a = neg %a : f32[2,4]").c_str(), 2, 12,
       "use of undefined tensor %a"},
      {inGraph("  %x = neg %i : f32[2,4]").c_str(), 2, 3,
       "redefinition of %x, first defined on line 1"},
      {inGraph("  %\"x\" = neg %i : f32[2,4]").c_str(), 2, 3,
       "redefinition of %\"x\", first defined on line 1"},
      {"graph @g(%0: f32[2], %0: f32[2]) {}", 1, 22,
       "redefinition of %0, first defined on line 1"},
      {inGraph("  %a, %a = neg %x : f32[2,4]").c_str(), 2, 7,
       "redefinition of %a, first defined on line 2"},
      {"graph @g(%x: f32[2]) {\n  return %\"0\"\n}", 2, 10,
       "use of undefined tensor %\"0\""},
      {"graph @g(%\"0\": f32[2]) {\n  return %0\n}", 2, 10,
       "use of undefined tensor %0"},
      {"graph @g(%x: f32[2]) {\n  %a = neg %x : f32[2]\n  %a = neg %x : "
       "f32[2]\n  return\n}",
       3, 3, "redefinition of %a, first defined on line 2"},
  });
}

TEST(TextFormatErrors, Ops) {
  expectErrors({
      {inGraph("  %a = ad %x, %x : f32[2,4]").c_str(), 2, 8,
       "unknown op 'ad'; did you mean 'add'?"},
      {inGraph("  %a = softmx %x : f32[2,4]").c_str(), 2, 8,
       "unknown op 'softmx'; did you mean 'softmax'?"},
      {inGraph("  %a = frobnicate %x : f32[2,4]").c_str(), 2, 8,
       "unknown op 'frobnicate'"},
      {inGraph("  %a = %x : f32[2,4]").c_str(), 2, 8,
       "expected an op name after '=', found '%x'"},
      {inGraph("  %a %b = neg %x : f32[2,4]").c_str(), 2, 6,
       "expected '=' or ',' after a result name, found '%b'"},
      {inGraph("  %a, = neg %x : f32[2,4]").c_str(), 2, 7,
       "expected a result name after ',', found '='"},
      {inGraph("  %a = add %x, : f32[2,4]").c_str(), 2, 16,
       "expected an operand after ',', found ':'"},
      {inGraph("  %a, %b = neg %x : f32[2,4], f32[2,4]").c_str(), 2, 12,
       "'neg' has 1 result, but 2 names are defined"},
      {inGraph("  %a = neg %x : f32[2,4], f32[2,4]").c_str(), 2, 17,
       "2 result types given for 1 result"},
  });
}

TEST(TextFormatErrors, Attributes) {
  expectErrors({
      {inGraph("  %a = neg %x {axis = 1} : f32[2,4]").c_str(), 2, 16,
       "unknown attribute 'axis': 'neg' takes no attributes"},
      {inGraph("  %a = reduce %x {kind = sum, axis = [1]} : f32[2]").c_str(), 2,
       31,
       "unknown attribute 'axis' of 'reduce'; known attributes: kind, axes, "
       "keepdims"},
      {inGraph("  %a = softmax %x {axis = \"1\"} : f32[2,4]").c_str(), 2, 27,
       "attribute 'axis' of 'softmax' expects int, got string"},
      {inGraph("  %a = softmax %x {axis = 1.0} : f32[2,4]").c_str(), 2, 27,
       "attribute 'axis' of 'softmax' expects int, got float"},
      {inGraph("  %a = softmax %x {axis = last} : f32[2,4]").c_str(), 2, 27,
       "attribute 'axis' of 'softmax' expects int, got identifier 'last'"},
      {inGraph("  %a = softmax %x {axis = [1]} : f32[2,4]").c_str(), 2, 27,
       "attribute 'axis' of 'softmax' expects int, got ints"},
      {inGraph("  %a = reduce %x {kind = sum, axes = [1], keepdims = 1} : "
               "f32[2,1]")
           .c_str(),
       2, 54, "attribute 'keepdims' of 'reduce' expects bool, got int"},
      {inGraph("  %a = expand_dims %x {axes = [0.5]} : f32[2,4]").c_str(), 2,
       31, "attribute 'axes' of 'expand_dims' expects ints, got floats"},
      {inGraph("  %a = expand_dims %x {axes = 1} : f32[2,4]").c_str(), 2, 31,
       "attribute 'axes' of 'expand_dims' expects ints, got int"},
      {inGraph("  %a = constant {value = true} : f32[]").c_str(), 2, 26,
       "attribute 'value' of 'constant' expects float, got bool"},
      {inGraph("  %a = einsum %x {spec = ij} : f32[2,4]").c_str(), 2, 26,
       "attribute 'spec' of 'einsum' expects string, got identifier 'ij'"},
      {inGraph("  %a = reduce %x {kind = 1, axes = [1]} : f32[2]").c_str(), 2,
       26,
       "attribute 'kind' of 'reduce' expects enum sum|max|min|mean, got "
       "int"},
      {inGraph("  %a = reduce %x {kind = prod, axes = [1]} : f32[2]").c_str(),
       2, 26,
       "attribute 'kind' of 'reduce' is 'prod'; expected one of sum, max, "
       "min, mean"},
      {inGraph("  %a = softmax %x {axis = 0, axis = 1} : f32[2,4]").c_str(), 2,
       30, "attribute 'axis' is given twice"},
      {inGraph("  %a = reduce %x {axes = [1]} : f32[2]").c_str(), 2, 8,
       "'reduce' requires attribute 'kind' (enum)"},
      {inGraph("  %a = einsum %x : f32[2,4]").c_str(), 2, 8,
       "'einsum' requires attribute 'spec' (string)"},
      {inGraph("  %a = softmax %x {axis = 99999999999999999999} : f32[2,4]")
           .c_str(),
       2, 27, "integer 99999999999999999999 does not fit in 64 bits"},
      {inGraph("  %a = constant {data = [1, 9007199254740993]} : i64[2]")
           .c_str(),
       2, 29,
       "integer 9007199254740993 cannot be held exactly in i64 constant data: "
       "constants hold magnitudes up to 2^53 (9007199254740992)"},
      {inGraph("  %a = constant {value = -9.007199254740993e15} : i64[]")
           .c_str(),
       2, 26,
       "value -9.007199254740993e15 cannot be held exactly in i64 constant "
       "data: constants hold magnitudes up to 2^53 (9007199254740992)"},
      {inGraph("  %a = constant {value = 1e400} : f32[]").c_str(), 2, 26,
       "float literal out of range"},
      {inGraph("  %a = constant {value = -x} : f32[]").c_str(), 2, 27,
       "expected inf or nan after '-', found 'x'"},
      {inGraph("  %a = constant {data = [1, \"2\"]} : f32[2]").c_str(), 2, 29,
       "expected a number in the list, found '\"2\"'"},
      {inGraph("  %a = constant {data = [1 2]} : f32[2]").c_str(), 2, 28,
       "expected ',' or ']' after a list element, found '2'"},
      {inGraph("  %a = constant {value 1} : f32[]").c_str(), 2, 24,
       "expected '=' after the attribute name, found '1'"},
      {inGraph("  %a = constant {value = 1 data = []} : f32[2]").c_str(), 2, 28,
       "expected ',' or '}' after an attribute value, found 'data'"},
      {inGraph("  %a = constant {1 = 1} : f32[]").c_str(), 2, 18,
       "expected an attribute name, found '1'"},
      {inGraph("  %a = constant {value = } : f32[]").c_str(), 2, 26,
       "expected an attribute value, found '}'"},
  });
}

TEST(TextFormatErrors, DiagnosticPrintsCaretUnderTheColumn) {
  llvm::Expected<Graph> g =
      parseGraph(inGraph("  %a = neg %y : f32[2,4]"), "in.eg");
  ASSERT_FALSE(bool(g));
  std::string text;
  llvm::raw_string_ostream os(text);
  printErrors(g.takeError(), os);
  EXPECT_EQ(text, "in.eg:2:12: error: use of undefined tensor %y\n"
                  "  %a = neg %y : f32[2,4]\n"
                  "           ^\n");
}

TEST(TextFormatErrors, AcceptedValueForms) {
  Graph g = parseOrDie(inGraph(
      "  %a = reduce %x {kind = \"max\", axes = [-1], keepdims = true} : "
      "f32[2,1]\n"
      "  %b = constant {value = -inf, data = [nan, -nan, inf, 2, -3.5e+2]} : "
      "f64[5]\n"
      "  %c = constant {value = 3} : f32[]"));
  EXPECT_EQ(g.node(NodeId(0)).attrs[0].getString(), "max");
  EXPECT_EQ(g.node(NodeId(0)).attrs[1].getInts(), std::vector<int64_t>{-1});
  EXPECT_TRUE(g.node(NodeId(0)).attrs[2].getBool());
  EXPECT_EQ(g.node(NodeId(1)).attrs[0].getFloat(), -INFINITY);
  const std::vector<double> &data = g.node(NodeId(1)).attrs[1].getFloats();
  ASSERT_EQ(data.size(), 5u);
  EXPECT_TRUE(std::isnan(data[0]) && std::isnan(data[1]));
  EXPECT_EQ(data[2], INFINITY);
  EXPECT_EQ(data[3], 2.0);
  EXPECT_EQ(data[4], -350.0);
  EXPECT_EQ(g.node(NodeId(2)).attrs[0].getFloat(), 3.0);
}

//===--- Robustness -------------------------------------------------------===//

TEST(TextFormatRobustness, HostileInputsFailCleanly) {
  std::vector<std::string> inputs = {
      std::string(100000, '['),
      std::string(100000, '{'),
      "graph @g(%x: f32[" + std::string(100000, '9') + "]) {}",
      "graph @g(%x: f32[" + std::string(200000, '1') + ".5]) {}",
      "graph @g() {\n  %a = constant {data = [" + std::string(100000, '[') +
          "]} : f32[]\n  return\n}",
      "graph @g() {\n  %a = " + std::string(100000, 'x') + " : f32[]",
      "graph @g(%" + std::string(100000, 'x') + std::string(1, '\0'),
      std::string("graph\0@g", 8),
  };
  for (const std::string &in : inputs) {
    llvm::Expected<Graph> g = parseGraph(in);
    ASSERT_FALSE(bool(g));
    EXPECT_FALSE(firstMessage(g.takeError()).empty());
  }
}

TEST(TextFormatRobustness, LargeGraphsParseAndPrint) {
  // One node per line, and the same nodes on a single line: both linear.
  const int n = 20000;
  std::string lines = "graph @big(%x: f32[4]) {\n", oneLine = lines;
  std::string prev = "%x";
  for (int i = 0; i < n; ++i) {
    std::string node =
        "%t" + std::to_string(i) + " = add " + prev + ", %x : f32[4]";
    lines += "  " + node + "\n";
    oneLine += " " + node;
    prev = "%t" + std::to_string(i);
  }
  lines += "  return " + prev + "\n}\n";
  oneLine += " return " + prev + " }";
  Graph g = parseOrDie(lines);
  EXPECT_EQ(g.numNodes(), size_t(n));
  EXPECT_EQ(printGraph(g), lines);
  Graph h = parseOrDie(oneLine);
  EXPECT_EQ(printGraph(h), lines);
  // A line too long to copy into every location keeps no source text.
  EXPECT_EQ(h.node(NodeId(7)).loc.line, 2u);
  EXPECT_TRUE(h.node(NodeId(7)).loc.lineText.empty());
}

//===--- DOT
//---------------------------------------------------------------===//

TEST(Dot, ExportsArgumentsNodesOutputsAndLabelledEdges) {
  Graph g = parseOrDie("graph @\"a\\\"b\"(%x: f32[4], param %w: f32[4]) {\n"
                       "  %0 = mul %x, %w : f32[4]\n"
                       "  %s = einsum %0 {spec = \"i->\"} : f32[]\n"
                       "  return %s, %x\n"
                       "}\n");
  std::string dot;
  llvm::raw_string_ostream os(dot);
  exportDot(g, os);
  EXPECT_EQ(dot, "digraph \"a\\\"b\" {\n"
                 "  rankdir=TB;\n"
                 "  a0 [shape=ellipse, label=\"%x : f32[4]\"];\n"
                 "  a1 [shape=ellipse, label=\"param %w : f32[4]\"];\n"
                 "  n0 [shape=box, label=\"mul\"];\n"
                 "  n1 [shape=box, label=\"einsum\\nspec = \\\"i->\\\"\"];\n"
                 "  o0 [shape=ellipse, style=bold, label=\"output 0\"];\n"
                 "  o1 [shape=ellipse, style=bold, label=\"output 1\"];\n"
                 "  a0 -> n0 [label=\"%x : f32[4]\"];\n"
                 "  a1 -> n0 [label=\"%w : f32[4]\"];\n"
                 "  n0 -> n1 [label=\"%0 : f32[4]\"];\n"
                 "  n1 -> o0 [label=\"%s : f32[]\"];\n"
                 "  a0 -> o1 [label=\"%x : f32[4]\"];\n"
                 "}\n");
}

} // namespace
