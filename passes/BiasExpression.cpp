//===- BiasExpression.cpp -------------------------------------------------===//
//
// express(t) walks t's producers recursively:
// 1. splat constants become numbers;
// 2. generators become their closed forms over the labels (distance,
//    causal_mask, iota);
// 3. expand_dims, transpose and unit-dim reshapes only relabel dimensions;
// 4. elementwise ops the epilogue language can say (expressElementwise)
//    combine their operands;
// 5. a gather from a small table at relative_buckets indices reads the table
//    at the computed bucket, `$k[rel_bucket(j - i, 32, 128, 1), h]`;
// 6. anything else small enough is read as an operand `$k[labels]`.
//
//===----------------------------------------------------------------------===//
#include "passes/BiasExpression.h"
#include "passes/RewriteUtils.h"

#include "ir/EpilogueOps.h"
#include "ir/HalfFloat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace einsum {

/// Generator chains are short; the bound keeps hostile graphs from
/// recursing deeply.
static constexpr unsigned kMaxDepth = 32;

BiasExpressionBuilder::BiasExpressionBuilder(const Graph &g, std::string labels,
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
  llvm::Expected<unsigned> index = operandIndex(t, why);
  if (!index)
    return index.takeError();
  return Epilogue::operand(*index, labelsOf);
}

llvm::Expected<unsigned>
BiasExpressionBuilder::operandIndex(TensorId t, llvm::StringRef why) {
  const TensorType &type = g.type(t);
  if (type.elementType() != dtype)
    return makeError(fmt::format("{} is {}, not of the contraction's element "
                                 "type {}",
                                 g.describeTensor(t), type.str(),
                                 dtypeName(dtype).str()));
  if (!type.isStatic())
    return makeError(fmt::format("{} ({}) {}; as an operand its size, known "
                                 "only at run time, could exceed "
                                 "max-operand-elements={}",
                                 g.describeTensor(t), type.str(), why.str(),
                                 maxOperandElements));
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
  return index;
}

std::optional<std::string>
BiasExpressionBuilder::inputLabels(const Node &n, TensorId t,
                                   llvm::StringRef labelsOf) const {
  switch (n.op) {
  case OpKind::ExpandDims: {
    // The input's dimensions are the result's without the inserted ones.
    std::vector<bool> inserted(g.type(t).rank(), false);
    for (int64_t a : n.attr("axes").getInts())
      inserted[a < 0 ? a + g.type(t).rank() : a] = true;
    std::string in;
    for (unsigned d = 0; d < inserted.size(); ++d)
      if (!inserted[d])
        in += labelsOf[d];
    return in;
  }
  case OpKind::Transpose: {
    const std::vector<int64_t> &perm = n.attr("perm").getInts();
    std::string in(perm.size(), ' ');
    for (size_t d = 0; d < perm.size(); ++d)
      in[perm[d]] = labelsOf[d];
    return in;
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
        return std::nullopt;
      inLabels += labelsOf[o++];
    }
    return inLabels;
  }
  default:
    llvm_unreachable("not a relabelling op");
  }
}

llvm::Expected<Epilogue>
BiasExpressionBuilder::expressIndices(TensorId t, std::string labelsOf,
                                      unsigned depth) {
  if (depth > kMaxDepth)
    return makeError("the bias expression is nested too deeply");
  NodeId p = g.producer(t);
  if (!p)
    return makeError(fmt::format("its indices {} are a graph argument",
                                 g.describeTensor(t)));
  const Node &n = g.node(p);
  switch (n.op) {
  case OpKind::RelativeBuckets: {
    // Element [i, j] is the bucket of j - (i + query_offset).
    int64_t offset = n.attr("query_offset").getInt();
    Epilogue row = position(t, labelsOf, 0);
    if (g.type(t).dim(0) == 1)
      row = Epilogue::constant(double(offset));
    else if (offset)
      row = row + Epilogue::constant(double(offset));
    return Epilogue::relBucket(
        position(t, labelsOf, 1) - row, n.attr("num_buckets").getInt(),
        n.attr("max_distance").getInt(), n.attr("bidirectional").getBool());
  }
  case OpKind::ExpandDims:
  case OpKind::Transpose:
  case OpKind::Reshape:
    if (std::optional<std::string> in = inputLabels(n, t, labelsOf))
      return expressIndices(n.inputs[0], std::move(*in), depth + 1);
    [[fallthrough]];
  default:
    return makeError(fmt::format("its indices {} are computed by '{}', not "
                                 "by relative_buckets",
                                 g.describeTensor(t), opName(n.op).str()));
  }
}

llvm::Expected<Epilogue>
BiasExpressionBuilder::expressGather(TensorId t, llvm::StringRef labelsOf,
                                     unsigned depth) {
  const Node &n = g.node(g.producer(t));
  TensorId table = n.inputs[0], indices = n.inputs[1];
  const TensorType &tableType = g.type(table);
  unsigned idxRank = g.type(indices).rank();
  int64_t axisAttr = n.attr("axis").getInt();
  unsigned axis =
      unsigned(axisAttr < 0 ? axisAttr + tableType.rank() : axisAttr);
  // The result's dimensions: table[:axis], indices, table[axis+1:].
  llvm::Expected<Epilogue> bucket =
      expressIndices(indices, labelsOf.substr(axis, idxRank).str(), depth + 1);
  if (!bucket)
    return bucket.takeError();
  std::map<char, int64_t> sizes;
  for (size_t d = 0; d < outLabels.size(); ++d)
    sizes[outLabels[d]] = outShape[d];
  // Every bucket must be a row of the table, as check() will demand.
  llvm::Expected<IndexRange> range = integerRange(*bucket, outLabels, sizes);
  if (!range)
    return range.takeError();
  if (isSymbolicSize(tableType.dim(axis)))
    return makeError(fmt::format("its table {} ({}) has size {} along axis {}, "
                                 "known only at run time: its buckets cannot "
                                 "be proven in range",
                                 g.describeTensor(table), tableType.str(),
                                 sizeStr(tableType.dim(axis)), axis));
  if (range->lo < 0 || range->hi >= tableType.dim(axis))
    return makeError(fmt::format("its buckets range over [{}, {}) but its "
                                 "table {} ({}) has size {} along axis {}",
                                 range->lo, range->hi + 1,
                                 g.describeTensor(table), tableType.str(),
                                 tableType.dim(axis), axis));
  // Said here rather than by operandIndex, whose clause the caller's
  // fallback would repeat.
  if (tableType.isStatic() && tableType.numElements() > maxOperandElements)
    return makeError(fmt::format("its table {} ({}, {} elements) is larger "
                                 "than an operand may be",
                                 g.describeTensor(table), tableType.str(),
                                 tableType.numElements()));
  llvm::Expected<unsigned> k = operandIndex(table, "is the gathered table");
  if (!k)
    return k.takeError();
  std::vector<Epilogue> at;
  for (unsigned d = 0; d < tableType.rank(); ++d)
    at.push_back(d < axis    ? Epilogue::label(labelsOf[d])
                 : d == axis ? *bucket
                             : Epilogue::label(labelsOf[d - 1 + idxRank]));
  return Epilogue::operand(*k, std::move(at));
}

llvm::Expected<Epilogue> BiasExpressionBuilder::express(TensorId t,
                                                        std::string labelsOf,
                                                        unsigned depth) {
  if (depth > kMaxDepth)
    return makeError("the bias expression is nested too deeply");
  if (std::optional<double> v = splatValue(g, t)) {
    // The value the unfused graph would have used: rounded to the type.
    return Epilogue::constant(roundToElementType(g.type(t).elementType(), *v));
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
    // A decode offset may be known only at run time (`?k - ?q`).
    if (int64_t offset = n.attr("query_offset").getInt())
      row = row + Epilogue::size(offset);
    Epilogue col = position(t, labelsOf, 1);
    Epilogue visible = Epilogue::binary(EpilogueOp::Le, col, row);
    if (n.op == OpKind::CausalMask)
      return Epilogue::select(visible, Epilogue::constant(0),
                              Epilogue::constant(-INFINITY));
    if (n.attr("form").getString() == "causal")
      return Epilogue::select(visible, row - col, Epilogue::constant(INFINITY));
    return Epilogue::call(EpilogueOp::Abs, {row - col});
  }
  case OpKind::Iota: {
    Epilogue p =
        position(t, labelsOf,
                 unsigned(n.attr("axis").getInt() < 0
                              ? n.attr("axis").getInt() + g.type(t).rank()
                              : n.attr("axis").getInt()));
    if (int64_t offset = n.attr("offset").getInt())
      p = p + Epilogue::size(offset);
    return p;
  }
  case OpKind::ExpandDims:
  case OpKind::Transpose:
  case OpKind::Reshape:
    if (std::optional<std::string> in = inputLabels(n, t, labelsOf))
      return recurse(n.inputs[0], std::move(*in));
    return asOperand(t, labelsOf,
                     "is a reshape that merges or splits dimensions");
  case OpKind::Gather: {
    llvm::Expected<Epilogue> read = expressGather(t, labelsOf, depth);
    if (read)
      return read;
    return asOperand(t, labelsOf,
                     fmt::format("is a gather with no closed form in an "
                                 "epilogue ({})",
                                 firstMessage(read.takeError())));
  }
  default:
    break;
  }
  OpCategory cat = n.info().category;
  // Whether the language can say the op, asked before its inputs are.
  bool expressible =
      (cat == OpCategory::Unary || cat == OpCategory::Binary) &&
      expressElementwise(n.op, std::vector<Epilogue>(n.inputs.size()));
  if (expressible) {
    std::vector<Epilogue> args;
    for (TensorId in : n.inputs) {
      llvm::Expected<Epilogue> x = recurse(in, alignedLabels(in));
      if (!x)
        return x.takeError();
      args.push_back(std::move(*x));
    }
    if (std::optional<Epilogue> e = expressElementwise(n.op, args))
      return std::move(*e);
  }
  return asOperand(t, labelsOf,
                   fmt::format("is computed by '{}', which has no closed "
                               "form in an epilogue",
                               opName(n.op).str()));
}

} // namespace einsum
