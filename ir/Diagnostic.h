//===- Diagnostic.h - Located user-facing diagnostics -----------*- C++ -*-===//
//
// User errors travel as llvm::Error values carrying one or more Diagnostics.
// A diagnostic optionally knows where it came from (file:line:col and the
// source line), so the same type serves the parser, the verifier and the
// builder, and a tool prints all of them the same way.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_DIAGNOSTIC_H
#define EINSUM_IR_DIAGNOSTIC_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace einsum {

/// A position in a source buffer. Line and column are 1-based; line 0 means
/// "no location" (a graph built through the C++ API).
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned col = 0;
  /// The text of the line, kept so a caret can be drawn without the buffer.
  std::string lineText;

  bool isValid() const { return line != 0; }
};

enum class Severity { Error, Warning, Note };

/// "error", "warning" or "note".
llvm::StringRef severityName(Severity s);

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;

  /// Prints `file:line:col: error: message`, then the source line and a caret
  /// when the location is known.
  void print(llvm::raw_ostream &os) const;
  std::string str() const;
};

/// An llvm::Error payload holding diagnostics in the order they were found.
class DiagnosticError : public llvm::ErrorInfo<DiagnosticError> {
public:
  static char ID;
  explicit DiagnosticError(std::vector<Diagnostic> diags)
      : diags(std::move(diags)) {}

  const std::vector<Diagnostic> &diagnostics() const { return diags; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  std::vector<Diagnostic> diags;
};

/// `text` as it may reach a terminal: control characters (C0, DEL and the
/// C1 range U+0080 to U+009F, which start escape sequences) and bytes that
/// are not UTF-8 are shown as `\xNN`, one per byte; tabs, newlines and other
/// text stay. Names come from the input and can hold any byte, so every
/// name, path or message echoed to the user goes through this: diagnostics
/// (Diagnostic::print), remarks, the run summary, timing reports.
std::string terminalText(llvm::StringRef text);

/// Whether terminalText(text) would leave `text` as it is.
bool isTerminalText(llvm::StringRef text);

/// Makes an error with one diagnostic.
llvm::Error makeError(std::string message, SourceLoc loc = {});
llvm::Error makeError(std::vector<Diagnostic> diags);

/// Moves every diagnostic out of `err` (other error kinds become plain
/// diagnostics without location). Consumes the error.
std::vector<Diagnostic> takeDiagnostics(llvm::Error err);

/// Prints every diagnostic in `err` to `os` and consumes it.
void printErrors(llvm::Error err, llvm::raw_ostream &os);

/// The message of the first diagnostic, for tests and short reports.
std::string firstMessage(llvm::Error err);

} // namespace einsum

#endif // EINSUM_IR_DIAGNOSTIC_H
