//===- EvalElementwise.cpp - Broadcasting for binary ops ------------------===//
//
// The loops themselves are templates in Interpreter.h, instantiated with each
// op's scalar formula; this file lines the operands up with the result.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"

namespace einsum::reference {

/// Strides of `operand` seen through the result's dimensions: shapes align
/// at the right, and a dimension of size 1 (or a missing leading one) is
/// repeated, so its stride is 0.
static std::vector<int64_t> broadcastStrides(llvm::ArrayRef<int64_t> operand,
                                             llvm::ArrayRef<int64_t> result) {
  std::vector<int64_t> own = rowMajorStrides(operand);
  std::vector<int64_t> strides(result.size(), 0);
  size_t lead = result.size() - operand.size();
  for (size_t i = 0; i < operand.size(); ++i)
    if (operand[i] == result[lead + i])
      strides[lead + i] = own[i];
    else
      assert(operand[i] == 1 && "shapes do not broadcast");
  return strides;
}

BroadcastPlan planBroadcast(const TensorType &a, const TensorType &b,
                            const TensorType &result) {
  assert(a.rank() <= result.rank() && b.rank() <= result.rank() &&
         "operand rank above the result's");
  BroadcastPlan p;
  p.shape.assign(result.shape().begin(), result.shape().end());
  p.strideA = broadcastStrides(a.shape(), result.shape());
  p.strideB = broadcastStrides(b.shape(), result.shape());
  return p;
}

} // namespace einsum::reference
