//===- InputFile.h - Reading text inputs with a bound ------------*- C++
//-*-===//
//
// The counterpart of OutputFile.h for reading: a graph file may be a device,
// a FIFO or a /proc file as well as a regular file, and none of their sizes
// can be trusted up front (/dev/zero never ends; stat says 0 for a FIFO and
// for /proc). readInputFile reads in pieces until the end, and stops as soon
// as the input passes a limit instead of growing without bound.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_INPUTFILE_H
#define EINSUM_IR_INPUTFILE_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace einsum {

/// The default limit on a graph file: far above any graph we have seen
/// (10^6 nodes take 35 MB), yet /dev/zero is refused in a fraction of a
/// second.
inline constexpr uint64_t kDefaultMaxInputBytes = uint64_t(256) << 20;

/// All of `path` ("-": standard input). More than `maxBytes` is an error,
/// reported without reading further: `cannot read 'x': the input is larger
/// than 1.0 KiB`, followed by ` (<limitName>)` when `limitName` is given
/// (the option that sets the limit). A regular file is refused by its size
/// before it is read; anything else is read until it ends or passes the
/// limit, so /dev/zero costs `maxBytes`, not the machine.
llvm::Expected<std::string> readInputFile(llvm::StringRef path,
                                          uint64_t maxBytes,
                                          llvm::StringRef limitName = "");

} // namespace einsum

#endif // EINSUM_IR_INPUTFILE_H
