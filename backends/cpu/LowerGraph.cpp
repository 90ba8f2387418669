//===- LowerGraph.cpp - The whole graph as one function -------------------===//
//
// 1. The function takes every argument, then every output, as an identity-
//    layout memref (plus the gather status, if any gather): results are
//    written straight into the caller's buffers, with no bufferization.
// 2. Nodes are lowered in topological order, each into a function of its
//    own that the entry calls (lowerKernel; nodes whose code prints alike
//    share one). A node whose result is a graph output writes into that
//    output's buffer; any other node into a fresh 64-byte aligned
//    memref.alloc. expand_dims and reshape are views of
//    their input's buffer. Elementwise ops, reduce, softmax, transpose and
//    concat read and write views of their buffers over reduced shapes
//    (RankReduction.h); a tensor of rank above kMaxRank, which only an
//    intermediate can be, is stored and viewed flat.
// 3. Each allocation is freed right after the last node reading it, or a
//    view of it, so peak memory is the live set, as in the interpreter.
// 4. Outputs not written in place (arguments, views, a tensor listed twice)
//    are copied into their buffers at the end.
// The peak is worked out after the nodes are lowered, since only then each
// kernel's scratch is known, by the planner both backends share
// (backends/MemoryPlan.h) under this buffer model: views share, outputs
// are written in place. With sizes known only at run time, each run works
// it out for its sizes from the model kept in the signature.
//
// Dimensions known only at run time are dynamic in every memref type; the
// entry reads each symbol's value once (memref.dim of the argument
// dimension that gives it) and every size is computed from those values.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/SizeBindings.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <map>

// An op added to Ops.def must be lowered or refused here.
#pragma GCC diagnostic error "-Wswitch"

using namespace mlir;

namespace einsum::cpu {

static LogicalResult lowerNode(NodeLowering &n) {
  switch (n.node().op) {
  case OpKind::Einsum:
    return lowerEinsum(n);
  case OpKind::Contraction:
    return lowerContraction(n);
  case OpKind::Attention:
    return lowerAttention(n);
#define OP(...)
#define UNARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
    return lowerUnary(n);
#define OP(...)
#define BINARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
    return lowerBinary(n);
  case OpKind::Reduce:
    return lowerReduce(n);
  case OpKind::Softmax:
    return lowerSoftmax(n);
  case OpKind::ExpandDims:
  case OpKind::Reshape:
    llvm_unreachable("views are made by lowerGraph");
  case OpKind::Transpose:
    return lowerTranspose(n);
  case OpKind::Gather:
    return lowerGather(n);
  case OpKind::Concat:
    return lowerConcat(n);
  case OpKind::Cast:
    return lowerCast(n);
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::Distance:
  case OpKind::AlibiSlopes:
  case OpKind::CausalMask:
  case OpKind::RelativeBuckets:
    return lowerGenerator(n);
  }
  llvm_unreachable("every op kind is handled above");
}

/// The kernels the graph's nodes became, by their printed form: nodes that
/// lower to the same code (every layer of a model) call one function.
struct KernelTable {
  ModuleOp module;
  std::map<std::string, func::FuncOp> byText;
  unsigned count = 0;
};

/// Lowers node `n` into a function of its own and calls it at the insertion
/// point of `b` with `operands`: its inputs, its destination, its row of the
/// gather status (if a gather) and the symbols' values. Each kernel is a
/// separate function for LLVM (never inlined into the entry: optimizing one
/// function that holds a whole model is slow), internal to the module.
static LogicalResult lowerKernel(NodeLowering &n, OpBuilder &b,
                                 ValueRange operands, unsigned numInputs,
                                 const std::vector<std::string> &symbols,
                                 KernelTable &kernels) {
  MLIRContext *ctx = b.getContext();
  llvm::SmallVector<Type> types;
  for (Value v : operands)
    types.push_back(v.getType());
  OpBuilder kb(ctx);
  kb.setInsertionPointToEnd(kernels.module.getBody());
  auto kernel = kb.create<func::FuncOp>(n.loc, "eg_kernel",
                                        kb.getFunctionType(types, {}));
  kernel.setPrivate();
  kernel->setAttr("no_inline", kb.getUnitAttr());
  kernel->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *body = kernel.addEntryBlock();
  kb.setInsertionPointToStart(body);
  SizeValues sizes;
  for (auto [k, symbol] : llvm::enumerate(symbols))
    sizes.bind(symbol, body->getArgument(operands.size() - symbols.size() + k));
  NodeLowering k{kb, n.loc, n.g, n.id, {}, {}, Value(), n.options, &sizes};
  k.reduced = n.reduced;
  for (unsigned i = 0; i < numInputs; ++i)
    k.inputs.push_back(body->getArgument(i));
  k.dest = body->getArgument(numInputs);
  if (n.status)
    k.status = body->getArgument(numInputs + 1);
  if (failed(lowerNode(k)))
    return failure();
  kb.create<func::ReturnOp>(n.loc);
  n.scratchBytes = k.scratchBytes;

  std::string text;
  llvm::raw_string_ostream os(text);
  // Numbered from the kernel itself, so that equal code prints alike.
  kernel->print(os, OpPrintingFlags().useLocalScope().assumeVerified());
  auto [it, fresh] = kernels.byText.try_emplace(text, kernel);
  if (fresh)
    kernel.setSymName("eg_kernel_" + std::to_string(kernels.count++));
  else
    kernel.erase();
  b.create<func::CallOp>(n.loc, it->second, operands);
  return success();
}

static bool isView(OpKind op) {
  return op == OpKind::ExpandDims || op == OpKind::Reshape;
}

/// How a tensor's buffer is allocated and held: as declared, or flat beyond
/// kMaxRank, where only the reduced views of it are lowered (checkRanks
/// refuses a symbolic shape there: its element count is no size).
static TensorType storageType(const TensorType &t) {
  if (t.rank() <= kMaxRank)
    return t;
  return TensorType(t.elementType(), {t.numElements()});
}

/// `buffer`, holding a tensor of type `held`, as a memref of `type`:
/// itself, or a view of the same elements.
static Value bufferAs(OpBuilder &b, Location loc, Value buffer,
                      const TensorType &held, const TensorType &type,
                      const SizeValues &sizes) {
  if (held.shape() == type.shape())
    return buffer;
  return viewAs(b, loc, buffer, type, sizes);
}

/// Row `slot` of the gather status [G, 2], as a [1, 2] view.
static Value statusRow(OpBuilder &b, Location loc, Value status, int64_t slot) {
  llvm::SmallVector<OpFoldResult> offsets = {
      OpFoldResult(indexConstant(b, loc, slot)), b.getIndexAttr(0)};
  llvm::SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                           b.getIndexAttr(2)};
  llvm::SmallVector<OpFoldResult> strides = {b.getIndexAttr(1),
                                             b.getIndexAttr(1)};
  // A dynamic offset in the type: every row has the same type.
  auto type = MemRefType::get(
      {1, 2}, b.getI64Type(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {2, 1}));
  return b.create<memref::SubViewOp>(loc, type, status, offsets, sizes,
                                     strides);
}

/// Refuses a tensor the lowering would carry at a rank above kMaxRank: an
/// argument or output of the graph (the entry function takes them as
/// declared), or an operand or result of a node as it is lowered.
static LogicalResult
checkRanks(const Graph &g, const std::vector<NodeId> &order,
           const std::vector<std::optional<ReducedNode>> &reduced,
           Location loc) {
  auto tooHigh = [&](TensorId t, unsigned rank) {
    return "the cpu backend lowers tensors of rank at most " +
           std::to_string(kMaxRank) + "; " + g.describeTensor(t) +
           " has rank " + std::to_string(rank);
  };
  for (TensorId t : llvm::concat<const TensorId>(g.arguments(), g.outputs()))
    if (g.type(t).rank() > kMaxRank)
      return emitError(loc) << tooHigh(t, g.type(t).rank());
  for (size_t t = 0; t < g.numTensors(); ++t) {
    const std::optional<TensorType> &type = g.tensor(TensorId(t)).type;
    if (type && type->rank() > kMaxRank && !type->isStatic())
      return emitError(loc) << tooHigh(TensorId(t), type->rank())
                            << ", with sizes known only at run time";
  }
  for (NodeId id : order) {
    const Node &node = g.node(id);
    if (isView(node.op))
      continue;
    const std::optional<ReducedNode> &r = reduced[id.index()];
    for (auto [k, t] : llvm::enumerate(node.inputs)) {
      unsigned rank = r ? r->inputs[k].rank() : g.type(t).rank();
      if (rank > kMaxRank)
        return emitError(loc) << g.describeNode(id) << ": " << tooHigh(t, rank);
    }
    for (TensorId t : node.outputs) {
      unsigned rank = r ? r->result.rank() : g.type(t).rank();
      if (rank > kMaxRank)
        return emitError(loc) << g.describeNode(id) << ": " << tooHigh(t, rank);
    }
  }
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> lowerGraph(MLIRContext &ctx, const Graph &g,
                                            const KernelOptions &options,
                                            EntrySignature &signature) {
  Location unknown = UnknownLoc::get(&ctx);
  llvm::Expected<std::vector<NodeId>> orderOr = g.topologicalOrder();
  if (!orderOr)
    return emitError(unknown) << firstMessage(orderOr.takeError());
  const std::vector<NodeId> &order = *orderOr;
  std::vector<std::optional<ReducedNode>> reduced(g.numNodes());
  for (NodeId id : order)
    reduced[id.index()] = reduceRank(g, id);
  if (failed(checkRanks(g, order, reduced, unknown)))
    return failure();

  // Buffers are shared by a tensor and its views: root[t] owns the memory.
  std::vector<TensorId> root(g.numTensors());
  for (size_t t = 0; t < root.size(); ++t)
    root[t] = TensorId(t);
  for (NodeId id : order) {
    const Node &node = g.node(id);
    if (isView(node.op))
      root[node.result().index()] = root[node.inputs[0].index()];
    if (node.op == OpKind::Gather)
      signature.gathers.push_back(id);
  }
  constexpr size_t kForever = std::numeric_limits<size_t>::max();
  std::vector<size_t> lastUse(g.numTensors(), 0);
  for (size_t step = 0; step < order.size(); ++step)
    for (TensorId t : g.node(order[step]).inputs)
      lastUse[root[t.index()].index()] =
          std::max(lastUse[root[t.index()].index()], step);
  for (TensorId t : g.outputs())
    lastUse[root[t.index()].index()] = kForever;

  // 1. The signature.
  llvm::SmallVector<Type> argTypes;
  for (TensorId t : g.arguments())
    argTypes.push_back(toMemRefType(&ctx, g.type(t)));
  for (TensorId t : g.outputs())
    argTypes.push_back(toMemRefType(&ctx, g.type(t)));
  if (!signature.gathers.empty())
    argTypes.push_back(MemRefType::get({int64_t(signature.gathers.size()), 2},
                                       IntegerType::get(&ctx, 64)));
  signature.numArguments = g.arguments().size();
  signature.numOutputs = g.outputs().size();

  OwningOpRef<ModuleOp> module = ModuleOp::create(unknown);
  OpBuilder b(&ctx);
  b.setInsertionPointToEnd(module->getBody());
  auto func = b.create<func::FuncOp>(unknown, kEntryName,
                                     b.getFunctionType(argTypes, {}));
  func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // The symbols' values, from the dimensions the run binds them by.
  SizeValues sizes;
  std::vector<TensorType> argumentTypes;
  for (TensorId t : g.arguments())
    argumentTypes.push_back(g.type(t));
  std::vector<std::string> symbols;
  llvm::SmallVector<Value> symbolValues;
  for (const SymbolSource &s : symbolSources(argumentTypes)) {
    Value v =
        b.create<memref::DimOp>(unknown, entry->getArgument(s.argument), s.dim);
    sizes.bind(s.symbol, v);
    symbols.push_back(s.symbol);
    symbolValues.push_back(v);
  }
  KernelTable kernels{*module};

  std::vector<Value> buffers(g.numTensors());
  for (auto [k, t] : llvm::enumerate(g.arguments()))
    buffers[t.index()] = entry->getArgument(k);
  auto outputArg = [&](TensorId t) -> Value {
    for (auto [k, o] : llvm::enumerate(g.outputs()))
      if (o == t)
        return entry->getArgument(signature.numArguments + k);
    return {};
  };
  Value status;
  if (!signature.gathers.empty())
    status = entry->getArguments().back();

  // 2-3. The nodes, freeing what dies after each.
  int64_t gatherSlot = 0;
  BufferModel model;
  model.viewsShareBuffers = true;
  model.outputsInPlace = true;
  model.scratchBytes.assign(g.numNodes(), 0);
  for (size_t step = 0; step < order.size(); ++step) {
    NodeId id = order[step];
    const Node &node = g.node(id);
    if (node.outputs.size() != 1)
      return emitError(unknown)
             << g.describeNode(id) << " has " << node.outputs.size()
             << " results; every op has one";
    TensorId out = node.result();
    Location loc = NameLoc::get(b.getStringAttr(g.describeTensor(out)));
    if (isView(node.op)) {
      TensorId in = node.inputs[0];
      buffers[out.index()] =
          bufferAs(b, loc, buffers[in.index()], storageType(g.type(in)),
                   storageType(g.type(out)), sizes);
    } else {
      Value dest = g.isArgument(out) ? Value() : outputArg(out);
      TensorType storage = storageType(g.type(out));
      if (!dest) {
        dest = b.create<memref::AllocOp>(loc, toMemRefType(&ctx, storage),
                                         sizes.dynamicSizes(b, loc, storage),
                                         b.getI64IntegerAttr(64));
      }
      NodeLowering n{b, loc, g, id, {}, Value(), Value(), &options, &sizes};
      if (reduced[id.index()])
        n.reduced = &*reduced[id.index()];
      n.dest = bufferAs(b, loc, dest, storage, n.resultType(), sizes);
      for (auto [k, t] : llvm::enumerate(node.inputs))
        n.inputs.push_back(bufferAs(b, loc, buffers[t.index()],
                                    storageType(g.type(t)), n.inputType(k),
                                    sizes));
      llvm::SmallVector<Value> operands(n.inputs.begin(), n.inputs.end());
      operands.push_back(n.dest);
      if (node.op == OpKind::Gather) {
        // Its own row of the status, so that gathers share kernels.
        n.status = statusRow(b, loc, status, gatherSlot++);
        operands.push_back(n.status);
      }
      operands.append(symbolValues.begin(), symbolValues.end());
      if (failed(lowerKernel(n, b, operands, node.inputs.size(), symbols,
                             kernels)))
        return failure();
      buffers[out.index()] = dest;
      model.scratchBytes[id.index()] = n.scratchBytes;
    }
    for (TensorId t : llvm::concat<const TensorId>(node.inputs, node.outputs)) {
      TensorId r = root[t.index()];
      if (lastUse[r.index()] <= step && !g.isArgument(r) && !outputArg(r) &&
          buffers[r.index()]) {
        b.create<memref::DeallocOp>(loc, buffers[r.index()]);
        buffers[r.index()] = Value();
      }
    }
  }

  // 4. Outputs not already in place.
  for (auto [k, t] : llvm::enumerate(g.outputs())) {
    Value dest = entry->getArgument(signature.numArguments + k);
    if (buffers[t.index()] != dest)
      copyContiguous(b, unknown,
                     bufferAs(b, unknown, buffers[t.index()],
                              storageType(g.type(t)), g.type(t), sizes),
                     dest, options);
  }
  for (size_t t = 0; t < root.size(); ++t)
    if (root[t] == TensorId(t) && lastUse[t] == kForever && buffers[t] &&
        !g.isArgument(TensorId(t)) && !outputArg(TensorId(t)))
      b.create<memref::DeallocOp>(unknown, buffers[t]);
  b.create<func::ReturnOp>(unknown);
  if (graphSymbols(g).empty())
    signature.peak = peakMemory(g, order, model);
  signature.model = std::move(model);
  signature.order = order;
  return module;
}

} // namespace einsum::cpu
