//===- EpilogueOps.cpp ----------------------------------------------------===//
#include "ir/EpilogueOps.h"
#include "ir/ElementwiseSemantics.h"
#include "ir/RelativeBuckets.h"

#include "llvm/Support/ErrorHandling.h"

#include <cassert>

namespace einsum {

double applyEpilogueOp(EpilogueOp op, const double *a) {
  switch (op) {
#define EPILOGUE_OP(Id, Spelling, Form, Arity, GraphOp, Value)                 \
  case EpilogueOp::Id:                                                         \
    assert(EpilogueForm::Form != EpilogueForm::Leaf &&                         \
           "leaves have no arguments");                                        \
    return double(Value);
#include "ir/EpilogueOps.def"
  }
  llvm_unreachable("every operator is in the table");
}

std::optional<EpilogueOp> epilogueOpOf(OpKind op) {
  using enum OpKind;
  // A row without a graph op names None, which equals no op.
  constexpr std::optional<OpKind> None;
#define EPILOGUE_OP(Id, Spelling, Form, Arity, GraphOp, Value)                 \
  if (std::optional<OpKind>(GraphOp) == op)                                    \
    return EpilogueOp::Id;
#include "ir/EpilogueOps.def"
  return std::nullopt;
}

std::optional<Epilogue> expressElementwise(OpKind op,
                                           llvm::ArrayRef<Epilogue> args) {
  if (std::optional<EpilogueOp> e = epilogueOpOf(op)) {
    std::vector<Epilogue> children(args.begin(), args.end());
    switch (epilogueOpForm(*e)) {
    case EpilogueForm::Prefix:
      return Epilogue::neg(children[0]);
    case EpilogueForm::Call:
      return Epilogue::call(*e, std::move(children));
    default:
      return Epilogue::binary(*e, children[0], children[1]);
    }
  }
  switch (op) {
  case OpKind::Square:
    return args[0] * args[0];
  case OpKind::Recip:
    return Epilogue::constant(1) / args[0];
  case OpKind::Rsqrt:
    return Epilogue::constant(1) / Epilogue::call(EpilogueOp::Sqrt, {args[0]});
  default:
    return std::nullopt;
  }
}

} // namespace einsum
