//===- Graph.cpp ----------------------------------------------------------===//
#include "ir/Graph.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <algorithm>

namespace einsum {

const Attribute &Node::attr(llvm::StringRef name) const {
  std::optional<unsigned> idx = info().attrIndex(name);
  assert(idx && *idx < attrs.size() && "attribute not declared by the op");
  return attrs[*idx];
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

TensorId Graph::addTensor(std::string name) {
  TensorId id(tensors.size());
  tensors.push_back(Tensor{std::move(name), std::nullopt, {}});
  producers.emplace_back();
  users.emplace_back();
  argumentFlags.push_back(0);
  outputCount.push_back(0);
  numbering.invalidate();
  return id;
}

TensorId Graph::addTensor(std::string name, TensorType type) {
  TensorId id = addTensor(std::move(name));
  tensors.back().type = std::move(type);
  return id;
}

enum : uint8_t { kArgument = 1, kParameter = 2 };

void Graph::addInput(TensorId id) {
  assert(isValid(id) && "addInput of an unknown tensor");
  args.push_back(id);
  argIsParameter.push_back(false);
  argumentFlags[id.index()] |= kArgument;
  numbering.invalidate();
}

void Graph::addParameter(TensorId id) {
  assert(isValid(id) && "addParameter of an unknown tensor");
  args.push_back(id);
  argIsParameter.push_back(true);
  argumentFlags[id.index()] |= kArgument | kParameter;
  numbering.invalidate();
}

TensorId Graph::addInput(std::string name, TensorType type) {
  TensorId id = addTensor(std::move(name), std::move(type));
  addInput(id);
  return id;
}

TensorId Graph::addParameter(std::string name, TensorType type) {
  TensorId id = addTensor(std::move(name), std::move(type));
  addParameter(id);
  return id;
}

void Graph::addOutput(TensorId id, SourceLoc loc) {
  assert(isValid(id) && "addOutput of an unknown tensor");
  outs.push_back(id);
  outLocs.push_back(std::move(loc));
  ++outputCount[id.index()];
}

llvm::Expected<Graph::CheckedNode>
Graph::checkedNode(OpKind op, llvm::ArrayRef<TensorId> inputs,
                   llvm::ArrayRef<TensorId> outputs,
                   llvm::ArrayRef<NamedAttribute> attrs, SourceLoc loc,
                   NodeId replacing) const {
  const OpInfo &info = opInfo(op);
  auto fail = [&](std::string msg) -> llvm::Error {
    return makeError(fmt::format("'{}': {}", info.name.str(), msg), loc);
  };
  int n = inputs.size();
  if (n < info.minInputs || (info.maxInputs >= 0 && n > info.maxInputs)) {
    std::string expected =
        info.maxInputs < 0 ? fmt::format("at least {}", info.minInputs)
        : info.minInputs == info.maxInputs
            ? std::to_string(info.minInputs)
            : fmt::format("{} to {}", info.minInputs, info.maxInputs);
    return fail(fmt::format("expects {} input{}, got {}", expected,
                            expected == "1" ? "" : "s", n));
  }
  if (outputs.size() != 1)
    return fail(fmt::format("expects 1 output, got {}", outputs.size()));
  std::vector<TensorType> inTypes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!isValid(inputs[i]))
      return fail(fmt::format("input {} is tensor id {}, but the graph has {} "
                              "tensors",
                              i, inputs[i].index(), tensors.size()));
    const Tensor &t = tensor(inputs[i]);
    if (!t.type)
      return fail(fmt::format("input {} ({}) has no type yet: give it one or "
                              "add its producer first",
                              i, describeTensor(inputs[i])));
    inTypes.push_back(*t.type);
  }
  TensorId out = outputs.front();
  if (!isValid(out))
    return fail(fmt::format("output is tensor id {}, but the graph has {} "
                            "tensors",
                            out.index(), tensors.size()));
  NodeId definer = producer(out);
  if ((definer && definer != replacing) || isArgument(out))
    return fail(
        fmt::format("output {} is already defined", describeTensor(out)));

  llvm::Expected<std::vector<Attribute>> resolved =
      resolveAttributes(op, attrs);
  if (!resolved)
    return fail(firstMessage(resolved.takeError()));
  llvm::Expected<TensorType> type =
      inferResultType(op, inTypes, *resolved, tensor(out).type);
  if (!type)
    return fail(firstMessage(type.takeError()));

  CheckedNode checked;
  checked.node.op = op;
  checked.node.inputs.assign(inputs.begin(), inputs.end());
  checked.node.outputs.assign(outputs.begin(), outputs.end());
  checked.node.attrs = std::move(*resolved);
  checked.node.loc = std::move(loc);
  checked.resultType = std::move(*type);
  return checked;
}

llvm::Expected<NodeId> Graph::addNode(OpKind op,
                                      llvm::ArrayRef<TensorId> inputs,
                                      llvm::ArrayRef<TensorId> outputs,
                                      llvm::ArrayRef<NamedAttribute> attrs,
                                      SourceLoc loc) {
  llvm::Expected<CheckedNode> checked =
      checkedNode(op, inputs, outputs, attrs, std::move(loc), NodeId());
  if (!checked)
    return checked.takeError();
  tensor(outputs.front()).type = std::move(checked->resultType);
  return addNodeUnchecked(std::move(checked->node));
}

llvm::Expected<NodeId>
Graph::replaceNode(NodeId id, OpKind op, llvm::ArrayRef<TensorId> inputs,
                   llvm::ArrayRef<NamedAttribute> attrs) {
  Node &old = node(id);
  assert(!old.erased && old.outputs.size() == 1 && "replacing a dead node");
  llvm::Expected<CheckedNode> checked =
      checkedNode(op, inputs, old.outputs, attrs, old.loc, id);
  if (!checked)
    return checked.takeError();
  Node *fresh = &checked->node;
  // New readers are appended and old ones left for the queries to skip:
  // keys and constants can have most of the graph as readers, and keeping
  // their lists exact and sorted on every fusion made -O3 quadratic.
  for (TensorId in : fresh->inputs)
    if (!llvm::is_contained(old.inputs, in))
      addUser(in, id);
  old = std::move(*fresh);
  numbering.invalidate();
  return id;
}

llvm::Expected<NodeId> Graph::addNode(llvm::StringRef op,
                                      llvm::ArrayRef<TensorId> inputs,
                                      llvm::ArrayRef<TensorId> outputs,
                                      llvm::ArrayRef<NamedAttribute> attrs,
                                      SourceLoc loc) {
  std::optional<OpKind> kind = lookupOp(op);
  if (!kind)
    return makeError(fmt::format("unknown op '{}'", op.str()), loc);
  return addNode(*kind, inputs, outputs, attrs, std::move(loc));
}

void Graph::addUser(TensorId t, NodeId user) {
  auto &u = users[t.index()];
  if (u.empty() || u.back() != user)
    u.push_back(user);
}

bool Graph::reads(NodeId user, TensorId t) const {
  const Node &n = node(user);
  return !n.erased && llvm::is_contained(n.inputs, t);
}

NodeId Graph::addNodeUnchecked(Node node) {
  NodeId id(nodes.size());
  // Tolerate out-of-range ids here: the verifier reports them.
  for (TensorId in : node.inputs)
    if (isValid(in))
      addUser(in, id);
  for (TensorId out : node.outputs)
    if (isValid(out))
      producers[out.index()].push_back(id);
  nodes.push_back(std::move(node));
  numbering.invalidate();
  return id;
}

//===----------------------------------------------------------------------===//
// Queries
//===----------------------------------------------------------------------===//

std::vector<TensorId> Graph::inputs() const {
  std::vector<TensorId> r;
  for (size_t i = 0; i < args.size(); ++i)
    if (!argIsParameter[i])
      r.push_back(args[i]);
  return r;
}

std::vector<TensorId> Graph::parameters() const {
  std::vector<TensorId> r;
  for (size_t i = 0; i < args.size(); ++i)
    if (argIsParameter[i])
      r.push_back(args[i]);
  return r;
}

bool Graph::isArgument(TensorId id) const {
  return isValid(id) && (argumentFlags[id.index()] & kArgument);
}

bool Graph::isParameter(TensorId id) const {
  return isValid(id) && (argumentFlags[id.index()] & kParameter);
}

bool Graph::isOutput(TensorId id) const {
  return isValid(id) && outputCount[id.index()] > 0;
}

std::vector<NodeId> Graph::liveNodes() const {
  std::vector<NodeId> r;
  r.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!nodes[i].erased)
      r.push_back(NodeId(i));
  return r;
}

NodeId Graph::producer(TensorId id) const {
  for (NodeId n : producers[id.index()])
    if (!nodes[n.index()].erased)
      return n;
  return NodeId::invalid();
}

std::vector<NodeId> Graph::consumers(TensorId id) const {
  std::vector<NodeId> r;
  for (NodeId n : users[id.index()])
    if (reads(n, id))
      r.push_back(n);
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

TensorRole Graph::role(TensorId id) const {
  if (isOutput(id))
    return TensorRole::Output;
  if (isArgument(id))
    return isParameter(id) ? TensorRole::Parameter : TensorRole::Input;
  NodeId p = producer(id);
  if (p && node(p).op == OpKind::Constant)
    return TensorRole::Constant;
  return TensorRole::Intermediate;
}

llvm::Expected<std::vector<NodeId>> Graph::topologicalOrder() const {
  // Kahn's algorithm over live nodes; a min-heap on node ids keeps insertion
  // order among ready nodes, so the order never depends on anything else.
  std::vector<unsigned> pending(nodes.size(), 0);
  std::vector<NodeId> live = liveNodes();
  for (NodeId n : live)
    for (TensorId in : node(n).inputs)
      if (isValid(in) && producer(in))
        ++pending[n.index()];
  std::vector<NodeId> ready;
  for (NodeId n : live)
    if (pending[n.index()] == 0)
      ready.push_back(n);
  auto later = [](NodeId a, NodeId b) { return b < a; };
  std::make_heap(ready.begin(), ready.end(), later);
  std::vector<NodeId> order;
  order.reserve(live.size());
  // A use list may name a reader twice (see addUser): visit it once per
  // tensor, since its pending count has one entry per input, not per listing.
  std::vector<uint32_t> visitedFrom(nodes.size(), UINT32_MAX);
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), later);
    NodeId n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (TensorId out : node(n).outputs) {
      if (!isValid(out) || producer(out) != n)
        continue;
      for (NodeId user : users[out.index()]) {
        if (node(user).erased || visitedFrom[user.index()] == out.index())
          continue;
        visitedFrom[user.index()] = out.index();
        // A node reading the same tensor twice was counted twice.
        for (TensorId in : node(user).inputs)
          if (in == out && --pending[user.index()] == 0) {
            ready.push_back(user);
            std::push_heap(ready.begin(), ready.end(), later);
          }
      }
    }
  }
  if (order.size() != live.size()) {
    for (NodeId n : live)
      if (pending[n.index()] != 0)
        return makeError(fmt::format("{} is on a cycle: it depends on its own "
                                     "result",
                                     describeNode(n)),
                         node(n).loc);
  }
  return order;
}

std::vector<NodeId> Graph::definitionOrder() const {
  llvm::Expected<std::vector<NodeId>> order = topologicalOrder();
  if (order)
    return std::move(*order);
  llvm::consumeError(order.takeError());
  return liveNodes();
}

void Graph::compact() {
  std::vector<NodeId> order = definitionOrder();
  std::vector<Node> old = std::move(nodes);
  nodes.clear();
  for (auto &p : producers)
    p.clear();
  for (auto &u : users)
    u.clear();
  for (NodeId id : order)
    addNodeUnchecked(std::move(old[id.index()]));
  numbering.invalidate();
}

TensorId Graph::findTensor(llvm::StringRef name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name)
      return TensorId(i);
  return TensorId::invalid();
}

std::string Graph::describeTensor(TensorId id) const {
  if (!isValid(id))
    return fmt::format("<invalid tensor id {}>", id.index());
  const std::string &n = tensor(id).name;
  if (!n.empty())
    return "%" + n;
  int64_t number = numbering.get(*this, id);
  if (number < 0)
    return fmt::format("%<undefined {}>", id.index());
  return fmt::format("%{}", number);
}

std::vector<int64_t> Graph::AnonymousNumbering::compute(const Graph &g) {
  // The printer's numbers: anonymous tensors counted in definition order,
  // arguments first; a tensor defined twice keeps its first number.
  std::vector<int64_t> numbers(g.numTensors(), -1);
  int64_t next = 0;
  auto count = [&](TensorId t) {
    if (!g.isValid(t))
      return;
    if (numbers[t.index()] < 0)
      numbers[t.index()] = next;
    if (g.tensor(t).name.empty())
      ++next;
  };
  for (TensorId a : g.arguments())
    count(a);
  for (NodeId n : g.definitionOrder())
    for (TensorId out : g.node(n).outputs)
      count(out);
  return numbers;
}

void Graph::AnonymousNumbering::freeze(const Graph &g) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!valid)
    numbers = compute(g);
  valid = frozen = true;
}

int64_t Graph::AnonymousNumbering::get(const Graph &g, TensorId id) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!valid) {
    numbers = compute(g);
    valid = true;
  }
  if (id.index() < numbers.size() && numbers[id.index()] >= 0)
    return numbers[id.index()];
  // Only a frozen numbering can miss a defined tensor: one defined since.
  return frozen ? compute(g)[id.index()] : -1;
}

std::string Graph::describeNode(NodeId id) const {
  const Node &n = node(id);
  std::string op = fmt::format("'{}'", opName(n.op).str());
  if (n.outputs.empty() || !isValid(n.outputs.front()))
    return fmt::format("{} node {}", op, id.index());
  return op + " producing " + describeTensor(n.outputs.front());
}

//===----------------------------------------------------------------------===//
// Mutation
//===----------------------------------------------------------------------===//

void Graph::eraseNode(NodeId id) {
  node(id).erased = true;
  numbering.invalidate();
}

void Graph::replaceAllUsesWith(TensorId from, TensorId to) {
  if (from == to)
    return;
  // Appended, not merged in order (see addUser): merging k tensors into one,
  // as cse does, costs O(k) rather than O(k^2).
  llvm::SmallVector<NodeId, 2> moved = std::move(users[from.index()]);
  users[from.index()].clear();
  for (NodeId user : moved) {
    if (!reads(user, from))
      continue;
    for (TensorId &in : node(user).inputs)
      if (in == from)
        in = to;
    addUser(to, user);
  }
  // Checked first: scanning the outputs on every merge would make merging
  // k tensors in a graph with k outputs quadratic.
  if (outputCount[from.index()] > 0)
    for (TensorId &out : outs)
      if (out == from) {
        out = to;
        --outputCount[from.index()];
        ++outputCount[to.index()];
      }
  numbering.invalidate();
}

} // namespace einsum
