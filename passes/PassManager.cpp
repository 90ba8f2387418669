//===- PassManager.cpp ----------------------------------------------------===//
#include "passes/PassManager.h"

#include "ir/OutputFile.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <fmt/format.h>

namespace einsum {

void PassManager::addPass(std::unique_ptr<Pass> pass) {
  pipeline.push_back(std::move(pass));
}

void PassManager::addPasses(std::vector<std::unique_ptr<Pass>> passes) {
  for (std::unique_ptr<Pass> &p : passes)
    addPass(std::move(p));
}

void PassManager::addInstrumentation(
    std::unique_ptr<PassInstrumentation> instr) {
  instrumentations.push_back(std::move(instr));
}

std::string PassManager::pipelineText() const {
  std::string s;
  for (const std::unique_ptr<Pass> &pass : pipeline) {
    if (!s.empty())
      s += ',';
    s += pass->pipelineText();
  }
  return s;
}

llvm::Error PassManager::fail(const Pass &pass, const Graph &g,
                              const std::string &input, llvm::Error cause) {
  for (auto &instr : instrumentations)
    instr->afterPassFailed(pass, g);
  std::vector<Diagnostic> diags = takeDiagnostics(std::move(cause));
  if (!reproducer.empty()) {
    std::string text =
        fmt::format("// Reproducer: pass '{}' failed on this graph.\n"
                    "// alibi-opt --pass-pipeline='{}' <this file>\n",
                    pass.name().str(), pipelineText());
    Diagnostic note;
    note.severity = Severity::Note;
    if (llvm::Error err = writeOutputFile(reproducer, text + input)) {
      note.message =
          "could not write a reproducer: " + firstMessage(std::move(err));
    } else {
      note.message = "reproducer written to " + reproducer;
    }
    diags.push_back(std::move(note));
  }
  for (auto &instr : instrumentations)
    instr->afterPipeline(g);
  return makeError(std::move(diags));
}

llvm::Error PassManager::run(Graph &g) {
  // The input as text, kept only to write a reproducer.
  std::string input = reproducer.empty() ? std::string() : printGraph(g);
  for (auto &instr : instrumentations)
    instr->beforePipeline(g);
  for (std::unique_ptr<Pass> &pass : pipeline) {
    for (auto &instr : instrumentations)
      instr->beforePass(*pass, g);
    // Messages and remarks name tensors as the pass's input prints them.
    g.freezeNumbering();
    llvm::Expected<bool> changed = pass->run(g, ctx);
    g.thawNumbering();
    if (!changed) {
      Diagnostic d;
      d.message = fmt::format("pass '{}' failed", pass->name().str());
      std::vector<Diagnostic> diags{d};
      for (Diagnostic &c : takeDiagnostics(changed.takeError()))
        diags.push_back(std::move(c));
      return fail(*pass, g, input, makeError(std::move(diags)));
    }
    if (*changed)
      g.compact();
    if (verifyEach && *changed) {
      if (llvm::Error err = verify(g)) {
        Diagnostic d;
        d.message = fmt::format("pass '{}' produced a graph that does not "
                                "verify; this is a compiler bug",
                                pass->name().str());
        std::vector<Diagnostic> diags{d};
        for (Diagnostic &c : takeDiagnostics(std::move(err)))
          diags.push_back(std::move(c));
        return fail(*pass, g, input, makeError(std::move(diags)));
      }
    }
    for (auto &instr : instrumentations)
      instr->afterPass(*pass, g, *changed);
  }
  for (auto &instr : instrumentations)
    instr->afterPipeline(g);
  return llvm::Error::success();
}

} // namespace einsum
