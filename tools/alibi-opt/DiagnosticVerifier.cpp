//===- DiagnosticVerifier.cpp ---------------------------------------------===//
#include "tools/alibi-opt/DiagnosticVerifier.h"

#include <fmt/format.h>

namespace einsum {

namespace {

struct Expectation {
  Severity severity;
  /// 0: a diagnostic without location.
  unsigned line;
  std::string text;
  SourceLoc where;
  bool matched = false;
};

/// Reads the annotations of every line; malformed ones are errors.
llvm::Expected<std::vector<Expectation>>
parseExpectations(llvm::StringRef text, llvm::StringRef fileName,
                  unsigned firstLine) {
  std::vector<Expectation> out;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (unsigned i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i];
    unsigned lineNumber = firstLine + i;
    for (size_t at = line.find("expected-"); at != llvm::StringRef::npos;
         at = line.find("expected-", at + 1)) {
      SourceLoc where{fileName.str(), lineNumber, unsigned(at + 1),
                      line.rtrim("\r").str()};
      llvm::StringRef rest = line.drop_front(at + 9);
      Expectation e;
      if (rest.consume_front("error"))
        e.severity = Severity::Error;
      else if (rest.consume_front("warning"))
        e.severity = Severity::Warning;
      else if (rest.consume_front("note"))
        e.severity = Severity::Note;
      else
        continue; // Prose that happens to contain "expected-".
      e.line = lineNumber;
      rest = rest.ltrim();
      if (rest.consume_front("@")) {
        if (rest.consume_front("unknown")) {
          e.line = 0;
        } else {
          bool up = rest.consume_front("-");
          if (!up)
            rest.consume_front("+");
          unsigned offset;
          if (rest.consumeInteger(10, offset))
            return makeError("expected '@+N', '@-N' or '@unknown' after the "
                             "severity",
                             where);
          if (up && offset >= e.line)
            return makeError(fmt::format("'@-{}' points before the first "
                                         "line",
                                         offset),
                             where);
          e.line = up ? e.line - offset : e.line + offset;
        }
        rest = rest.ltrim();
      }
      size_t open = rest.find("{{"), close = rest.find("}}");
      if (!rest.starts_with("{{") || close == llvm::StringRef::npos)
        return makeError("expected '{{message}}' in the annotation", where);
      e.text = rest.slice(open + 2, close).str();
      e.where = where;
      out.push_back(std::move(e));
    }
  }
  return out;
}

} // namespace

llvm::Error verifyDiagnostics(llvm::StringRef text, llvm::StringRef fileName,
                              const std::vector<Diagnostic> &produced,
                              unsigned firstLine) {
  llvm::Expected<std::vector<Expectation>> expected =
      parseExpectations(text, fileName, firstLine);
  if (!expected)
    return expected.takeError();
  std::vector<Diagnostic> problems;
  for (const Diagnostic &d : produced) {
    unsigned line = d.loc.isValid() ? d.loc.line : 0;
    auto it = std::find_if(
        expected->begin(), expected->end(), [&](const Expectation &e) {
          return !e.matched && e.severity == d.severity && e.line == line &&
                 llvm::StringRef(d.message).contains(e.text);
        });
    if (it != expected->end()) {
      it->matched = true;
      continue;
    }
    Diagnostic p;
    p.loc = d.loc;
    p.message = fmt::format("unexpected {}: {}", severityName(d.severity).str(),
                            d.message);
    problems.push_back(std::move(p));
  }
  for (const Expectation &e : *expected) {
    if (e.matched)
      continue;
    Diagnostic p;
    p.loc = e.where;
    p.message = fmt::format("expected {} \"{}\" was not produced{}",
                            severityName(e.severity).str(), e.text,
                            e.line ? fmt::format(" on line {}", e.line)
                                   : std::string(" without location"));
    problems.push_back(std::move(p));
  }
  if (problems.empty())
    return llvm::Error::success();
  return makeError(std::move(problems));
}

} // namespace einsum
