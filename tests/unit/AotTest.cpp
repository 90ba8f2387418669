// Ahead-of-time compilation with the cpu backend (backends/cpu/Aot.h): the
// artifacts, the entry name's checks, the C header's naming, and that a
// graph the backend refuses gives the JIT's diagnostic. tests/lit/aot/
// covers the command line and compiles, links and runs the output.
#ifdef EG_HAVE_CPU_BACKEND

#include "backends/cpu/Aot.h"
#include "CpuTestUtil.h"
#include "ir/Parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

Graph parse(llvm::StringRef text) {
  llvm::Expected<Graph> g = parseGraph(text, "test.eg");
  if (!g) {
    ADD_FAILURE() << firstMessage(g.takeError());
    return Graph();
  }
  return std::move(*g);
}

const char *kScale = R"(graph @scale(%x: f32[2,3], %b: f32[3]) {
  %y = add %x, %b : f32[2,3]
  return %y
}
)";

std::string compile(const Graph &g, cpu::AotArtifact artifact,
                    std::string entry = "eg_main") {
  cpu::AotOptions options;
  options.entryName = std::move(entry);
  llvm::Expected<cpu::AotResult> r =
      cpu::compileAheadOfTime(g, artifact, options);
  if (!r) {
    ADD_FAILURE() << firstMessage(r.takeError());
    return "";
  }
  return r->output;
}

TEST(Aot, EveryArtifactNamesTheEntry) {
  Graph g = parse(kScale);
  EXPECT_THAT(compile(g, cpu::AotArtifact::Mlir, "k"),
              HasSubstr("func.func @k(%arg0: memref<2x3xf32>"));
  EXPECT_THAT(compile(g, cpu::AotArtifact::LLVMIR, "k"),
              HasSubstr("define void @_mlir_ciface_k(ptr"));
  EXPECT_THAT(compile(g, cpu::AotArtifact::Assembly, "k"),
              HasSubstr("\n_mlir_ciface_k:"));
  std::string object = compile(g, cpu::AotArtifact::Object, "k");
  EXPECT_EQ(object.substr(0, 4), "\x7f"
                                 "ELF");
  EXPECT_THAT(compile(g, cpu::AotArtifact::CHeader, "k"),
              HasSubstr("static inline int k_run("));
}

TEST(Aot, HeaderComesWithTheArtifact) {
  Graph g = parse(kScale);
  cpu::AotOptions options;
  options.header = true;
  llvm::Expected<cpu::AotResult> r =
      cpu::compileAheadOfTime(g, cpu::AotArtifact::Object, options);
  ASSERT_TRUE(bool(r)) << firstMessage(r.takeError());
  EXPECT_THAT(r->header, HasSubstr("void _mlir_ciface_eg_main("));
  // The same header as --emit=c-header alone.
  EXPECT_EQ(r->header, compile(g, cpu::AotArtifact::CHeader));
}

TEST(Aot, EntryNames) {
  for (const char *ok : {"eg_main", "k1", "alibi_attention", "K"})
    EXPECT_FALSE(bool(cpu::checkEntryName(ok))) << ok;
  std::pair<const char *, const char *> bad[] = {
      {"", "entry name '' is not usable as a C identifier: it is empty"},
      {"1k", "entry name '1k' is not usable as a C identifier: it starts "
             "with '1'"},
      {"a-b", "entry name 'a-b' is not usable as a C identifier: it "
              "contains '-'"},
      {"int", "entry name 'int' is not usable as a C identifier: it is a C "
              "or C++ keyword"},
      {"class", "entry name 'class' is not usable as a C identifier: it is "
                "a C or C++ keyword"},
      {"_k", "entry name '_k' is not usable as a C identifier: names "
             "starting with '_' are reserved in C"},
  };
  for (auto [name, message] : bad)
    EXPECT_EQ(firstMessage(cpu::checkEntryName(name)), message);
  cpu::AotOptions options;
  options.entryName = "a-b";
  llvm::Expected<cpu::AotResult> r =
      cpu::compileAheadOfTime(parse(kScale), cpu::AotArtifact::Mlir, options);
  ASSERT_FALSE(bool(r));
  EXPECT_THAT(firstMessage(r.takeError()), HasSubstr("'a-b'"));
}

TEST(Aot, HeaderParameterNames) {
  // Names that are not C identifiers, keywords, or in the wrapper's eg_
  // namespace become argN; an output that is also an argument gets a
  // suffix; comments keep the graph's names.
  Graph g = parse(R"(graph @g(%class: f32[2], %"a*/b": f32[2], %x: f32[2]) {
  %0 = add %class, %"a*/b" : f32[2]
  %eg_y = neg %x : f32[2]
  return %0, %x, %eg_y
}
)");
  std::string h = compile(g, cpu::AotArtifact::CHeader, "k");
  EXPECT_THAT(h, HasSubstr("static inline int k_run(\n"
                           "    const float *arg0,\n"
                           "    const float *arg1,\n"
                           "    const float *x,\n"
                           "    float *arg3,\n"
                           "    float *x_4,\n"
                           "    float *arg5) {\n"));
  EXPECT_THAT(h, HasSubstr("%class"));
  // A name cannot end the comment early.
  EXPECT_THAT(h, HasSubstr("%a* /b"));
  EXPECT_THAT(h, Not(HasSubstr("gather")));
}

TEST(Aot, HeaderOfAGatherReportsOutOfRange) {
  Graph g = parse(R"(graph @g(%t: f32[4,3], %i: i64[2]) {
  %y = gather %t, %i {axis = 0} : f32[2,3]
  return %y
}
)");
  std::string h = compile(g, cpu::AotArtifact::CHeader, "k");
  EXPECT_THAT(h, HasSubstr("    eg_memref_i64_2d *gather_status);"));
  EXPECT_THAT(h, HasSubstr("  int64_t eg_status[1][2];"));
  EXPECT_THAT(h, HasSubstr(" *   1: 'gather' producing %y"));
  EXPECT_THAT(h, HasSubstr("const int64_t *i,"));
}

TEST(Aot, RefusedGraphGivesTheBackendsDiagnostic) {
  // Every graph the parser and verifier accept is lowered today, so this
  // one is built past the verifier, as CpuBackendTest does.
  Graph g = unverifiedEinsumGraph();
  std::unique_ptr<Backend> cpu = cpuBackend();
  ASSERT_TRUE(cpu);
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_FALSE(bool(exe));
  std::string jitMessage = firstMessage(exe.takeError());
  for (cpu::AotArtifact a :
       {cpu::AotArtifact::Mlir, cpu::AotArtifact::LLVMIR,
        cpu::AotArtifact::Assembly, cpu::AotArtifact::Object,
        cpu::AotArtifact::CHeader}) {
    llvm::Expected<cpu::AotResult> r = cpu::compileAheadOfTime(g, a, {});
    ASSERT_FALSE(bool(r));
    EXPECT_EQ(firstMessage(r.takeError()), jitMessage);
  }
}

TEST(Aot, IsTheBackendsEmission) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  ASSERT_TRUE(cpu);
  EmitOptions options;
  options.entryName = "k";
  options.header = true;
  Graph g = parse(kScale);
  llvm::Expected<EmitResult> emitted =
      cpu->emit(g, EmitArtifact::Object, options);
  ASSERT_TRUE(bool(emitted)) << firstMessage(emitted.takeError());
  llvm::Expected<cpu::AotResult> direct =
      cpu::compileAheadOfTime(g, cpu::AotArtifact::Object, options);
  ASSERT_TRUE(bool(direct)) << firstMessage(direct.takeError());
  EXPECT_EQ(emitted->output, direct->output);
  EXPECT_EQ(emitted->header, direct->header);
  // The entry name is checked without a graph, before a tool reads one.
  EXPECT_FALSE(bool(cpu->checkEmit(EmitArtifact::Object, options)));
  options.entryName = "my-kernel";
  EXPECT_EQ(firstMessage(cpu->checkEmit(EmitArtifact::Mlir, options)),
            firstMessage(cpu::checkEntryName("my-kernel")));
}

} // namespace

#endif // EG_HAVE_CPU_BACKEND
