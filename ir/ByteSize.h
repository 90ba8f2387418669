//===- ByteSize.h - Amounts of memory in messages and options ---*- C++ -*-===//
#ifndef EINSUM_IR_BYTESIZE_H
#define EINSUM_IR_BYTESIZE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace einsum {

/// "100 bytes" below 1 KiB, else one decimal in the largest binary unit
/// that keeps the number at least 1: "1.5 KiB", "4.0 GiB".
std::string formatBytes(uint64_t bytes);

/// A size as a user writes it: plain bytes ("1048576"), or a whole number
/// with a binary unit K, M, G or T, any case, optionally followed by "B" or
/// "iB" ("512M", "8G", "2GiB"). Zero, fractions, other units and sizes that
/// do not fit in 64 bits are errors quoting `text`.
llvm::Expected<uint64_t> parseByteSize(llvm::StringRef text);

} // namespace einsum

#endif // EINSUM_IR_BYTESIZE_H
