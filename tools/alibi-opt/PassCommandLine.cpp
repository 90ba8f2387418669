//===- PassCommandLine.cpp ------------------------------------------------===//
#include "tools/alibi-opt/PassCommandLine.h"

#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

#include <fmt/format.h>

namespace einsum {

namespace cl = llvm::cl;

PassCommandLine::PassCommandLine(cl::OptionCategory &category)
    : passPipeline("pass-pipeline",
                   cl::desc("Passes to run, e.g. 'canonicalize,cse' "
                            "(--list-passes shows them)"),
                   cl::value_desc("pipeline"), cl::cat(category)),
      optLevel(cl::desc("Named pipeline:"),
               cl::values(
                   clEnumValN(OptLevel::O0, "O0", "no transformation"),
                   clEnumValN(OptLevel::O1, "O1", "algebraic cleanup"),
                   clEnumValN(OptLevel::O2, "O2", "-O1 and bias fusion"),
                   clEnumValN(OptLevel::O3, "O3", "-O2 and attention fusion")),
               cl::init(OptLevel::Unset), cl::cat(category)),
      listPasses("list-passes",
                 cl::desc("List the passes, their options and the named "
                          "pipelines"),
                 cl::cat(category)),
      printIRBefore(
          "print-ir-before", cl::desc("Print the graph before these passes"),
          cl::CommaSeparated, cl::value_desc("pass"), cl::cat(category)),
      printIRAfter(
          "print-ir-after", cl::desc("Print the graph after these passes"),
          cl::CommaSeparated, cl::value_desc("pass"), cl::cat(category)),
      printIRAfterAll("print-ir-after-all",
                      cl::desc("Print the graph after every pass"),
                      cl::cat(category)),
      printIRAfterChange("print-ir-after-change",
                         cl::desc("Print the graph after every pass that "
                                  "changed it"),
                         cl::cat(category)),
      printIRTreeDir("print-ir-tree-dir",
                     cl::desc("Write the graph after each changing step to "
                              "numbered files in <dir>"),
                     cl::value_desc("dir"), cl::cat(category)),
      timing("timing", cl::desc("Report the time of each pass"),
             cl::cat(category)),
      timingFormat(
          "timing-format", cl::desc("Format of --timing"),
          cl::values(
              clEnumValN(TimingFormat::Text, "text", "a table (default)"),
              clEnumValN(TimingFormat::Json, "json", "one JSON object")),
          cl::init(TimingFormat::Text), cl::cat(category)),
      passStatistics("pass-statistics",
                     cl::desc("Report the counters each pass keeps"),
                     cl::cat(category)),
      debugFusion("debug-fusion",
                  cl::desc("Report every fusion candidate: fused, or why "
                           "not"),
                  cl::cat(category)),
      verifyEach("verify-each",
                 cl::desc("Verify the graph after each pass that changed it "
                          "(default on)"),
                 cl::init(true), cl::cat(category)),
      reproducer("reproducer",
                 cl::desc("Where to write the input and pipeline if a pass "
                          "fails (default: a new file in the temporary "
                          "directory)"),
                 cl::value_desc("file"), cl::cat(category)) {}

bool PassCommandLine::hasPipeline() const {
  return passPipeline.getNumOccurrences() > 0 || optLevel != OptLevel::Unset;
}

bool PassCommandLine::hasTwoPipelines() const {
  return passPipeline.getNumOccurrences() > 0 && optLevel != OptLevel::Unset;
}

llvm::Expected<std::unique_ptr<PassManager>>
PassCommandLine::buildPassManager(llvm::raw_ostream &diagnostics,
                                  IRPrinter *&printer) {
  bool named = optLevel != OptLevel::Unset;
  llvm::StringRef text =
      named ? optLevelPipeline(static_cast<unsigned>(optLevel.getValue()))
            : llvm::StringRef(passPipeline);
  llvm::Expected<std::vector<std::unique_ptr<Pass>>> passes =
      parsePipeline(text);
  if (!passes)
    return passes.takeError();
  // Printing flags must name passes that exist, or nothing would print and
  // the user would not know why.
  std::vector<std::string> printed(printIRBefore.begin(), printIRBefore.end());
  printed.insert(printed.end(), printIRAfter.begin(), printIRAfter.end());
  for (const std::string &name : printed) {
    llvm::Expected<std::unique_ptr<Pass>> p = createPass(name);
    if (!p)
      return p.takeError();
  }

  auto pm = std::make_unique<PassManager>();
  pm->addPasses(std::move(*passes));
  pm->enableVerifier(verifyEach);

  std::string path = reproducer;
  if (path.empty()) {
    llvm::SmallString<256> tmp;
    if (!llvm::sys::fs::createTemporaryFile("alibi-opt-reproducer", "eg",
                                            tmp)) {
      // createTemporaryFile made the file; the pass manager rewrites it
      // atomically only on failure, so remove the empty placeholder now.
      llvm::sys::fs::remove(tmp);
      path = tmp.str().str();
    }
  }
  pm->setReproducerPath(path);

  IRPrintingOptions printing;
  // Passes print under their own names; an alias selects its target.
  for (const std::string &name : printIRBefore)
    printing.beforePasses.insert(canonicalPassName(name));
  for (const std::string &name : printIRAfter)
    printing.afterPasses.insert(canonicalPassName(name));
  printing.afterAll = printIRAfterAll;
  printing.afterChange = printIRAfterChange;
  printing.treeDir = printIRTreeDir;
  printer = nullptr;
  if (!printing.beforePasses.empty() || !printing.afterPasses.empty() ||
      printing.afterAll || printing.afterChange || !printing.treeDir.empty()) {
    auto owned = std::make_unique<IRPrinter>(std::move(printing), diagnostics);
    printer = owned.get();
    pm->addInstrumentation(std::move(owned));
  }
  if (debugFusion)
    pm->addInstrumentation(
        std::make_unique<FusionRemarkPrinter>(pm->context(), diagnostics));
  if (timing)
    pm->addInstrumentation(
        std::make_unique<PassTimer>(timingFormat, diagnostics));
  return pm;
}

llvm::Error PassCommandLine::run(Graph &g, llvm::raw_ostream &diagnostics) {
  IRPrinter *printer = nullptr;
  llvm::Expected<std::unique_ptr<PassManager>> pm =
      buildPassManager(diagnostics, printer);
  if (!pm)
    return pm.takeError();
  llvm::Error err = (*pm)->run(g);
  if (passStatistics)
    printPassStatistics(**pm, diagnostics);
  // The pass manager does not see the dumps: a tree the user asked for and
  // did not get fails the run as surely as a failing pass.
  if (llvm::Error dumpErr =
          printer ? printer->takeError() : llvm::Error::success())
    err = llvm::joinErrors(
        std::move(err),
        makeError("--print-ir-tree-dir: " + firstMessage(std::move(dumpErr))));
  return err;
}

void printPassList(llvm::raw_ostream &os) {
  os << "Passes:\n";
  for (const std::string &name : registeredPasses()) {
    std::unique_ptr<Pass> pass = llvm::cantFail(createPass(name));
    os << fmt::format("  {:<24} {}\n", name, pass->summary().str());
    for (const Pass::OptionBase *o : pass->options())
      os << fmt::format("      {}={} (default {}): {}\n", o->name(),
                        o->kindName().str(), o->str(), o->description());
  }
  for (const auto &[alias, target] : passAliases())
    os << fmt::format("  {:<24} alias of {}\n", alias, target);
  os << "\nNamed pipelines:\n";
  for (const NamedPipeline &p : namedPipelines())
    os << fmt::format("  -{:<3} {}: {}\n", p.name.str(), p.summary.str(),
                      p.pipeline.empty() ? "(none)" : p.pipeline.str());
}

void printPassReference(llvm::raw_ostream &os) {
  os << "\n| pass | what it does | options | statistics |\n"
     << "| --- | --- | --- | --- |\n";
  for (const std::string &name : registeredPasses()) {
    std::unique_ptr<Pass> pass = llvm::cantFail(createPass(name));
    std::vector<std::string> options, stats;
    for (const Pass::OptionBase *o : pass->options())
      options.push_back(fmt::format("`{}={}` (default `{}`): {}", o->name(),
                                    o->kindName().str(), o->str(),
                                    o->description()));
    for (const Pass::Statistic *st : pass->statistics())
      stats.push_back(fmt::format("`{}`: {}", st->name(), st->description()));
    os << fmt::format("| `{}` | {} | {} | {} |\n", name, pass->summary().str(),
                      options.empty() ? "—" : llvm::join(options, "<br>"),
                      stats.empty() ? "—" : llvm::join(stats, "<br>"));
  }
  for (const auto &[alias, target] : passAliases())
    os << fmt::format("| `{}` | alias of `{}`, its former name | — | — |\n",
                      alias, target);
  os << "\n| pipeline | passes | purpose |\n| --- | --- | --- |\n";
  for (const NamedPipeline &p : namedPipelines())
    os << fmt::format("| `-{}` | `{}` | {} |\n", p.name.str(),
                      p.pipeline.empty() ? "(none)" : p.pipeline.str(),
                      p.summary.str());
}

} // namespace einsum
