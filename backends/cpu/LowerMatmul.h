//===- LowerMatmul.h - Batched matrix products as register tiles -*- C++
//-*-===//
#ifndef EINSUM_BACKENDS_CPU_LOWERMATMUL_H
#define EINSUM_BACKENDS_CPU_LOWERMATMUL_H

#include "backends/cpu/Lowering.h"

#include "ir/EinsumSpec.h"
#include "ir/Epilogue.h"

#include <optional>

namespace einsum::cpu {

/// Emits the node (its first two inputs are the spec's terms) as a
/// register-tiled batched matrix product with `epilogue` (null: none)
/// applied in registers; nullopt, emitting nothing, when the spec is not
/// such a product and the generic lowering must run.
std::optional<mlir::LogicalResult>
lowerMatmul(NodeLowering &n, const EinsumSpec &spec, const Epilogue *epilogue,
            mlir::ValueRange operands, llvm::ArrayRef<TensorType> operandTypes);

/// Whether lowerMatmul lowers `spec` (which f16 and bf16 terms it then
/// reads as they are: WidenHalfFloats.h).
bool isMatrixProduct(const EinsumSpec &spec);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_LOWERMATMUL_H
