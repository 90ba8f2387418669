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

/// The length of the character at `text[i]` if a terminal may be sent it
/// as is, else 0: tabs, newlines, printable ASCII and UTF-8 other than the
/// C1 controls (U+0080 to U+009F, which include the one-byte escape
/// sequence introducer U+009B).
static unsigned printableLength(llvm::StringRef text, size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80)
    return c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f) ? 1 : 0;
  const auto *p = reinterpret_cast<const llvm::UTF8 *>(text.data() + i);
  unsigned n = llvm::getNumBytesForUTF8(c);
  if (n > text.size() - i || !llvm::isLegalUTF8Sequence(p, p + n))
    return 0;
  if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0)
    return 0;
  return n;
}

/// `text` with every character a terminal must not see replaced: each of
/// its bytes by `\xNN`, or the whole character by one '?' with `keepWidth`
/// (an echoed source line, so the caret still lines up).
static std::string printable(llvm::StringRef text, bool keepWidth) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (unsigned n = printableLength(text, i)) {
      out.append(text.data() + i, n);
      i += n;
      continue;
    }
    // A C1 control is two bytes, both shown; anything else one byte.
    auto c = static_cast<unsigned char>(text[i]);
    unsigned n = c == 0xC2 && i + 1 < text.size() &&
                         static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                         static_cast<unsigned char>(text[i + 1]) < 0xA0
                     ? 2
                     : 1;
    if (keepWidth)
      out += '?';
    else
      for (unsigned k = 0; k < n; ++k)
        out +=
            fmt::format("\\x{:02X}", static_cast<unsigned char>(text[i + k]));
    i += n;
  }
  return out;
}

std::string terminalText(llvm::StringRef text) {
  return printable(text, /*keepWidth=*/false);
}

bool isTerminalText(llvm::StringRef text) {
  for (size_t i = 0; i < text.size();) {
    unsigned n = printableLength(text, i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
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
