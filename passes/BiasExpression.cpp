//===- BiasExpression.cpp -------------------------------------------------===//
//
// express(t) walks t's producers recursively:
// 1. splat constants become numbers;
// 2. generators become their closed forms over the labels (distance,
//    causal_mask, iota);
// 3. expand_dims, transpose and unit-dim reshapes only relabel dimensions;
// 4. elementwise ops the epilogue language has combine their operands;
// 5. anything else small enough is read as an operand `$k[labels]`.
//
//===----------------------------------------------------------------------===//
#include "passes/BiasExpression.h"
#include "passes/RewriteUtils.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace einsum {

/// Generator chains are short; the bound keeps hostile graphs from
/// recursing deeply.
static constexpr unsigned kMaxDepth = 32;

BiasExpressionBuilder::BiasExpressionBuilder(const Graph &g,
                                             std::string labels,
                                             std::vector<int64_t> shape,
                                             DType dtype,
                                             int64_t maxOperandElements)
    : g(g), outLabels(std::move(labels)), outShape(std::move(shape)),
      dtype(dtype), maxOperandElements(maxOperandElements) {}

void BiasExpressionBuilder::addExistingOperands(
    llvm::ArrayRef<TensorId> operands) {
  ops.assign(operands.begin(), operands.end());
}

llvm::Expected<Epilogue> BiasExpressionBuilder::express(TensorId t) {
  const TensorType &type = g.type(t);
  if (type.rank() > outShape.size())
    return makeError(fmt::format("{} ({}) has a higher rank than the "
                                 "contraction's result",
                                 g.describeTensor(t), type.str()));
  unsigned lead = outShape.size() - type.rank();
  std::string labelsOf;
  for (unsigned d = 0; d < type.rank(); ++d) {
    int64_t size = type.dim(d), out = outShape[lead + d];
    if (size != out && size != 1)
      return makeError(fmt::format("{} ({}) does not broadcast to the "
                                   "contraction's result",
                                   g.describeTensor(t), type.str()));
    labelsOf += outLabels[lead + d];
  }
  return express(t, labelsOf, 0);
}

Epilogue BiasExpressionBuilder::position(TensorId t, llvm::StringRef labelsOf,
                                         unsigned d) const {
  if (g.type(t).dim(d) == 1)
    return Epilogue::constant(0);
  return Epilogue::label(labelsOf[d]);
}

llvm::Expected<Epilogue>
BiasExpressionBuilder::asOperand(TensorId t, llvm::StringRef labelsOf,
                                 llvm::StringRef why) {
  const TensorType &type = g.type(t);
  if (type.elementType() != dtype)
    return makeError(fmt::format("{} is {}, not of the contraction's element "
                                 "type {}",
                                 g.describeTensor(t), type.str(),
                                 dtypeName(dtype).str()));
  if (type.numElements() > maxOperandElements)
    return makeError(fmt::format("{} ({}, {} elements) {}; as an operand it "
                                 "exceeds max-operand-elements={}",
                                 g.describeTensor(t), type.str(),
                                 type.numElements(), why.str(),
                                 maxOperandElements));
  auto it = std::find(ops.begin(), ops.end(), t);
  unsigned index = it - ops.begin();
  if (it == ops.end())
    ops.push_back(t);
  return Epilogue::operand(index, labelsOf);
}

llvm::Expected<Epilogue>
BiasExpressionBuilder::express(TensorId t, std::string labelsOf,
                               unsigned depth) {
  if (depth > kMaxDepth)
    return makeError("the bias expression is nested too deeply");
  if (std::optional<double> v = splatValue(g, t)) {
    // The value the unfused graph would have used: rounded to the type.
    double value = g.type(t).elementType() == DType::F32 ? double(float(*v))
                                                         : *v;
    return Epilogue::constant(value);
  }
  NodeId p = g.producer(t);
  if (!p)
    return asOperand(t, labelsOf, "is a graph argument");
  const Node &n = g.node(p);
  auto recurse = [&](TensorId in, std::string inLabels) {
    return express(in, std::move(inLabels), depth + 1);
  };
  // Labels of an elementwise operand: right-aligned within t's dimensions.
  auto alignedLabels = [&](TensorId in) {
    unsigned lead = g.type(t).rank() - g.type(in).rank();
    return labelsOf.substr(lead);
  };

  switch (n.op) {
  case OpKind::Distance:
  case OpKind::CausalMask: {
    Epilogue row = position(t, labelsOf, 0);
    if (int64_t offset = n.attr("query_offset").getInt())
      row = row + Epilogue::constant(double(offset));
    Epilogue col = position(t, labelsOf, 1);
    Epilogue visible = Epilogue::binary(EpilogueOp::Le, col, row);
    if (n.op == OpKind::CausalMask)
      return Epilogue::select(visible, Epilogue::constant(0),
                              Epilogue::constant(-INFINITY));
    if (n.attr("form").getString() == "causal")
      return Epilogue::select(visible, row - col, Epilogue::constant(INFINITY));
    return Epilogue::call(EpilogueOp::Abs, {row - col});
  }
  case OpKind::Iota:
    return position(t, labelsOf, unsigned(n.attr("axis").getInt() < 0
                                              ? n.attr("axis").getInt() +
                                                    g.type(t).rank()
                                              : n.attr("axis").getInt()));
  case OpKind::ExpandDims: {
    // The input's dimensions are the result's without the inserted ones.
    std::vector<bool> inserted(g.type(t).rank(), false);
    for (int64_t a : n.attr("axes").getInts())
      inserted[a < 0 ? a + g.type(t).rank() : a] = true;
    std::string inLabels;
    for (unsigned d = 0; d < inserted.size(); ++d)
      if (!inserted[d])
        inLabels += labelsOf[d];
    return recurse(n.inputs[0], inLabels);
  }
  case OpKind::Transpose: {
    const std::vector<int64_t> &perm = n.attr("perm").getInts();
    std::string inLabels(perm.size(), ' ');
    for (size_t d = 0; d < perm.size(); ++d)
      inLabels[perm[d]] = labelsOf[d];
    return recurse(n.inputs[0], inLabels);
  }
  case OpKind::Reshape: {
    // Only reshapes that add or drop unit dimensions keep a label per
    // dimension; a size-1 dimension reads index 0 whatever its label.
    llvm::ArrayRef<int64_t> in = g.type(n.inputs[0]).shape();
    llvm::ArrayRef<int64_t> out = g.type(t).shape();
    std::string inLabels;
    size_t o = 0;
    for (int64_t size : in) {
      while (o < out.size() && out[o] == 1 && size != 1)
        ++o;
      if (size == 1) {
        inLabels += outLabels.front();
        continue;
      }
      if (o == out.size() || out[o] != size)
        return asOperand(t, labelsOf, "is a reshape that merges or splits "
                                      "dimensions");
      inLabels += labelsOf[o++];
    }
    return recurse(n.inputs[0], inLabels);
  }
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Square:
  case OpKind::Recip:
  case OpKind::Rsqrt: {
    llvm::Expected<Epilogue> x = recurse(n.inputs[0], labelsOf);
    if (!x)
      return x.takeError();
    switch (n.op) {
    case OpKind::Neg:
      return -*x;
    case OpKind::Square:
      return *x * *x;
    case OpKind::Recip:
      return Epilogue::constant(1) / *x;
    case OpKind::Rsqrt:
      return Epilogue::constant(1) / Epilogue::call(EpilogueOp::Sqrt, {*x});
    case OpKind::Abs:
      return Epilogue::call(EpilogueOp::Abs, {*x});
    case OpKind::Exp:
      return Epilogue::call(EpilogueOp::Exp, {*x});
    case OpKind::Log:
      return Epilogue::call(EpilogueOp::Log, {*x});
    default:
      return Epilogue::call(EpilogueOp::Sqrt, {*x});
    }
  }
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Max:
  case OpKind::Min: {
    llvm::Expected<Epilogue> a = recurse(n.inputs[0], alignedLabels(n.inputs[0]));
    if (!a)
      return a.takeError();
    llvm::Expected<Epilogue> b = recurse(n.inputs[1], alignedLabels(n.inputs[1]));
    if (!b)
      return b.takeError();
    switch (n.op) {
    case OpKind::Add:
      return *a + *b;
    case OpKind::Sub:
      return *a - *b;
    case OpKind::Mul:
      return *a * *b;
    case OpKind::Div:
      return *a / *b;
    case OpKind::Max:
      return Epilogue::call(EpilogueOp::Max, {*a, *b});
    default:
      return Epilogue::call(EpilogueOp::Min, {*a, *b});
    }
  }
  default:
    return asOperand(t, labelsOf,
                     fmt::format("is computed by '{}', which has no closed "
                                 "form in an epilogue",
                                 opName(n.op).str()));
  }
}

} // namespace einsum
