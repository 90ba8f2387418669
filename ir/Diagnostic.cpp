//===- Diagnostic.cpp -----------------------------------------------------===//
#include "ir/Diagnostic.h"

#include "llvm/Support/ConvertUTF.h"

#include <fmt/format.h>

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

/// `text` with the bytes a terminal must not see (control characters, which
/// can be escape sequences, and bytes that are not UTF-8) replaced: by
/// `\xNN` in messages, by '?' in an echoed source line so the caret still
/// lines up. Input files, and strings through their escapes, can hold any.
static std::string printable(llvm::StringRef text, bool keepWidth) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    unsigned n = 1;
    bool ok = c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f);
    if (c >= 0x80) {
      const auto *p = reinterpret_cast<const llvm::UTF8 *>(text.data() + i);
      n = llvm::getNumBytesForUTF8(c);
      ok = n <= text.size() - i && llvm::isLegalUTF8Sequence(p, p + n);
      if (!ok)
        n = 1;
    }
    if (ok)
      out.append(text.data() + i, n);
    else
      out += keepWidth ? std::string("?") : fmt::format("\\x{:02X}", c);
    i += n;
  }
  return out;
}

void Diagnostic::print(llvm::raw_ostream &os) const {
  if (loc.isValid())
    os << printable(loc.file.empty() ? "<input>" : loc.file, false) << ':'
       << loc.line << ':' << loc.col << ": ";
  os << severityName(severity) << ": " << printable(message, false) << '\n';
  if (!loc.isValid() || loc.lineText.empty())
    return;
  os << printable(loc.lineText, true) << '\n';
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
