//===- Diagnostic.cpp -----------------------------------------------------===//
#include "ir/Diagnostic.h"

namespace einsum {

char DiagnosticError::ID = 0;

llvm::StringRef severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

void Diagnostic::print(llvm::raw_ostream &os) const {
  if (loc.isValid())
    os << (loc.file.empty() ? "<input>" : loc.file) << ':' << loc.line << ':'
       << loc.col << ": ";
  os << severityName(severity) << ": " << message << '\n';
  if (!loc.isValid() || loc.lineText.empty())
    return;
  os << loc.lineText << '\n';
  // Tabs are kept so the caret lines up under tab-indented text.
  std::string pad;
  for (unsigned i = 1; i < loc.col && i - 1 < loc.lineText.size(); ++i)
    pad += loc.lineText[i - 1] == '\t' ? '\t' : ' ';
  os << pad << "^\n";
}

std::string Diagnostic::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}

void DiagnosticError::log(llvm::raw_ostream &os) const {
  for (const Diagnostic &d : diags)
    d.print(os);
}

std::error_code DiagnosticError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error makeError(std::string message, SourceLoc loc) {
  Diagnostic d;
  d.loc = std::move(loc);
  d.message = std::move(message);
  return llvm::make_error<DiagnosticError>(std::vector<Diagnostic>{d});
}

llvm::Error makeError(std::vector<Diagnostic> diags) {
  assert(!diags.empty() && "an error needs at least one diagnostic");
  return llvm::make_error<DiagnosticError>(std::move(diags));
}

std::vector<Diagnostic> takeDiagnostics(llvm::Error err) {
  std::vector<Diagnostic> out;
  llvm::handleAllErrors(
      std::move(err),
      [&](const DiagnosticError &e) {
        out.insert(out.end(), e.diagnostics().begin(), e.diagnostics().end());
      },
      [&](const llvm::ErrorInfoBase &e) {
        Diagnostic d;
        d.message = e.message();
        out.push_back(std::move(d));
      });
  return out;
}

void printErrors(llvm::Error err, llvm::raw_ostream &os) {
  for (const Diagnostic &d : takeDiagnostics(std::move(err)))
    d.print(os);
}

std::string firstMessage(llvm::Error err) {
  std::vector<Diagnostic> diags = takeDiagnostics(std::move(err));
  return diags.empty() ? std::string() : diags.front().message;
}

} // namespace einsum
