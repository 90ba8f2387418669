//===- Instrumentation.cpp ------------------------------------------------===//
#include "passes/Instrumentation.h"

#include "ir/Diagnostic.h"
#include "ir/OutputFile.h"
#include "ir/Printer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

namespace einsum {

//===----------------------------------------------------------------------===//
// IR printing
//===----------------------------------------------------------------------===//

void IRPrinter::emit(llvm::StringRef when, const Pass *pass, const Graph &g) {
  std::string passName = pass ? pass->name().str() : "input";
  if (opts.treeDir.empty()) {
    os << "// -----// IR Dump " << when << (pass ? " " + passName : "")
       << " //----- //\n";
    printGraph(g, os);
    os << "\n";
    return;
  }
  llvm::SmallString<256> path(opts.treeDir);
  llvm::sys::path::append(path, fmt::format("{:02}-{}{}.eg", step++, passName,
                                            when == "Before" ? "-before" : ""));
  keepFirstError(writeOutputFile(path, printGraph(g)));
}

void IRPrinter::keepFirstError(llvm::Error err) {
  // Later failures say nothing new: the same directory, the same cause.
  if (!err)
    return;
  if (writeError)
    llvm::consumeError(std::move(err));
  else
    writeError = std::move(err);
}

void IRPrinter::beforePipeline(const Graph &g) {
  if (opts.treeDir.empty())
    return;
  // create_directories accepts a path that exists whatever it is; a file
  // there would only fail each write with a less telling message.
  std::error_code ec = llvm::sys::fs::create_directories(opts.treeDir);
  if (!ec && !llvm::sys::fs::is_directory(opts.treeDir))
    ec = std::make_error_code(std::errc::file_exists);
  if (ec) {
    keepFirstError(makeError(fmt::format("cannot create directory '{}': {}",
                                         opts.treeDir, ec.message())));
    return;
  }
  emit("", nullptr, g);
}

void IRPrinter::beforePass(const Pass &pass, const Graph &g) {
  if (opts.beforePasses.count(pass.name().str()))
    emit("Before", &pass, g);
}

void IRPrinter::afterPass(const Pass &pass, const Graph &g, bool changed) {
  // A tree dump records every step that changed the graph (every step with
  // afterAll); the stream gets what the flags ask for.
  bool print = opts.treeDir.empty()
                   ? opts.afterAll ||
                         opts.afterPasses.count(pass.name().str()) ||
                         (opts.afterChange && changed)
                   : changed || opts.afterAll;
  if (print)
    emit("After", &pass, g);
}

void IRPrinter::afterPassFailed(const Pass &pass, const Graph &g) {
  emit("After Failed", &pass, g);
}

//===----------------------------------------------------------------------===//
// Timing
//===----------------------------------------------------------------------===//

void PassTimer::beforePipeline(const Graph &) {
  pipelineStart = Clock::now();
  entries.clear();
}

void PassTimer::beforePass(const Pass &, const Graph &) {
  passStart = Clock::now();
}

void PassTimer::stop(const Pass &pass) {
  std::chrono::duration<double> d = Clock::now() - passStart;
  entries.push_back({pass.name().str(), d.count()});
}

void PassTimer::afterPass(const Pass &pass, const Graph &, bool) { stop(pass); }

void PassTimer::afterPassFailed(const Pass &pass, const Graph &) { stop(pass); }

void PassTimer::afterPipeline(const Graph &) {
  std::chrono::duration<double> total = Clock::now() - pipelineStart;
  if (format == TimingFormat::Json) {
    os << "{\"total_seconds\": " << fmt::format("{:.6f}", total.count())
       << ", \"passes\": [";
    for (size_t i = 0; i < entries.size(); ++i)
      os << (i ? ", " : "") << "{\"name\": \"" << entries[i].pass
         << "\", \"seconds\": " << fmt::format("{:.6f}", entries[i].seconds)
         << "}";
    os << "]}\n";
    return;
  }
  os << "===" << std::string(73, '-') << "===\n"
     << "                      ... Pass execution timing report ...\n"
     << "===" << std::string(73, '-') << "===\n"
     << fmt::format("  Total Execution Time: {:.4f} seconds\n\n", total.count())
     << "   Wall Time  Name\n";
  for (const Entry &e : entries)
    os << fmt::format("  {:9.4f}s  {}\n", e.seconds, terminalText(e.pass));
  os << fmt::format("  {:9.4f}s  Total\n", total.count());
}

//===----------------------------------------------------------------------===//
// Remarks and statistics
//===----------------------------------------------------------------------===//

void FusionRemarkPrinter::afterPass(const Pass &, const Graph &, bool) {
  for (const FusionRemark &r : ctx.takeNewRemarks())
    os << r.str() << "\n";
}

void FusionRemarkPrinter::afterPassFailed(const Pass &pass, const Graph &g) {
  afterPass(pass, g, false);
}

void printPassStatistics(const PassManager &pm, llvm::raw_ostream &os) {
  os << "===" << std::string(73, '-') << "===\n"
     << "                         ... Pass statistics report ...\n"
     << "===" << std::string(73, '-') << "===\n";
  for (const std::unique_ptr<Pass> &pass : pm.passes()) {
    os << pass->name() << "\n";
    for (const Pass::Statistic *s : pass->statistics())
      os << fmt::format("  (S) {:4} {} - {}\n", s->value(), s->name(),
                        s->description());
  }
}

} // namespace einsum
