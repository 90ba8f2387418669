//===- EvalAttention.cpp - Fused attention, one query row at a time -------===//
//
// For each (b, h, i), with kv head h / (H / Hkv):
// 1. scores s_j = epilogue(acc = sum_d q[b,h,i,d] k[b,kvh,j,d]) for every
//    key j, in double, with labels b, h, i, j bound;
// 2. p = softmax(s) as the `softmax` op computes it (all -inf gives 0);
// 3. out[b,h,i,e] = sum_j p_j v[b,kvh,j,e], rounded to the result type.
// Only one row of scores exists at a time.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"

#include "ir/FusedNode.h"

namespace einsum::reference {

llvm::Error evalAttention(const Node &node, const std::string &what,
                          llvm::ArrayRef<const TensorData *> inputs,
                          TensorData &result) {
  const TensorType &qt = inputs[0]->type(), &kt = inputs[1]->type(),
                   &vt = inputs[2]->type();
  int64_t batch = qt.dim(0), heads = qt.dim(1), queries = qt.dim(2),
          dim = qt.dim(3), kvHeads = kt.dim(1), keys = kt.dim(2),
          valueDim = vt.dim(3);
  int64_t group = heads / kvHeads;
  llvm::ArrayRef<const TensorData *> operands = inputs.drop_front(3);
  EpilogueProgram program =
      compileNodeEpilogue(node, kAttentionLabels, operands);

  DoubleView q(*inputs[0]), k(*inputs[1]), v(*inputs[2]);
  std::vector<DoubleView> views;
  views.reserve(operands.size());
  std::vector<const double *> data;
  for (const TensorData *t : operands)
    data.push_back(views.emplace_back(*t).data());

  std::vector<double> scores(keys);
  int64_t labels[4];
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kvBase = (b * kvHeads + h / group) * keys;
      for (int64_t i = 0; i < queries; ++i) {
        const double *qRow = q.data() + ((b * heads + h) * queries + i) * dim;
        for (int64_t j = 0; j < keys; ++j) {
          const double *kRow = k.data() + (kvBase + j) * dim;
          double acc = 0;
          for (int64_t d = 0; d < dim; ++d)
            acc += qRow[d] * kRow[d];
          labels[0] = b, labels[1] = h, labels[2] = i, labels[3] = j;
          scores[j] = program.run(acc, labels, data);
        }
        softmaxRow(scores);
        int64_t outBase = ((b * heads + h) * queries + i) * valueDim;
        for (int64_t e = 0; e < valueDim; ++e) {
          double sum = 0;
          for (int64_t j = 0; j < keys; ++j)
            sum += scores[j] * v[(kvBase + j) * valueDim + e];
          result.set(outBase + e, sum);
        }
      }
    }
  return llvm::Error::success();
}

} // namespace einsum::reference
