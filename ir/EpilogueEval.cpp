//===- EpilogueEval.cpp - Evaluating an epilogue by walking its tree ------===//
//
// Simple, for tests, folding and one-off uses; the reference backend's
// per-element loop runs a postfix program instead
// (backends/reference/EpilogueProgram.h). Both take each operator's value
// from applyEpilogueOp. A computed operand index is evaluated first, then
// read: check() proved it an exact integer within the dimension.
//
//===----------------------------------------------------------------------===//
#include "ir/Epilogue.h"
#include "ir/EpilogueOps.h"

#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <cmath>

namespace einsum {

//===--- Tree walk --------------------------------------------------------===//

namespace {
struct TreeEval {
  double acc;
  llvm::StringRef labels;
  llvm::ArrayRef<int64_t> labelValues;
  Epilogue::OperandAccess operands;

  int64_t valueOf(char label) const {
    size_t p = labels.find(label);
    assert(p < labelValues.size() && "label not bound");
    return labelValues[p];
  }

  double eval(const EpilogueExpr &e) const {
    switch (e.op) {
    case EpilogueOp::Number:
      return e.value;
    case EpilogueOp::Acc:
      return acc;
    case EpilogueOp::Label:
      return double(valueOf(e.label));
    case EpilogueOp::Symbol:
      assert(false && "sizes are substituted before evaluation");
      return NAN;
    case EpilogueOp::Operand: {
      llvm::SmallVector<int64_t, 4> index;
      for (const EpilogueExpr &c : e.children)
        index.push_back(c.op == EpilogueOp::Label ? valueOf(c.label)
                                                  : int64_t(eval(c)));
      return operands(e.operand, index);
    }
    default:
      break;
    }
    llvm::SmallVector<double, 3> args;
    for (const EpilogueExpr &c : e.children)
      args.push_back(eval(c));
    return applyEpilogueOp(e.op, args.data());
  }
};
} // namespace

double Epilogue::evaluate(double acc, llvm::StringRef labels,
                          llvm::ArrayRef<int64_t> labelValues,
                          OperandAccess operands) const {
  return TreeEval{acc, labels, labelValues, operands}.eval(tree);
}

} // namespace einsum
