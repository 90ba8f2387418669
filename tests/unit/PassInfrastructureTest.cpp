#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/Instrumentation.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

class PassInfrastructure : public ::testing::Test {
protected:
  void SetUp() override { registerAllPasses(); }
};

std::string pipelineError(llvm::StringRef text) {
  auto p = parsePipeline(text);
  return p ? "<parsed>" : firstMessage(p.takeError());
}

TEST_F(PassInfrastructure, ParsesPipelinesWithOptions) {
  auto p = parsePipeline(" canonicalize{max-iterations=3} , cse,dce ");
  ASSERT_TRUE(bool(p)) << firstMessage(p.takeError());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0]->pipelineText(), "canonicalize{max-iterations=3}");
  EXPECT_EQ((*p)[1]->pipelineText(), "cse");
  auto empty = parsePipeline("");
  ASSERT_TRUE(bool(empty));
  EXPECT_TRUE(empty->empty());
}

TEST_F(PassInfrastructure, PipelineDiagnostics) {
  EXPECT_EQ(pipelineError("canonicalise"),
            "pass pipeline 'canonicalise': column 1: unknown pass "
            "'canonicalise'; did you mean 'canonicalize'?");
  EXPECT_EQ(pipelineError("cse,frobnicate"),
            "pass pipeline 'cse,frobnicate': column 5: unknown pass "
            "'frobnicate'; registered passes: canonicalize, cse, dce, "
            "expand-kv-heads, fold-constants, fuse-attention, fuse-epilogue");
  // The former name of fuse-epilogue still names it.
  EXPECT_EQ(pipelineError("cse,fuse-alibi-bias"), "<parsed>");
  EXPECT_EQ(pipelineError("canonicalize{max-iteration=2}"),
            "pass pipeline 'canonicalize{max-iteration=2}': column 14: pass "
            "'canonicalize' has no option 'max-iteration'; did you mean "
            "'max-iterations'?");
  EXPECT_EQ(pipelineError("canonicalize{max-iterations=two}"),
            "pass pipeline 'canonicalize{max-iterations=two}': column 14: "
            "option 'max-iterations' expects an integer, got 'two'");
  EXPECT_EQ(pipelineError("cse{x=1}"),
            "pass pipeline 'cse{x=1}': column 5: pass 'cse' has no option "
            "'x'; it takes no options");
  EXPECT_EQ(pipelineError("canonicalize{max-iterations=2"),
            "pass pipeline 'canonicalize{max-iterations=2': column 30: "
            "unterminated options of 'canonicalize': expected '}'");
  EXPECT_EQ(pipelineError("cse dce"),
            "pass pipeline 'cse dce': column 5: expected ',' between passes, "
            "found 'd'");
  EXPECT_EQ(pipelineError("cse,,dce"),
            "pass pipeline 'cse,,dce': column 5: expected a pass name, found "
            "','");
}

TEST_F(PassInfrastructure, NamedPipelinesParse) {
  for (const NamedPipeline &p : namedPipelines()) {
    auto passes = parsePipeline(p.pipeline);
    EXPECT_TRUE(bool(passes))
        << p.name.str() << ": " << firstMessage(passes.takeError());
  }
}

/// Records the order of instrumentation calls.
class Recorder : public PassInstrumentation {
public:
  explicit Recorder(std::vector<std::string> &log) : log(log) {}
  void beforePipeline(const Graph &) override { log.push_back("start"); }
  void beforePass(const Pass &p, const Graph &) override {
    log.push_back("before " + p.name().str());
  }
  void afterPass(const Pass &p, const Graph &, bool changed) override {
    log.push_back("after " + p.name().str() + (changed ? " changed" : ""));
  }
  void afterPassFailed(const Pass &p, const Graph &) override {
    log.push_back("failed " + p.name().str());
  }
  void afterPipeline(const Graph &) override { log.push_back("end"); }

private:
  std::vector<std::string> &log;
};

Graph doubleNegation() {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({4}));
  b.output(b.exp(b.neg(b.neg(x))), "y");
  llvm::cantFail(b.takeError());
  return g;
}

TEST_F(PassInfrastructure, InstrumentationSeesEveryPass) {
  Graph g = doubleNegation();
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline("canonicalize,cse")));
  std::vector<std::string> log;
  pm.addInstrumentation(std::make_unique<Recorder>(log));
  ASSERT_FALSE(bool(pm.run(g)));
  EXPECT_EQ(log, (std::vector<std::string>{"start", "before canonicalize",
                                           "after canonicalize changed",
                                           "before cse", "after cse", "end"}));
  EXPECT_EQ(pm.pipelineText(), "canonicalize,cse");
}

/// A pass that breaks the graph, to exercise the failure paths.
class Breaker : public Pass {
public:
  llvm::StringRef name() const override { return "breaker"; }
  llvm::StringRef summary() const override { return "breaks the graph"; }
  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    // Retype a node's result so that it no longer matches inference.
    g.tensor(g.node(g.liveNodes().front()).result()).type =
        TensorType::f32({5});
    return true;
  }
};

TEST_F(PassInfrastructure, VerifierCatchesABrokenGraphAndWritesAReproducer) {
  Graph g = doubleNegation();
  std::string before = printGraph(g);
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("repro-test", "eg", path));
  PassManager pm;
  pm.addPass(std::make_unique<Breaker>());
  pm.setReproducerPath(path.str().str());
  std::vector<std::string> log;
  pm.addInstrumentation(std::make_unique<Recorder>(log));
  std::vector<Diagnostic> diags = takeDiagnostics(pm.run(g));
  ASSERT_GE(diags.size(), 3u);
  EXPECT_EQ(diags[0].message, "pass 'breaker' produced a graph that does "
                              "not verify; this is a compiler bug");
  EXPECT_EQ(diags[1].message, "'neg' producing %0: result type f32[5] does "
                              "not match the inferred type f32[4]");
  EXPECT_EQ(diags.back().severity, Severity::Note);
  EXPECT_EQ(diags.back().message, "reproducer written to " + path.str().str());
  EXPECT_EQ(log.back(), "end");
  EXPECT_EQ(log[log.size() - 2], "failed breaker");

  auto repro = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(bool(repro));
  llvm::StringRef text = (*repro)->getBuffer();
  EXPECT_TRUE(text.starts_with("// Reproducer: pass 'breaker' failed on "
                               "this graph.\n// alibi-opt "
                               "--pass-pipeline='breaker' <this file>\n"));
  EXPECT_TRUE(text.ends_with(before));
  // The reproducer parses: the comments are comments.
  EXPECT_TRUE(bool(parseGraph(text)));
  llvm::sys::fs::remove(path);
}

TEST_F(PassInfrastructure, VerificationCanBeTurnedOff) {
  Graph g = doubleNegation();
  PassManager pm;
  pm.addPass(std::make_unique<Breaker>());
  pm.enableVerifier(false);
  EXPECT_FALSE(bool(pm.run(g)));
}

TEST_F(PassInfrastructure, StatisticsAndTiming) {
  Graph g = doubleNegation();
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline("canonicalize,dce")));
  std::string timing;
  llvm::raw_string_ostream timingStream(timing);
  pm.addInstrumentation(
      std::make_unique<PassTimer>(TimingFormat::Json, timingStream));
  ASSERT_FALSE(bool(pm.run(g)));
  EXPECT_NE(timing.find("\"name\": \"canonicalize\""), std::string::npos);
  EXPECT_NE(timing.find("\"name\": \"dce\""), std::string::npos);
  std::string stats;
  llvm::raw_string_ostream statsStream(stats);
  printPassStatistics(pm, statsStream);
  EXPECT_NE(stats.find("canonicalize\n  (S)    1 rewrites - rules applied"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("(S)    1 erased - nodes left unused and erased"),
            std::string::npos)
      << stats;
}

} // namespace
