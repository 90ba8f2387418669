//===- CpuTargetTest.cpp - Code for a machine other than the host ---------===//
//
// CompileOptions::target compiles for a narrower machine than the host: the
// kernels shaped for its vectors (128-bit SSE2, 256-bit AVX2) must give the
// reference's answers, and code the host cannot run must be refused before
// any of it runs.
//
//===----------------------------------------------------------------------===//
#include "AttentionCases.h"
#include "CpuTestUtil.h"

#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <gtest/gtest.h>

namespace einsum::testing {
namespace {

/// The fused -O3 form of an ALiBi causal GQA attention whose lengths are
/// not multiples of any register tile.
Graph fusedAttention(Graph g) {
  registerAllPasses();
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
  EXPECT_FALSE(bool(pm.run(g)));
  EXPECT_NE(printGraph(g).find("= attention "), std::string::npos);
  return g;
}

/// A small fused ALiBi attention (2 heads of 8, d = 16).
Graph smallAttention(bool causal) {
  return fusedAttention(
      buildAttentionCase({"alibi", 2, 2, 8, 8, 16, nn::PositionBias::Alibi,
                          nn::AlibiForm::Symmetric, causal}));
}

bool hostIsX86() { return llvm::Triple(llvm::sys::getProcessTriple()).isX86(); }

TEST(CpuTarget, NarrowerMachinesMatchTheReference) {
  if (!hostIsX86())
    GTEST_SKIP() << "the targets below are x86 CPUs";
  AttentionCase c{
      "alibi_causal_gqa",       4,   2, 37, 37, 16, nn::PositionBias::Alibi,
      nn::AlibiForm::Symmetric, true};
  Graph original = buildAttentionCase(c);
  Graph fused = fusedAttention(original);
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<TargetOptions> targets = {{"", "x86-64", ""}};
  if (host.lookup("avx2") && host.lookup("fma"))
    targets.push_back({"", "x86-64-v3", ""});
  if (host.lookup("avx512f"))
    targets.push_back({"", "", "-avx512f"});
  for (const TargetOptions &target : targets) {
    SCOPED_TRACE(target.cpu + " " + target.features);
    CompileOptions options;
    options.target = target;
    expectCpuMatches(fused, randomInputs(original, 3), 1e-4, 1e-5, &original,
                     options);
  }
}

TEST(CpuTarget, CodeTheHostCannotRunIsRefused) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  Graph g = smallAttention(/*causal=*/false);
  CompileOptions foreign;
  foreign.target.triple =
      hostIsX86() ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, foreign);
  ASSERT_FALSE(bool(exe));
  EXPECT_NE(firstMessage(exe.takeError()).find("does not run on this host"),
            std::string::npos);

  CompileOptions unknown;
  unknown.target.cpu = "no-such-cpu";
  exe = cpu->compile(g, unknown);
  ASSERT_FALSE(bool(exe));
  EXPECT_NE(firstMessage(exe.takeError()).find("unknown CPU 'no-such-cpu'"),
            std::string::npos);
}

// Ahead of time, any supported machine: an AArch64 object from an x86 host
// and the other way round.
TEST(CpuTarget, ObjectsForAnotherArchitecture) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  Graph g = smallAttention(/*causal=*/true);
  struct Expected {
    const char *triple;
    uint16_t machine; // ELF e_machine
  };
  for (Expected e :
       {Expected{"aarch64-linux-gnu", 183}, Expected{"x86_64-linux-gnu", 62}}) {
    SCOPED_TRACE(e.triple);
    EmitOptions options;
    options.target.triple = e.triple;
    llvm::Expected<EmitResult> obj =
        cpu->emit(g, EmitArtifact::Object, options);
    ASSERT_TRUE(bool(obj)) << firstMessage(obj.takeError());
    ASSERT_GT(obj->output.size(), 20u);
    EXPECT_EQ(obj->output.substr(0, 4), "\x7f"
                                        "ELF");
    uint16_t machine = uint8_t(obj->output[18]) | uint8_t(obj->output[19]) << 8;
    EXPECT_EQ(machine, e.machine);
  }
}

// Executable::describe names the target and the kernel shapes, and says
// whether they were measured; tuning off takes the model's.
TEST(CpuTarget, ExecutableDescribesItsTargetAndShapes) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  Graph g = smallAttention(/*causal=*/false);
  CompileOptions options;
  options.tuning = KernelTuning::Off;
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, options);
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  std::string how = (*exe)->describe();
  EXPECT_NE(how.find(llvm::sys::getProcessTriple().substr(0, 6)),
            std::string::npos)
      << how;
  EXPECT_NE(how.find("-bit vectors x "), std::string::npos) << how;
  EXPECT_NE(how.find("; flash "), std::string::npos) << how;
  EXPECT_EQ(how.find("(measured)"), std::string::npos) << how;

  std::unique_ptr<Backend> ref = createReferenceBackend();
  llvm::Expected<std::unique_ptr<Executable>> interpreted =
      ref->compile(g, options);
  ASSERT_TRUE(bool(interpreted));
  EXPECT_EQ((*interpreted)->describe(), "");
}

} // namespace
} // namespace einsum::testing
