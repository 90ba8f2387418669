//===- PassFuzzer.cpp - Parse, verify, each pass, verify ------------------===//
//
// Every registered pass, alone and in every named pipeline, must turn any
// verified graph into a verified graph or fail with a diagnostic. A pass
// that leaves a graph the verifier rejects is a compiler bug: abort, so the
// fuzzer keeps the input.
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <cstdio>
#include <cstdlib>

using namespace einsum;

static void runPipeline(const Graph &input, llvm::StringRef pipeline) {
  Graph g = input;
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(pipeline)));
  llvm::Error err = pm.run(g);
  std::vector<Diagnostic> diags = takeDiagnostics(std::move(err));
  if (!diags.empty() &&
      llvm::StringRef(diags.front().message).contains("does not verify")) {
    std::fprintf(stderr, "pipeline '%s' broke the graph:\n%s\n",
                 pipeline.str().c_str(), printGraph(input).c_str());
    for (const Diagnostic &d : diags)
      std::fprintf(stderr, "%s", d.str().c_str());
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  std::optional<Graph> g = verifiedGraph(data, size);
  if (!g)
    return 0;
  for (const std::string &pass : registeredPasses())
    runPipeline(*g, pass);
  for (const NamedPipeline &p : namedPipelines())
    runPipeline(*g, p.pipeline);
  return 0;
}
