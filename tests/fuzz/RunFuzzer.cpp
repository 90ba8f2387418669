//===- RunFuzzer.cpp - Parse, verify, run on the reference backend --------===//
//
// Graphs that verify and are small run on the interpreter with fixed inputs:
// any verified graph must run to completion or fail with a diagnostic. A
// graph with sizes known only at run time runs with every symbol 2, its
// inputs shaped by those values: binding, the run's checks and the
// instantiation run too (a graph whose instance is too big or invalid,
// say a dimension ?k-?q of 0, must fail with a diagnostic as well).
//
//===----------------------------------------------------------------------===//
#include "FuzzInput.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/SizeBindings.h"

using namespace einsum;

/// Keeps each run short: the fuzzer is after crashes, not big tensors.
static constexpr int64_t kMaxElementsPerTensor = 1 << 12;
static constexpr int64_t kMaxWork = 1 << 20;

static bool smallEnough(const Graph &g) {
  int64_t work = 0;
  for (size_t i = 0; i < g.numTensors(); ++i) {
    const Tensor &t = g.tensor(TensorId(i));
    if (!t.type)
      continue;
    int64_t n = t.type->numElements();
    if (n > kMaxElementsPerTensor)
      return false;
    work += n;
  }
  // An einsum's loop nest spans every label: bound its product of sizes.
  // The fused ops' loops span their inputs' dimensions the same way.
  for (NodeId id : g.liveNodes()) {
    const Node &n = g.node(id);
    if (n.op != OpKind::Einsum && n.op != OpKind::Contraction &&
        n.op != OpKind::Attention)
      continue;
    int64_t product = 1;
    for (TensorId in : n.inputs)
      product =
          std::min<int64_t>(product * g.type(in).numElements(), kMaxWork + 1);
    work += product;
  }
  return work <= kMaxWork;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::optional<Graph> g = verifiedGraph(data, size);
  if (!g)
    return 0;
  SizeBindings sizes;
  for (const std::string &symbol : graphSymbols(*g))
    sizes[symbol] = 2;
  llvm::Expected<Graph> concrete = specializeGraph(*g, sizes);
  if (!concrete) {
    llvm::consumeError(concrete.takeError());
    return 0;
  }
  if (!smallEnough(*concrete))
    return 0;
  std::vector<TensorData> inputs;
  for (TensorId a : concrete->arguments()) {
    TensorData t(concrete->type(a));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, double((i * 7) % 5) - 2);
    inputs.push_back(std::move(t));
  }
  std::vector<const TensorData *> ptrs;
  for (const TensorData &t : inputs)
    ptrs.push_back(&t);
  llvm::Expected<std::vector<TensorData>> out = interpret(*g, ptrs);
  if (!out)
    llvm::consumeError(out.takeError());
  return 0;
}
