#include "passes/RewriteRule.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

Graph parse(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text);
  EXPECT_TRUE(bool(g)) << firstMessage(g.takeError());
  return std::move(*g);
}

RewriteRule rule(llvm::StringRef text) {
  llvm::Expected<RewriteRule> r = RewriteRule::parse(text);
  EXPECT_TRUE(bool(r)) << firstMessage(r.takeError());
  return std::move(*r);
}

constexpr const char *kScaled = R"(graph @g(%x: f32[4]) {
  %c = constant {value = 3.0} : f32[]
  %y = add %x, %c : f32[4]
  return %y
}
)";

TEST(RewriteRule, ReplacesWithANewConstant) {
  Graph g = parse(kScaled);
  TensorId y = g.outputs().front();
  EXPECT_TRUE(rule("add(x, c) => sub(x, [-c])").apply(g, y));
  std::string printed = printGraph(g);
  EXPECT_NE(printed.find("sub %x"), std::string::npos) << printed;
  EXPECT_NE(printed.find("value = -3.0"), std::string::npos) << printed;
}

// The replacement neg([2 * c]) would be f32[], not the f32[4] it replaces:
// the rule does not apply, and must not leave its new constant behind.
TEST(RewriteRule, ARuleThatDoesNotApplyAddsNothing) {
  Graph g = parse(kScaled);
  size_t nodes = g.numNodes(), tensors = g.numTensors();
  std::string before = printGraph(g);
  EXPECT_FALSE(rule("add(x, c) => neg([2 * c])").apply(g, g.outputs().front()));
  EXPECT_EQ(g.numNodes(), nodes);
  EXPECT_EQ(g.numTensors(), tensors);
  EXPECT_EQ(printGraph(g), before);
}

TEST(RewriteRule, AReplacementOfTheWrongArityIsRejected) {
  llvm::Expected<RewriteRule> r = RewriteRule::parse("neg(x) => add(x)");
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(firstMessage(r.takeError()),
            "rewrite rule 'neg(x) => add(x)': column 17: 'add' cannot take "
            "1 input");
}

} // namespace
