//===- GraphScaleTest.cpp - Queries that must stay cheap on big graphs ----===//
//
// describeTensor's cached numbering, the argument and output flags and the
// merging of use lists: each replaced a scan that made some pass or the
// verifier quadratic. These check that the cheaper forms give the same
// answers as the scans did, including after changes.
//
//===----------------------------------------------------------------------===//
#include "ir/Graph.h"
#include "ir/Parser.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

Graph parse(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "t.eg");
  EXPECT_TRUE(bool(g)) << firstMessage(g.takeError());
  return g ? std::move(*g) : Graph();
}

TEST(GraphNumbering, AnonymousTensorsFollowDefinitionOrder) {
  Graph g = parse("graph @g(%x: f32[4], %0: f32[4]) {\n"
                  "  %1 = neg %x : f32[4]\n"
                  "  %y = abs %1 : f32[4]\n"
                  "  %2 = exp %y : f32[4]\n"
                  "  return %2\n"
                  "}\n");
  std::vector<std::string> names;
  for (size_t i = 0; i < g.numTensors(); ++i)
    names.push_back(g.describeTensor(TensorId(i)));
  EXPECT_EQ(names, (std::vector<std::string>{"%x", "%0", "%1", "%y", "%2"}));
}

TEST(GraphNumbering, ChangesRenumber) {
  Graph g = parse("graph @g(%x: f32[4]) {\n"
                  "  %0 = neg %x : f32[4]\n"
                  "  %1 = abs %0 : f32[4]\n"
                  "  %2 = exp %1 : f32[4]\n"
                  "  return %2\n"
                  "}\n");
  TensorId first(1), second(2), third(3);
  EXPECT_EQ(g.describeTensor(third), "%2");
  // Erasing the first node leaves %0 undefined and renumbers the rest.
  g.replaceAllUsesWith(first, TensorId(0));
  g.eraseNode(g.producer(first));
  EXPECT_EQ(g.describeTensor(second), "%0");
  EXPECT_EQ(g.describeTensor(third), "%1");
  EXPECT_EQ(g.describeTensor(first), "%<undefined 1>");
  // A name given through tensor() counts too.
  g.tensor(second).name = "named";
  EXPECT_EQ(g.describeTensor(third), "%0");
}

TEST(GraphNumbering, FrozenNumbersDescribeTheGraphAsItWas) {
  Graph g = parse("graph @g(%x: f32[4]) {\n"
                  "  %0 = neg %x : f32[4]\n"
                  "  %1 = abs %0 : f32[4]\n"
                  "  return %1\n"
                  "}\n");
  TensorId first(1), second(2);
  g.freezeNumbering();
  g.replaceAllUsesWith(first, TensorId(0));
  g.eraseNode(g.producer(first));
  EXPECT_EQ(g.describeTensor(second), "%1");
  // A tensor defined after the freeze is numbered as the graph is now.
  TensorId fresh = g.addTensor("");
  llvm::cantFail(g.addNode(OpKind::Exp, {second}, {fresh}));
  EXPECT_EQ(g.describeTensor(fresh), "%1");
  g.thawNumbering();
  EXPECT_EQ(g.describeTensor(second), "%0");
}

TEST(GraphNumbering, CopiesDoNotShareTheCache) {
  Graph g = parse("graph @g(%x: f32[4]) {\n"
                  "  %0 = neg %x : f32[4]\n"
                  "  return %0\n"
                  "}\n");
  EXPECT_EQ(g.describeTensor(TensorId(1)), "%0");
  Graph copy = g;
  copy.tensor(TensorId(1)).name = "renamed";
  EXPECT_EQ(copy.describeTensor(TensorId(1)), "%renamed");
  EXPECT_EQ(g.describeTensor(TensorId(1)), "%0");
}

TEST(GraphFlags, ArgumentsParametersAndOutputs) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2}));
  TensorId w = g.addParameter("w", TensorType::f32({2}));
  TensorId y = g.addTensor("y"), z = g.addTensor("z");
  llvm::cantFail(g.addNode(OpKind::Mul, {x, w}, {y}));
  llvm::cantFail(g.addNode(OpKind::Neg, {x}, {z}));
  g.addOutput(y);
  g.addOutput(y);
  EXPECT_TRUE(g.isArgument(x) && !g.isParameter(x));
  EXPECT_TRUE(g.isArgument(w) && g.isParameter(w));
  EXPECT_FALSE(g.isArgument(y) || g.isOutput(z));
  EXPECT_TRUE(g.isOutput(y));
  EXPECT_FALSE(g.isOutput(TensorId(99)));
  // Both listings move.
  g.replaceAllUsesWith(y, z);
  EXPECT_FALSE(g.isOutput(y));
  EXPECT_TRUE(g.isOutput(z));
  EXPECT_EQ(g.outputs(), llvm::ArrayRef<TensorId>({z, z}));
}

TEST(GraphUses, MergedUseListsStayInNodeOrder) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2}));
  TensorId a = g.addTensor("a"), b = g.addTensor("b");
  llvm::cantFail(g.addNode(OpKind::Neg, {x}, {a}));
  llvm::cantFail(g.addNode(OpKind::Neg, {x}, {b}));
  std::vector<TensorId> outs;
  // Readers of a and b interleaved: merging b into a cannot just append.
  for (int i = 0; i < 6; ++i) {
    TensorId r = g.addTensor("r" + std::to_string(i));
    llvm::cantFail(g.addNode(OpKind::Exp, {i % 2 ? b : a}, {r}));
    g.addOutput(r);
  }
  g.replaceAllUsesWith(b, a);
  std::vector<NodeId> expected;
  for (uint32_t n = 2; n < 8; ++n)
    expected.push_back(NodeId(n));
  EXPECT_EQ(g.consumers(a), expected);
  EXPECT_TRUE(g.consumers(b).empty());
  g.replaceAllUsesWith(a, a); // No-op, and must not lose the list.
  EXPECT_EQ(g.consumers(a), expected);
}

} // namespace
