//===- ElementwiseSemantics.cpp -------------------------------------------===//
#include "ir/ElementwiseSemantics.h"

#include "llvm/Support/ErrorHandling.h"

#include <cmath>

namespace einsum {

double applyUnary(OpKind op, double x) {
  switch (op) {
  case OpKind::Neg:
    return -x;
  case OpKind::Abs:
    return std::fabs(x);
  case OpKind::Exp:
    return std::exp(x);
  case OpKind::Log:
    return std::log(x);
  case OpKind::Sqrt:
    return std::sqrt(x);
  case OpKind::Rsqrt:
    return 1 / std::sqrt(x);
  case OpKind::Recip:
    return 1 / x;
  case OpKind::Tanh:
    return std::tanh(x);
  case OpKind::Sigmoid:
    return 1 / (1 + std::exp(-x));
  case OpKind::Relu:
    // NaN stays NaN, as in numpy's maximum(x, 0).
    return x > 0 || std::isnan(x) ? x : 0.0;
  case OpKind::Gelu:
    return x * 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
  case OpKind::Square:
    return x * x;
  case OpKind::Sin:
    return std::sin(x);
  case OpKind::Cos:
    return std::cos(x);
    // Every other op, so that a unary op added to Ops.def fails to compile
    // here until it is given a value.
#define OP(Id, ...) case OpKind::Id:
#define UNARY_OP(...)
#include "ir/Ops.def"
    break;
  }
  llvm_unreachable("not a unary op");
}

double applyBinary(OpKind op, double a, double b) {
  switch (op) {
  case OpKind::Add:
    return a + b;
  case OpKind::Sub:
    return a - b;
  case OpKind::Mul:
    return a * b;
  case OpKind::Div:
    return a / b;
  case OpKind::Max:
    return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
  case OpKind::Min:
    return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
  case OpKind::Pow:
    return std::pow(a, b);
    // Every other op, so that a binary op added to Ops.def fails to compile
    // here until it is given a value.
#define OP(Id, ...) case OpKind::Id:
#define BINARY_OP(...)
#include "ir/Ops.def"
    break;
  }
  llvm_unreachable("not a binary op");
}

} // namespace einsum
