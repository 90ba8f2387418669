//===- OpReference.h - The op reference, generated from Ops.def -*- C++ -*-===//
#ifndef EINSUM_TOOLS_OPREFERENCE_H
#define EINSUM_TOOLS_OPREFERENCE_H

#include "llvm/Support/raw_ostream.h"

namespace einsum {

/// Writes the Markdown op reference that docs/ir-reference.md embeds; a lit
/// test keeps the two identical.
void printOpReference(llvm::raw_ostream &os);

} // namespace einsum

#endif // EINSUM_TOOLS_OPREFERENCE_H
