//===- Printer.h - The textual form of a graph ------------------*- C++ -*-===//
//
// The format is documented in docs/text-format.md. Output is a function of
// the graph alone: anonymous tensors are numbered in definition order and
// attributes equal to their defaults are omitted, so print(parse(x)) == x
// for any printed x.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_PRINTER_H
#define EINSUM_IR_PRINTER_H

#include "ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

namespace einsum {

void printGraph(const Graph &g, llvm::raw_ostream &os);
std::string printGraph(const Graph &g);

} // namespace einsum

#endif // EINSUM_IR_PRINTER_H
