//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Version 1.0-3.0 files holding little-endian f32 ('<f4'), f64 ('<f8') or
// i64 ('<i8') data in C order. Anything else (big-endian, Fortran order,
// other dtypes, a header that disagrees with the file size) is an error that
// says which.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NPY_H
#define EINSUM_IR_NPY_H

#include "ir/TensorData.h"

#include "llvm/Support/Error.h"

namespace einsum {

/// Parses the bytes of a .npy file; `name` is used in messages.
llvm::Expected<TensorData> parseNpy(llvm::StringRef bytes,
                                    llvm::StringRef name);
llvm::Expected<TensorData> readNpy(llvm::StringRef path);

/// The bytes of a version 1.0 .npy file.
std::string serializeNpy(const TensorData &t);
/// Writes with writeOutputFile (ir/OutputFile.h): atomically for a regular
/// file, so a failure never leaves a partial file at `path`.
llvm::Error writeNpy(llvm::StringRef path, const TensorData &t);

} // namespace einsum

#endif // EINSUM_IR_NPY_H
