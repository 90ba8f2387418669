//===- OutputFile.h - Writing the files the tools produce -------*- C++ -*-===//
//
// Every file the tools write (-o, IR dumps, reproducers, .npy outputs,
// headers, objects) goes through writeOutputFile, which writes regular files
// atomically and never replaces what is not a regular file: a device or a
// FIFO is written through, a symlink is followed, and a directory, a socket
// or a block device is refused.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_OUTPUTFILE_H
#define EINSUM_IR_OUTPUTFILE_H

#include "llvm/Support/Error.h"

namespace einsum {

/// Writes `contents` to `path`, by what `path` is:
/// - a regular file, or nothing: a temporary file in the same directory,
///   then a rename over `path`, so a failure never leaves a partial file
///   (an existing file's permissions are kept);
/// - a symlink: the same rule for what it points to, through any number of
///   links; the links stay links;
/// - a character device or a FIFO: opened and written through, with no
///   temporary and no rename (`/dev/null` stays a device);
/// - a directory, a socket or a block device: an error naming the path and
///   what it is; nothing is written.
llvm::Error writeOutputFile(llvm::StringRef path, llvm::StringRef contents);

/// Takes back a successful writeOutputFile: removes the regular file it
/// wrote (the target of a symlink, not the link). A device, a FIFO or
/// anything else is left alone.
void removeOutputFile(llvm::StringRef path);

} // namespace einsum

#endif // EINSUM_IR_OUTPUTFILE_H
