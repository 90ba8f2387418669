//===- EpilogueProgram.h - An epilogue compiled for one node ----*- C++ -*-===//
//
// The interpreter evaluates a node's epilogue once per element, so it
// compiles the tree once into a postfix program whose operand reads have
// their strides precomputed: per element, a few loads and arithmetic.
// Operators take their values from applyEpilogueOp (ir/EpilogueOps.h), as
// the tree walk Epilogue::evaluate does, so the two always agree.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_REFERENCE_EPILOGUEPROGRAM_H
#define EINSUM_BACKENDS_REFERENCE_EPILOGUEPROGRAM_H

#include "ir/Epilogue.h"

namespace einsum::reference {

/// An epilogue compiled for one node: a postfix program with each operand
/// reference's strides precomputed, so evaluating it per element costs a
/// few loads and arithmetic.
class EpilogueProgram {
public:
  /// `e` must have passed check() for `labels` and `operandTypes`.
  EpilogueProgram(const Epilogue &e, llvm::StringRef labels,
                  llvm::ArrayRef<TensorType> operandTypes);

  /// `labelValues[p]` is the index of `labels[p]`; `operands[k]` points at
  /// the row-major data of operand k.
  double run(double acc, llvm::ArrayRef<int64_t> labelValues,
             llvm::ArrayRef<const double *> operands) const;

private:
  struct Instr {
    EpilogueOp op;
    double value = 0;
    /// Values it pops off the stack: an operand's computed indices.
    unsigned numArgs = 0;
    /// Label: position in `labels`; Operand: the operand.
    unsigned slot = 0;
    /// Operand: terms [firstTerm, firstTerm + numTerms) of `terms`.
    unsigned firstTerm = 0, numTerms = 0;
  };
  /// One indexed, non-broadcast dimension: offset += index * stride, the
  /// index being a label's value or one the program computed (`pos`-th of
  /// the instruction's popped arguments).
  struct Term {
    bool computed;
    unsigned pos;
    int64_t stride;
  };
  void emit(const EpilogueExpr &e, llvm::StringRef labels,
            llvm::ArrayRef<TensorType> operandTypes, unsigned depth);
  void emitOperand(const EpilogueExpr &e, llvm::StringRef labels,
                   llvm::ArrayRef<TensorType> operandTypes, unsigned depth);

  std::vector<Instr> code;
  std::vector<Term> terms;
  unsigned maxDepth = 0;
};

} // namespace einsum::reference

#endif // EINSUM_BACKENDS_REFERENCE_EPILOGUEPROGRAM_H
