//===- DiagnosticVerifier.h - expected-error annotations --------*- C++ -*-===//
//
// As mlir-opt's --verify-diagnostics: the input states the diagnostics it
// must produce, and the run succeeds when exactly those are produced.
//
//   // expected-error @+1 {{do not broadcast}}
//   %y = add %a, %b : f32[2,3]
//   %z = neg %y : f32[3]   // expected-error {{does not match}}
//   // expected-error @unknown {{has no outputs}}
//
// `@+N`/`@-N` is relative to the annotation's line, `@unknown` matches a
// diagnostic without location; the text in braces must occur in the message.
// Severities: expected-error, expected-warning, expected-note.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_TOOLS_DIAGNOSTICVERIFIER_H
#define EINSUM_TOOLS_DIAGNOSTICVERIFIER_H

#include "ir/Diagnostic.h"

namespace einsum {

/// Checks `produced` against the annotations in `text` (named `fileName`
/// in messages, its first line numbered `firstLine`). Reports every
/// unmatched expectation and every unexpected diagnostic, located at the
/// annotation or the diagnostic.
llvm::Error verifyDiagnostics(llvm::StringRef text, llvm::StringRef fileName,
                              const std::vector<Diagnostic> &produced,
                              unsigned firstLine = 1);

} // namespace einsum

#endif // EINSUM_TOOLS_DIAGNOSTICVERIFIER_H
