#include "ir/Graph.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

// The original API's way of building a graph: named tensors first, then
// nodes by op name over integer-like ids.
TEST(Graph, SeedCompatibleLayerInfersTypes) {
  Graph g;
  TensorId scores = g.addTensor("scores", TensorType::f32({2, 4, 8, 8}));
  TensorId slopes = g.addTensor("slopes", TensorType::f32({4}));
  TensorId dist = g.addTensor("distance", TensorType::f32({8, 8}));
  g.addInput(scores);
  g.addInput(slopes);
  g.addInput(dist);
  EXPECT_EQ(scores.index(), 0u);
  EXPECT_EQ(slopes.index(), 1u);
  EXPECT_EQ(dist.index(), 2u);

  TensorId expanded = g.addTensor("expanded");
  auto n0 = g.addNode("expand_dims", {slopes}, {expanded},
                      {{"axes", Attribute::ofInts({1, 2})}});
  ASSERT_TRUE(bool(n0)) << firstMessage(n0.takeError());
  EXPECT_EQ(g.type(expanded), TensorType::f32({4, 1, 1}));

  TensorId bias = g.addTensor("bias");
  ASSERT_TRUE(bool(g.addNode("mul", {expanded, dist}, {bias})));
  EXPECT_EQ(g.type(bias), TensorType::f32({4, 8, 8}));
  TensorId out = g.addTensor("out");
  ASSERT_TRUE(bool(g.addNode("add", {scores, bias}, {out})));
  EXPECT_EQ(g.type(out), TensorType::f32({2, 4, 8, 8}));
  g.addOutput(out);

  EXPECT_EQ(g.producer(bias), NodeId(1));
  EXPECT_EQ(g.consumers(bias), std::vector<NodeId>{NodeId(2)});
  EXPECT_FALSE(g.producer(scores).isValid());
  EXPECT_EQ(g.role(scores), TensorRole::Input);
  EXPECT_EQ(g.role(bias), TensorRole::Intermediate);
  EXPECT_EQ(g.role(out), TensorRole::Output);
  EXPECT_EQ(g.findTensor("bias"), bias);
  EXPECT_FALSE(g.findTensor("nope").isValid());
}

TEST(Graph, AddNodeRefusesIllTypedNodesWithoutChangingTheGraph) {
  Graph g;
  TensorId a = g.addInput("a", TensorType::f32({2, 3}));
  TensorId b = g.addInput("b", TensorType::f32({4}));
  TensorId c = g.addTensor("c");
  llvm::Expected<NodeId> n = g.addNode(OpKind::Add, {a, b}, {c});
  ASSERT_FALSE(bool(n));
  EXPECT_EQ(firstMessage(n.takeError()),
            "'add': shapes [2,3] and [4] do not broadcast: dimension 1 of the "
            "result would be 3 and 4");
  EXPECT_EQ(g.numNodes(), 0u);
  EXPECT_FALSE(g.tensor(c).type.has_value());
}

TEST(Graph, AddNodeChecksArityIdsAndOps) {
  Graph g;
  TensorId a = g.addInput("a", TensorType::f32({2}));
  TensorId out = g.addTensor("out");
  auto arity = g.addNode(OpKind::Add, {a}, {out});
  EXPECT_EQ(firstMessage(arity.takeError()), "'add': expects 2 inputs, got 1");
  auto unknown = g.addNode("frobnicate", {a}, {out});
  EXPECT_EQ(firstMessage(unknown.takeError()), "unknown op 'frobnicate'");
  auto badId = g.addNode(OpKind::Neg, {TensorId(42)}, {out});
  EXPECT_EQ(firstMessage(badId.takeError()),
            "'neg': input 0 is tensor id 42, but the graph has 2 tensors");
  auto redefine = g.addNode(OpKind::Neg, {a}, {a});
  EXPECT_EQ(firstMessage(redefine.takeError()),
            "'neg': output %a is already defined");
  auto attr =
      g.addNode(OpKind::Neg, {a}, {out}, {{"axis", Attribute::ofInt(1)}});
  EXPECT_EQ(firstMessage(attr.takeError()),
            "'neg': unknown attribute 'axis': 'neg' takes no attributes");
}

TEST(Graph, TopologicalOrderIsDeterministicAndFindsCycles) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2}));
  TensorId a = g.addTensor("a", TensorType::f32({2}));
  TensorId b = g.addTensor("b", TensorType::f32({2}));
  // b is produced before a in insertion order but depends on it.
  g.addNodeUnchecked(Node{OpKind::Exp, {a}, {b}, {}, {}});
  g.addNodeUnchecked(Node{OpKind::Neg, {x}, {a}, {}, {}});
  auto order = g.topologicalOrder();
  ASSERT_TRUE(bool(order));
  EXPECT_EQ(*order, (std::vector<NodeId>{NodeId(1), NodeId(0)}));

  Graph cyc;
  TensorId p = cyc.addTensor("p", TensorType::f32({2}));
  TensorId q = cyc.addTensor("q", TensorType::f32({2}));
  cyc.addNodeUnchecked(Node{OpKind::Neg, {q}, {p}, {}, {}});
  cyc.addNodeUnchecked(Node{OpKind::Neg, {p}, {q}, {}, {}});
  auto bad = cyc.topologicalOrder();
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(firstMessage(bad.takeError()),
            "'neg' producing %p is on a cycle: it depends on its own result");
}

TEST(Graph, EraseAndReplaceUses) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2}));
  TensorId n1 = g.addTensor("n1");
  TensorId n2 = g.addTensor("n2");
  TensorId y = g.addTensor("y");
  auto a = g.addNode(OpKind::Neg, {x}, {n1});
  ASSERT_TRUE(bool(a));
  ASSERT_TRUE(bool(g.addNode(OpKind::Neg, {n1}, {n2})));
  ASSERT_TRUE(bool(g.addNode(OpKind::Exp, {n2}, {y})));
  g.addOutput(y);
  // neg(neg(x)) -> x
  g.replaceAllUsesWith(n2, x);
  g.eraseNode(NodeId(1));
  g.eraseNode(*a);
  EXPECT_EQ(g.liveNodes(), std::vector<NodeId>{NodeId(2)});
  EXPECT_EQ(g.node(NodeId(2)).inputs, std::vector<TensorId>{x});
  EXPECT_EQ(g.consumers(x), std::vector<NodeId>{NodeId(2)});
  EXPECT_TRUE(g.consumers(n1).empty());
  EXPECT_FALSE(g.producer(n1).isValid());
}

TEST(Graph, EinsumGraphIsTheSameType) {
  EinsumGraph g("named");
  EXPECT_EQ(g.name(), "named");
  static_assert(std::is_same_v<EinsumGraph, Graph>);
}

} // namespace

namespace {

TEST(Graph, ReplaceNodeKeepsItsPlaceAndRefusesTypeChanges) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({4}));
  TensorId z = g.addInput("z", TensorType::f32({2, 4}));
  TensorId a = g.addTensor("a"), y = g.addTensor("y");
  NodeId na = llvm::cantFail(g.addNode(OpKind::Neg, {x}, {a}));
  llvm::cantFail(g.addNode(OpKind::Exp, {a}, {y}));
  g.addOutput(y);

  // abs(x) in neg(x)'s place: same id, same result tensor, users updated.
  llvm::Expected<NodeId> r = g.replaceNode(na, OpKind::Abs, {x});
  ASSERT_TRUE(bool(r)) << firstMessage(r.takeError());
  EXPECT_EQ(*r, na);
  EXPECT_EQ(g.node(na).op, OpKind::Abs);
  EXPECT_EQ(g.producer(a), na);
  EXPECT_EQ(g.consumers(x), std::vector<NodeId>{na});

  // add(a-type, z) would make a f32[2,4]: refused, nothing changes.
  llvm::Expected<NodeId> bad = g.replaceNode(na, OpKind::Add, {x, z});
  EXPECT_EQ(firstMessage(bad.takeError()),
            "'add': result type f32[4] does not match the inferred type "
            "f32[2,4]");
  EXPECT_EQ(g.node(na).op, OpKind::Abs);
  EXPECT_TRUE(g.consumers(z).empty());
}

} // namespace
