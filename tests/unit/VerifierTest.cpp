#include "ir/Verifier.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

std::vector<std::string> messages(const Graph &g) {
  std::vector<std::string> out;
  for (const Diagnostic &d : takeDiagnostics(verify(g)))
    out.push_back(d.message);
  return out;
}

Node makeNode(OpKind op, std::vector<TensorId> ins, std::vector<TensorId> outs,
              std::vector<Attribute> attrs = {}) {
  Node n;
  n.op = op;
  n.inputs = std::move(ins);
  n.outputs = std::move(outs);
  n.attrs = std::move(attrs);
  return n;
}

TEST(Verifier, AcceptsAWellFormedGraph) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({4}));
  b.output(b.exp(x), "y");
  ASSERT_FALSE(bool(b.takeError()));
  EXPECT_TRUE(messages(g).empty());
}

TEST(Verifier, ReportsTypeMismatchAtTheNode) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({4}));
  TensorId y = g.addTensor("y", TensorType::f32({5}));
  NodeId n = g.addNodeUnchecked(makeNode(OpKind::Exp, {x}, {y}));
  g.node(n).loc = SourceLoc{"f.eg", 3, 8, "  %y = exp %x : f32[5]"};
  g.addOutput(y);
  std::vector<Diagnostic> diags = takeDiagnostics(verify(g));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].message, "'exp' producing %y: result type f32[5] does "
                              "not match the inferred type f32[4]");
  EXPECT_EQ(diags[0].str(), "f.eg:3:8: error: 'exp' producing %y: result "
                            "type f32[5] does not match the inferred type "
                            "f32[4]\n  %y = exp %x : f32[5]\n       ^\n");
}

TEST(Verifier, ReportsUndefinedAndDoublyDefinedTensors) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({4}));
  TensorId ghost = g.addTensor("ghost", TensorType::f32({4}));
  TensorId y = g.addTensor("y", TensorType::f32({4}));
  g.addNodeUnchecked(makeNode(OpKind::Add, {x, ghost}, {y}));
  g.addNodeUnchecked(makeNode(OpKind::Neg, {x}, {y}));
  g.addOutput(y);
  EXPECT_EQ(messages(g),
            (std::vector<std::string>{
                "%y is defined more than once; the second definition is 'neg' "
                "producing %y",
                "'add' producing %y reads %ghost, which is neither a graph "
                "argument nor defined by a node"}));
}

TEST(Verifier, ReportsDanglingIdsAndMissingOutputs) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({4}));
  TensorId y = g.addTensor("y", TensorType::f32({4}));
  g.addNodeUnchecked(makeNode(OpKind::Neg, {TensorId(7)}, {y}));
  (void)x;
  EXPECT_EQ(messages(g),
            (std::vector<std::string>{
                "'neg' producing %y: input 0 is tensor id 7, but the graph "
                "has 2 tensors",
                "the graph has no outputs: nothing would be computed"}));
}

TEST(Verifier, ReportsDuplicateNamesAndOutputs) {
  Graph g;
  TensorId a = g.addInput("t", TensorType::f32({4}));
  TensorId b = g.addTensor("t", TensorType::f32({4}));
  g.addNodeUnchecked(makeNode(OpKind::Neg, {a}, {b}));
  g.addOutput(b);
  g.addOutput(b);
  EXPECT_EQ(messages(g), (std::vector<std::string>{
                             "tensor name %t is used by two tensors (ids 0 "
                             "and 1)",
                             "%t is returned twice"}));
}

TEST(Verifier, ReportsCycles) {
  Graph g;
  TensorId p = g.addTensor("p", TensorType::f32({2}));
  TensorId q = g.addTensor("q", TensorType::f32({2}));
  g.addNodeUnchecked(makeNode(OpKind::Neg, {q}, {p}));
  g.addNodeUnchecked(makeNode(OpKind::Exp, {p}, {q}));
  g.addOutput(q);
  EXPECT_EQ(messages(g), (std::vector<std::string>{
                             "'neg' producing %p is on a cycle: it depends "
                             "on its own result"}));
}

TEST(Verifier, ReportsBadAttributes) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2, 3}));
  TensorId y = g.addTensor("y", TensorType::f32({2, 3}));
  g.addNodeUnchecked(
      makeNode(OpKind::Softmax, {x}, {y}, {Attribute::ofString("last")}));
  TensorId z = g.addTensor("z", TensorType::f32({2, 3}));
  g.addNodeUnchecked(makeNode(OpKind::Softmax, {x}, {z}, {}));
  g.addOutput(y);
  g.addOutput(z);
  EXPECT_EQ(messages(g),
            (std::vector<std::string>{
                "'softmax' producing %y: attribute 'axis' expects int, got "
                "string",
                "'softmax' producing %z: has 0 attribute values; 'softmax' "
                "declares 1"}));
}

TEST(Verifier, ReportsUntypedArguments) {
  Graph g;
  TensorId x = g.addTensor("x");
  g.addInput(x);
  g.addOutput(x);
  EXPECT_EQ(messages(g),
            (std::vector<std::string>{"graph argument %x has no type"}));
}

} // namespace
