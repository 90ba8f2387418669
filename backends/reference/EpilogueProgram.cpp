//===- EpilogueProgram.cpp ------------------------------------------------===//
#include "backends/reference/EpilogueProgram.h"

#include "ir/EpilogueOps.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cassert>

namespace einsum::reference {

EpilogueProgram::EpilogueProgram(const Epilogue &e, llvm::StringRef labels,
                                 llvm::ArrayRef<TensorType> operandTypes) {
  emit(e.root(), labels, operandTypes, 0);
}

/// Appends `e` in postfix order; its value lands at stack slot `depth`.
void EpilogueProgram::emit(const EpilogueExpr &e, llvm::StringRef labels,
                           llvm::ArrayRef<TensorType> operandTypes,
                           unsigned depth) {
  maxDepth = std::max(maxDepth, depth + 1);
  if (e.op == EpilogueOp::Operand)
    return emitOperand(e, labels, operandTypes, depth);
  assert(e.op != EpilogueOp::Symbol &&
         "the interpreter runs graphs whose sizes are substituted");
  for (size_t i = 0; i < e.children.size(); ++i)
    emit(e.children[i], labels, operandTypes, depth + i);
  Instr in;
  in.op = e.op;
  in.value = e.value;
  in.numArgs = e.children.size();
  if (e.op == EpilogueOp::Label) {
    in.slot = labels.find(e.label);
    assert(in.slot < labels.size() && "unchecked epilogue");
  }
  code.push_back(in);
}

/// Label indices are read straight from the label values; computed ones are
/// pushed first and popped by the read.
void EpilogueProgram::emitOperand(const EpilogueExpr &e, llvm::StringRef labels,
                                  llvm::ArrayRef<TensorType> operandTypes,
                                  unsigned depth) {
  assert(e.operand < operandTypes.size() && "unchecked epilogue");
  const TensorType &t = operandTypes[e.operand];
  assert(t.rank() == e.children.size() && "unchecked epilogue");
  std::vector<int64_t> strides(t.rank(), 1);
  for (size_t d = t.rank(); d-- > 1;)
    strides[d - 1] = strides[d] * t.dim(d);
  Instr in;
  in.op = EpilogueOp::Operand;
  in.slot = e.operand;
  in.firstTerm = terms.size();
  for (size_t d = 0; d < t.rank(); ++d) {
    // A size-1 dimension always reads index 0: a broadcast label, or an
    // expression check() proved to range over [0, 1).
    if (t.dim(d) == 1)
      continue;
    const EpilogueExpr &index = e.children[d];
    if (index.op == EpilogueOp::Label) {
      unsigned pos = labels.find(index.label);
      assert(pos < labels.size() && "unchecked epilogue");
      terms.push_back({false, pos, strides[d]});
      continue;
    }
    emit(index, labels, operandTypes, depth + in.numArgs);
    terms.push_back({true, in.numArgs++, strides[d]});
  }
  in.numTerms = terms.size() - in.firstTerm;
  code.push_back(in);
}

double EpilogueProgram::run(double acc, llvm::ArrayRef<int64_t> labelValues,
                            llvm::ArrayRef<const double *> operands) const {
  llvm::SmallVector<double, 16> stack(maxDepth);
  size_t sp = 0;
  for (const Instr &in : code) {
    switch (in.op) {
    case EpilogueOp::Number:
      stack[sp++] = in.value;
      continue;
    case EpilogueOp::Acc:
      stack[sp++] = acc;
      continue;
    case EpilogueOp::Label:
      stack[sp++] = double(labelValues[in.slot]);
      continue;
    case EpilogueOp::Operand: {
      sp -= in.numArgs;
      const double *computed = stack.data() + sp;
      int64_t offset = 0;
      for (unsigned t = in.firstTerm; t < in.firstTerm + in.numTerms; ++t) {
        const Term &term = terms[t];
        int64_t index =
            term.computed ? int64_t(computed[term.pos]) : labelValues[term.pos];
        offset += index * term.stride;
      }
      stack[sp++] = operands[in.slot][offset];
      continue;
    }
    default:
      break;
    }
    sp -= in.numArgs;
    stack[sp] = applyEpilogueOp(in.op, &stack[sp]);
    ++sp;
  }
  assert(sp == 1 && "unbalanced program");
  return stack[0];
}

} // namespace einsum::reference
