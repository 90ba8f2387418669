//===- EpilogueEval.cpp - Evaluating epilogues ----------------------------===//
//
// Two evaluators with one set of scalar semantics: a tree walk (simple, for
// tests and one-off uses) and a postfix program compiled once per node (for
// the interpreter's per-element loop). Comparisons give 1 or 0; min and max
// propagate NaN, as the `min` and `max` ops do; select evaluates all three
// arguments, which is harmless as nothing has side effects. A computed
// operand index is evaluated first, then read: check() proved it an exact
// integer within the dimension.
//
//===----------------------------------------------------------------------===//
#include "ir/Epilogue.h"
#include "ir/RelativeBuckets.h"

#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <cmath>

namespace einsum {

static double nanMax(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
}
static double nanMin(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
}

/// The value of a non-leaf node from its arguments' values.
static double apply(EpilogueOp op, const double *args) {
  switch (op) {
  case EpilogueOp::Neg:
    return -args[0];
  case EpilogueOp::Add:
    return args[0] + args[1];
  case EpilogueOp::Sub:
    return args[0] - args[1];
  case EpilogueOp::Mul:
    return args[0] * args[1];
  case EpilogueOp::Div:
    return args[0] / args[1];
  case EpilogueOp::Lt:
    return args[0] < args[1];
  case EpilogueOp::Le:
    return args[0] <= args[1];
  case EpilogueOp::Gt:
    return args[0] > args[1];
  case EpilogueOp::Ge:
    return args[0] >= args[1];
  case EpilogueOp::Eq:
    return args[0] == args[1];
  case EpilogueOp::Ne:
    return args[0] != args[1];
  case EpilogueOp::Abs:
    return std::fabs(args[0]);
  case EpilogueOp::Exp:
    return std::exp(args[0]);
  case EpilogueOp::Log:
    return std::log(args[0]);
  case EpilogueOp::Sqrt:
    return std::sqrt(args[0]);
  case EpilogueOp::Min:
    return nanMin(args[0], args[1]);
  case EpilogueOp::Max:
    return nanMax(args[0], args[1]);
  case EpilogueOp::Select:
    return args[0] != 0 ? args[1] : args[2];
  case EpilogueOp::RelBucket:
    return double(relativePositionBucket(int64_t(args[0]), int64_t(args[1]),
                                         int64_t(args[2]), args[3] != 0));
  case EpilogueOp::Number:
  case EpilogueOp::Acc:
  case EpilogueOp::Label:
  case EpilogueOp::Operand:
    break;
  }
  llvm_unreachable("leaves have no arguments");
}

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
    return apply(e.op, args.data());
  }
};
} // namespace

double Epilogue::evaluate(double acc, llvm::StringRef labels,
                          llvm::ArrayRef<int64_t> labelValues,
                          OperandAccess operands) const {
  return TreeEval{acc, labels, labelValues, operands}.eval(tree);
}

//===--- Postfix program --------------------------------------------------===//

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
    stack[sp] = apply(in.op, &stack[sp]);
    ++sp;
  }
  assert(sp == 1 && "unbalanced program");
  return stack[0];
}

} // namespace einsum
