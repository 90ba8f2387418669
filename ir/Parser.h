//===- Parser.h - Reading the textual form ----------------------*- C++ -*-===//
#ifndef EINSUM_IR_PARSER_H
#define EINSUM_IR_PARSER_H

#include "ir/Graph.h"

namespace einsum {

/// Parses one graph. Syntax, names (a tensor must be defined before use, and
/// at most once) and attributes (declared, of the right kind) are checked
/// here, with diagnostics at file:line:col; typing is left to `verify`,
/// whose diagnostics carry the node's location. Lines are counted from
/// `firstLine`: the line of the file on which `text` starts, when it is a
/// piece of one.
llvm::Expected<Graph> parseGraph(llvm::StringRef text,
                                 llvm::StringRef fileName = "<stdin>",
                                 unsigned firstLine = 1);

} // namespace einsum

#endif // EINSUM_IR_PARSER_H
