//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Version 1.0-3.0 files holding little-endian f32 ('<f4'), f64 ('<f8'),
// i64 ('<i8'), f16 ('<f2') or bf16 data in C order. numpy has no bfloat16,
// so bf16 tensors are written and read as their bit patterns, '<u2'
// (`a.view(numpy.uint16)`; docs/mixed-precision.md). Anything else
// (big-endian, Fortran order, other dtypes, a header that disagrees with the
// file size) is an error that says which.
//
// Reading is bounded by what the header declares: the magic string and the
// header come first (at most kMaxNpyHeaderBytes), then exactly the data the
// dtype and shape account for, then at most kMaxNpyTrailingBytes more to
// report what follows. A device or a FIFO that never ends (/dev/zero, a
// pipe from a generator) costs no more than that.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NPY_H
#define EINSUM_IR_NPY_H

#include "ir/TensorData.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

namespace einsum {

/// The longest header accepted (numpy itself refuses more than 10000 bytes
/// unless told otherwise); a version 2.0 length field could claim 4 GiB.
inline constexpr uint64_t kMaxNpyHeaderBytes = 1 << 20;
/// How many bytes after the data are counted for the message before the
/// reader gives up on finding the end ("more than N bytes of data").
inline constexpr uint64_t kMaxNpyTrailingBytes = 1 << 20;

/// Called with the type the header declares, before the data is read or any
/// memory is allocated for it; an error it returns is the reader's. Callers
/// that know the type they need pass a check, so a header claiming
/// something else costs nothing, even from a stream of unknown length.
using NpyTypeCheck = llvm::function_ref<llvm::Error(const TensorType &)>;

/// Parses the bytes of a .npy file; `name` is used in messages.
llvm::Expected<TensorData> parseNpy(llvm::StringRef bytes, llvm::StringRef name,
                                    NpyTypeCheck check = {});
/// Reads `path` as it goes, never more than the header accounts for (see
/// above); regular files are checked against their size before the data is
/// allocated, devices and FIFOs as their bytes arrive.
llvm::Expected<TensorData> readNpy(llvm::StringRef path,
                                   NpyTypeCheck check = {});

/// How a .npy file spells `t`, for messages: `'<f4'`, `'<u2', bf16 bit
/// patterns`.
std::string npyDescrText(DType t);

/// The bytes of a version 1.0 .npy file.
std::string serializeNpy(const TensorData &t);
/// Writes with writeOutputFile (ir/OutputFile.h): atomically for a regular
/// file, so a failure never leaves a partial file at `path`.
llvm::Error writeNpy(llvm::StringRef path, const TensorData &t);

} // namespace einsum

#endif // EINSUM_IR_NPY_H
