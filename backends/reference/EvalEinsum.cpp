//===- EvalEinsum.cpp - General N-ary einsum ------------------------------===//
//
// 1. Order the labels: output labels in output order, then the summed ones.
// 2. For each input, give every label a stride: the sum of the row-major
//    strides of the dimensions it names (a repeated label walks a diagonal).
//    The output gets the same, with 0 for summed labels.
// 3. Run an odometer over all labels but the last, moving every offset by
//    that label's stride; the last label is a plain inner loop. Products are
//    accumulated in double and rounded to the result type once at the end.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/EinsumSpec.h"

#include "llvm/ADT/SmallVector.h"

namespace einsum::reference {

namespace {
/// Per iteration label: its size and its stride in each operand and in the
/// output.
struct LabelStrides {
  std::vector<int64_t> sizes;
  /// strides[k][l]: operand k's stride along label l.
  std::vector<std::vector<int64_t>> inputs;
  std::vector<int64_t> output;
};
} // namespace

static std::vector<int64_t> stridesFor(const std::string &term,
                                       llvm::ArrayRef<int64_t> shape,
                                       const std::string &labels) {
  std::vector<int64_t> own = rowMajorStrides(shape);
  std::vector<int64_t> strides(labels.size(), 0);
  for (size_t d = 0; d < term.size(); ++d)
    strides[labels.find(term[d])] += own[d];
  return strides;
}

/// Accumulates into `acc` every product of the operands. The last label is
/// the inner loop; two operands (every attention einsum) get their own
/// inner loop, summing into a register when the label is reduced.
static void contract(const LabelStrides &ls,
                     llvm::ArrayRef<const double *> operands,
                     std::vector<double> &acc) {
  size_t numLabels = ls.sizes.size();
  size_t numOps = operands.size();
  if (numLabels == 0) {
    double product = 1;
    for (const double *op : operands)
      product *= op[0];
    acc[0] += product;
    return;
  }
  size_t last = numLabels - 1;
  int64_t inner = ls.sizes[last];
  llvm::SmallVector<int64_t, 4> innerStride, offset(numOps, 0);
  for (size_t k = 0; k < numOps; ++k)
    innerStride.push_back(ls.inputs[k][last]);
  int64_t innerOut = ls.output[last];
  int64_t outOffset = 0;
  llvm::SmallVector<int64_t, 8> index(numLabels, 0);

  while (true) {
    if (numOps == 2) {
      const double *a = operands[0] + offset[0];
      const double *b = operands[1] + offset[1];
      int64_t sa = innerStride[0], sb = innerStride[1];
      if (innerOut == 0) {
        double sum = 0;
        for (int64_t t = 0; t < inner; ++t)
          sum += a[t * sa] * b[t * sb];
        acc[outOffset] += sum;
      } else {
        for (int64_t t = 0; t < inner; ++t)
          acc[outOffset + t * innerOut] += a[t * sa] * b[t * sb];
      }
    } else {
      for (int64_t t = 0; t < inner; ++t) {
        double product = 1;
        for (size_t k = 0; k < numOps; ++k)
          product *= operands[k][offset[k] + t * innerStride[k]];
        acc[outOffset + t * innerOut] += product;
      }
    }

    // Advance the odometer over labels [0, last).
    size_t d = last;
    while (d-- > 0) {
      for (size_t k = 0; k < numOps; ++k)
        offset[k] += ls.inputs[k][d];
      outOffset += ls.output[d];
      if (++index[d] < ls.sizes[d])
        break;
      for (size_t k = 0; k < numOps; ++k)
        offset[k] -= ls.inputs[k][d] * ls.sizes[d];
      outOffset -= ls.output[d] * ls.sizes[d];
      index[d] = 0;
    }
    if (d == size_t(-1))
      return;
  }
}

llvm::Expected<std::vector<double>>
accumulateEinsum(const std::string &what, llvm::StringRef specText,
                 llvm::ArrayRef<const TensorData *> inputs,
                 const TensorType &resultType) {
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(specText, inputs.size());
  if (!spec)
    return makeError(what + ": " + firstMessage(spec.takeError()));
  std::vector<TensorType> types;
  for (const TensorData *in : inputs)
    types.push_back(in->type());
  llvm::Expected<std::map<char, int64_t>> sizes = spec->labelSizes(types);
  if (!sizes)
    return makeError(what + ": " + firstMessage(sizes.takeError()));

  std::string labels = spec->output + spec->reductionLabels();
  LabelStrides ls;
  for (char c : labels)
    ls.sizes.push_back(sizes->at(c));
  for (size_t k = 0; k < inputs.size(); ++k)
    ls.inputs.push_back(stridesFor(spec->inputs[k], types[k].shape(), labels));
  ls.output = stridesFor(spec->output, resultType.shape(), labels);

  std::vector<DoubleView> views;
  views.reserve(inputs.size());
  llvm::SmallVector<const double *, 4> operands;
  for (const TensorData *in : inputs)
    operands.push_back(views.emplace_back(*in).data());
  std::vector<double> acc(resultType.numElements(), 0.0);
  contract(ls, operands, acc);
  return acc;
}

llvm::Error evalEinsum(const Node &node, const std::string &what,
                       llvm::ArrayRef<const TensorData *> inputs,
                       TensorData &result) {
  llvm::Expected<std::vector<double>> acc = accumulateEinsum(
      what, node.attr("spec").getString(), inputs, result.type());
  if (!acc)
    return acc.takeError();
  storeAll(*acc, result);
  return llvm::Error::success();
}

} // namespace einsum::reference
