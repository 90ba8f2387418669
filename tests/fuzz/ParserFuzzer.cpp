//===- ParserFuzzer.cpp - Parse, verify, print, parse again ---------------===//
//
// Any input must give a graph or a diagnostic, never a crash or a hang. A
// graph that verifies must print to text that parses back to the same text:
// the round trip is the oracle, so the fuzzer finds printer/parser
// disagreements as well as crashes.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstdio>
#include <cstdlib>

using namespace einsum;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<Graph> g = parseGraph(text, "fuzz.eg");
  if (!g) {
    // Formatting every diagnostic exercises the caret drawing too.
    for (const Diagnostic &d : takeDiagnostics(g.takeError()))
      (void)d.str();
    return 0;
  }
  if (llvm::Error err = verify(*g)) {
    for (const Diagnostic &d : takeDiagnostics(std::move(err)))
      (void)d.str();
    return 0;
  }
  std::string printed = printGraph(*g);
  llvm::Expected<Graph> again = parseGraph(printed, "printed.eg");
  if (!again) {
    std::fprintf(stderr, "printed form does not parse:\n%s\n%s\n",
                 printed.c_str(), firstMessage(again.takeError()).c_str());
    std::abort();
  }
  if (llvm::Error err = verify(*again)) {
    std::fprintf(stderr, "printed form does not verify:\n%s\n%s\n",
                 printed.c_str(), firstMessage(std::move(err)).c_str());
    std::abort();
  }
  std::string reprinted = printGraph(*again);
  if (reprinted != printed) {
    std::fprintf(stderr, "round trip changed the text:\n%s\n---\n%s\n",
                 printed.c_str(), reprinted.c_str());
    std::abort();
  }
  return 0;
}
