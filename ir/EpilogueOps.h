//===- EpilogueOps.h - Epilogue operators and the graph ops ------*- C++
//-*-===//
//
// What ir/EpilogueOps.def says about each operator beyond its syntax: its
// value, and which elementwise graph op it stands for. Fusion asks
// expressElementwise to turn a graph op into an epilogue; the evaluators
// ask applyEpilogueOp for a value.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_EPILOGUEOPS_H
#define EINSUM_IR_EPILOGUEOPS_H

#include "ir/Epilogue.h"
#include "ir/Ops.h"

#include <optional>

namespace einsum {

/// The value of a non-leaf operator from its arguments' values.
double applyEpilogueOp(EpilogueOp op, const double *a);

/// The operator computing what elementwise graph op `op` computes, if one
/// does (its GraphOp column).
std::optional<EpilogueOp> epilogueOpOf(OpKind op);

/// Elementwise graph op `op` applied to `args` (one per input) as an
/// epilogue: its operator, or a short composition for the ops the table
/// lacks (square, recip, rsqrt); nullopt when the language cannot say it.
std::optional<Epilogue> expressElementwise(OpKind op,
                                           llvm::ArrayRef<Epilogue> args);

} // namespace einsum

#endif // EINSUM_IR_EPILOGUEOPS_H
