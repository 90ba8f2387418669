//===- Interpreter.cpp - Scheduling and op dispatch -----------------------===//
//
// 1. makeSchedule orders the live nodes topologically and records, for each
//    tensor, the last step that reads it.
// 2. runSchedule evaluates the nodes in that order, binding arguments by
//    pointer and freeing every intermediate right after its last reader, so
//    peak memory is the live set rather than the whole graph.
// 3. evalNode switches over every op kind; the elementwise ops give their
//    scalar formula here, everything else calls its family's evaluator.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"
#include "ir/ElementwiseSemantics.h"

#include "ir/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

// An op added to Ops.def must be handled here: make a missing case an error,
// not just a warning.
#pragma GCC diagnostic error "-Wswitch"

namespace einsum::reference {

std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

DoubleView::DoubleView(const TensorData &t) {
  if (t.type().elementType() == DType::F64) {
    ptr = t.data<double>();
    return;
  }
  converted.resize(t.numElements());
  for (int64_t i = 0, n = t.numElements(); i < n; ++i)
    converted[i] = t.get(i);
  ptr = converted.data();
}

void storeAll(llvm::ArrayRef<double> values, TensorData &result) {
  assert(int64_t(values.size()) == result.numElements() && "size mismatch");
  for (int64_t i = 0, n = result.numElements(); i < n; ++i)
    result.set(i, values[i]);
}

llvm::Expected<Schedule> makeSchedule(const Graph &g) {
  llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
  if (!order)
    return order.takeError();
  Schedule s;
  s.order = std::move(*order);
  // A value nobody reads dies at the step that makes it.
  s.lastUse.assign(g.numTensors(), -1);
  for (size_t step = 0; step < s.order.size(); ++step) {
    const Node &node = g.node(s.order[step]);
    for (TensorId t : node.inputs)
      s.lastUse[t.index()] = step;
    for (TensorId t : node.outputs)
      if (s.lastUse[t.index()] < int64_t(step))
        s.lastUse[t.index()] = step;
  }
  for (TensorId t : g.arguments())
    s.lastUse[t.index()] = -1;
  for (TensorId t : g.outputs())
    s.lastUse[t.index()] = -1;
  return s;
}

llvm::Expected<std::vector<TensorData>>
runSchedule(const Graph &g, const Schedule &schedule,
            llvm::ArrayRef<const TensorData *> inputs) {
  assert(inputs.size() == g.arguments().size() && "argument count");
  // values[t] points at the arguments' caller-owned data or into owned[t].
  std::vector<const TensorData *> values(g.numTensors(), nullptr);
  std::vector<std::optional<TensorData>> owned(g.numTensors());
  for (size_t i = 0; i < inputs.size(); ++i)
    values[g.arguments()[i].index()] = inputs[i];

  std::vector<const TensorData *> operands;
  for (size_t step = 0; step < schedule.order.size(); ++step) {
    NodeId id = schedule.order[step];
    const Node &node = g.node(id);
    operands.clear();
    for (TensorId t : node.inputs) {
      if (!values[t.index()])
        return makeError(fmt::format("{} reads {}, which has no value",
                                     g.describeNode(id), g.describeTensor(t)));
      operands.push_back(values[t.index()]);
    }
    if (node.outputs.size() != 1)
      return makeError(fmt::format("{} has {} results; every op has one",
                                   g.describeNode(id), node.outputs.size()));
    TensorId out = node.outputs.front();
    // Sizes come from the user's graph: within the compile-time limit, but
    // the system may still refuse.
    llvm::Expected<TensorData> result = TensorData::allocate(g.type(out));
    if (!result)
      return result.takeError();
    if (llvm::Error err = evalNode(g, id, operands, *result))
      return err;
    owned[out.index()] = std::move(*result);
    values[out.index()] = &*owned[out.index()];

    for (TensorId t : node.inputs)
      if (schedule.lastUse[t.index()] == int64_t(step) && owned[t.index()]) {
        owned[t.index()].reset();
        values[t.index()] = nullptr;
      }
    if (schedule.lastUse[out.index()] == int64_t(step)) {
      owned[out.index()].reset();
      values[out.index()] = nullptr;
    }
  }

  // Computed outputs are moved out; arguments returned as outputs, and any
  // tensor listed again later, are copied.
  llvm::ArrayRef<TensorId> outs = g.outputs();
  std::vector<size_t> lastListing(g.numTensors(), 0);
  for (size_t i = 0; i < outs.size(); ++i)
    lastListing[outs[i].index()] = i;
  std::vector<TensorData> results;
  for (size_t i = 0; i < outs.size(); ++i) {
    TensorId t = outs[i];
    if (!values[t.index()])
      return makeError(
          fmt::format("output {} has no value", g.describeTensor(t)));
    bool listedAgain = lastListing[t.index()] != i;
    if (owned[t.index()] && !listedAgain) {
      results.push_back(std::move(*owned[t.index()]));
      continue;
    }
    llvm::Expected<TensorData> copy = values[t.index()]->clone();
    if (!copy)
      return copy.takeError();
    results.push_back(std::move(*copy));
  }
  return results;
}

llvm::Error evalNode(const Graph &g, NodeId id,
                     llvm::ArrayRef<const TensorData *> inputs,
                     TensorData &result) {
  const Node &node = g.node(id);
  std::string what = g.describeNode(id);
  const OpInfo &info = node.info();
  if (int(inputs.size()) < info.minInputs ||
      (info.maxInputs >= 0 && int(inputs.size()) > info.maxInputs))
    return makeError(fmt::format("{} has {} inputs", what, inputs.size()));

  auto unary = [&](auto f) {
    evalUnaryWith(*inputs[0], result, f);
    return llvm::Error::success();
  };
  auto binary = [&](auto f) {
    evalBinaryWith(*inputs[0], *inputs[1], result, f);
    return llvm::Error::success();
  };

  switch (node.op) {
  case OpKind::Einsum:
    return evalEinsum(node, what, inputs, result);
  case OpKind::Contraction:
    return evalContraction(node, what, inputs, result);
  case OpKind::Attention:
    return evalAttention(node, what, inputs, result);

#define OP(...)
#define UNARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
    return unary([op = node.op](double x) { return applyUnary(op, x); });

#define OP(...)
#define BINARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
    return binary(
        [op = node.op](double a, double b) { return applyBinary(op, a, b); });

  case OpKind::Reduce:
    return evalReduce(node, what, *inputs[0], result);
  case OpKind::Softmax:
    return evalSoftmax(node, what, *inputs[0], result);

  case OpKind::ExpandDims:
  case OpKind::Reshape:
    evalCopy(*inputs[0], result);
    return llvm::Error::success();
  case OpKind::Transpose:
    return evalTranspose(node, what, *inputs[0], result);
  case OpKind::Gather:
    return evalGather(node, what, *inputs[0], *inputs[1], result);
  case OpKind::Concat:
    return evalConcat(node, what, inputs, result);

  case OpKind::Cast:
    // The value, exact in double, rounded once by the store.
    return unary([](double x) { return x; });

  case OpKind::Constant:
    return evalConstant(node, what, result);
  case OpKind::Iota:
    return evalIota(node, what, result);
  case OpKind::Distance:
    return evalDistance(node, what, result);
  case OpKind::AlibiSlopes:
    return evalAlibiSlopes(node, what, result);
  case OpKind::CausalMask:
    return evalCausalMask(node, what, result);
  case OpKind::RelativeBuckets:
    return evalRelativeBuckets(node, what, result);
  }
  llvm_unreachable("every op kind is handled above");
}

} // namespace einsum::reference
