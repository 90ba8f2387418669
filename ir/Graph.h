//===- Graph.h - The EinsumGraph IR -----------------------------*- C++ -*-===//
//
// A graph owns tensors and nodes, addressed by dense ids. Tensors are values
// (name, type, location); nodes are op applications reading input tensors and
// defining output tensors. Graph arguments (inputs and parameters) have no
// producer; every other tensor is defined by exactly one node.
//
// Two layers build graphs: the seed-compatible one here (addTensor, addNode,
// addInput, addOutput with integer-like ids and ops by name, as the original
// API), and the typed Builder in Builder.h. Both run the same type inference.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_GRAPH_H
#define EINSUM_IR_GRAPH_H

#include "ir/Attribute.h"
#include "ir/Diagnostic.h"
#include "ir/Ops.h"
#include "ir/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace einsum {

/// A dense index with a tag so tensor and node ids do not mix.
template <typename Tag> class Id {
public:
  constexpr Id() = default;
  constexpr explicit Id(uint32_t index) : value(index) {}
  static constexpr Id invalid() { return Id(); }

  constexpr uint32_t index() const { return value; }
  constexpr bool isValid() const { return value != kInvalid; }
  explicit constexpr operator bool() const { return isValid(); }

  friend constexpr bool operator==(Id a, Id b) { return a.value == b.value; }
  friend constexpr bool operator!=(Id a, Id b) { return a.value != b.value; }
  friend constexpr bool operator<(Id a, Id b) { return a.value < b.value; }

private:
  static constexpr uint32_t kInvalid = std::numeric_limits<uint32_t>::max();
  uint32_t value = kInvalid;
};

using TensorId = Id<struct TensorIdTag>;
using NodeId = Id<struct NodeIdTag>;

enum class TensorRole { Input, Parameter, Constant, Intermediate, Output };

struct Tensor {
  /// Empty for an anonymous tensor, printed as %0, %1, ...
  std::string name;
  /// Unset until a producer's type inference or the user gives one.
  std::optional<TensorType> type;
  SourceLoc loc;

  const TensorType &getType() const { return *type; }
};

using NamedAttribute = std::pair<std::string, Attribute>;

struct Node {
  OpKind op;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  /// One value per attribute declared for `op`, in declaration order, with
  /// defaults filled in.
  std::vector<Attribute> attrs;
  SourceLoc loc;
  bool erased = false;

  const OpInfo &info() const { return opInfo(op); }
  /// The attribute called `name`; it must be declared by the op.
  const Attribute &attr(llvm::StringRef name) const;
  TensorId result() const {
    assert(outputs.size() == 1 && "node has not exactly one result");
    return outputs.front();
  }
};

class Graph {
public:
  explicit Graph(std::string name = "main") : graphName(std::move(name)) {}

  const std::string &name() const { return graphName; }
  void setName(std::string n) { graphName = std::move(n); }

  //===--- Seed-compatible construction ---------------------------------===//

  /// Adds a tensor without a type: its producer's inference gives it one.
  TensorId addTensor(std::string name);
  TensorId addTensor(std::string name, TensorType type);
  /// Marks an existing tensor as a graph input or parameter (no producer).
  void addInput(TensorId id);
  void addParameter(TensorId id);
  TensorId addInput(std::string name, TensorType type);
  TensorId addParameter(std::string name, TensorType type);
  /// `loc`: where the output is listed, for the verifier's messages.
  void addOutput(TensorId id, SourceLoc loc = {});
  /// Where the parser found the `return`: the place of messages about the
  /// output list as a whole.
  void setReturnLoc(SourceLoc loc) { retLoc = std::move(loc); }
  const SourceLoc &returnLoc() const { return retLoc; }

  /// Adds a node reading `inputs` and defining `outputs`. Attributes are
  /// checked against the op table and defaults filled in; the result type is
  /// inferred, or checked against the one the output tensor already has (a
  /// generator takes its result type from there). Refuses, with a diagnostic
  /// and without changing the graph, anything that does not type-check.
  llvm::Expected<NodeId> addNode(OpKind op, llvm::ArrayRef<TensorId> inputs,
                                 llvm::ArrayRef<TensorId> outputs,
                                 llvm::ArrayRef<NamedAttribute> attrs = {},
                                 SourceLoc loc = {});
  /// The same with the op by name, as the original API spells ops.
  llvm::Expected<NodeId> addNode(llvm::StringRef op,
                                 llvm::ArrayRef<TensorId> inputs,
                                 llvm::ArrayRef<TensorId> outputs,
                                 llvm::ArrayRef<NamedAttribute> attrs = {},
                                 SourceLoc loc = {});

  /// Makes node `id` apply `op` to `inputs` instead, defining the same
  /// result tensor (whose type must not change) in the same place in the
  /// node order. Refuses, changing nothing, what addNode would refuse.
  llvm::Expected<NodeId> replaceNode(NodeId id, OpKind op,
                                     llvm::ArrayRef<TensorId> inputs,
                                     llvm::ArrayRef<NamedAttribute> attrs = {});

  /// Adds a node without any checking, for the parser and passes that check
  /// afterwards with the verifier. `attrs` must already be complete.
  NodeId addNodeUnchecked(Node node);

  //===--- Access --------------------------------------------------------===//

  size_t numTensors() const { return tensors.size(); }
  /// Including erased nodes; use `liveNodes()` to skip them.
  size_t numNodes() const { return nodes.size(); }
  const Tensor &tensor(TensorId id) const { return tensors[id.index()]; }
  /// A tensor's name may change through this: describeTensor's numbering is
  /// recomputed on its next call.
  Tensor &tensor(TensorId id) {
    numbering.invalidate();
    return tensors[id.index()];
  }
  const Node &node(NodeId id) const { return nodes[id.index()]; }
  Node &node(NodeId id) { return nodes[id.index()]; }
  const TensorType &type(TensorId id) const { return *tensor(id).type; }
  bool isValid(TensorId id) const {
    return id.isValid() && id.index() < tensors.size();
  }
  bool isValid(NodeId id) const {
    return id.isValid() && id.index() < nodes.size();
  }

  /// Inputs and parameters, in declaration order.
  llvm::ArrayRef<TensorId> arguments() const { return args; }
  std::vector<TensorId> inputs() const;
  std::vector<TensorId> parameters() const;
  bool isArgument(TensorId id) const;
  bool isParameter(TensorId id) const;
  llvm::ArrayRef<TensorId> outputs() const { return outs; }
  /// Where output i is listed in the source (nothing for built graphs).
  const SourceLoc &outputLoc(size_t i) const { return outLocs[i]; }
  bool isOutput(TensorId id) const;

  /// Ids of the nodes not erased, in insertion order.
  std::vector<NodeId> liveNodes() const;

  //===--- Use-def -------------------------------------------------------===//

  /// The node defining `id`, or an invalid id for arguments and tensors
  /// nobody defines yet. With several producers (an invalid graph the
  /// verifier reports), the first.
  NodeId producer(TensorId id) const;
  /// Live nodes reading `id`, each once, in node order.
  std::vector<NodeId> consumers(TensorId id) const;
  TensorRole role(TensorId id) const;

  /// Live nodes in an order where every producer precedes its consumers;
  /// ties keep insertion order, so the result is deterministic. Fails on a
  /// cycle, naming a tensor on it.
  llvm::Expected<std::vector<NodeId>> topologicalOrder() const;

  /// The order nodes are printed and anonymous tensors numbered in: the
  /// topological order, or insertion order if the graph has a cycle (the
  /// verifier reports it), so any graph prints defs before uses if it can.
  std::vector<NodeId> definitionOrder() const;

  /// Rebuilds the node list in definition order without erased nodes, so
  /// node ids again follow the data flow; tensor ids are kept. Passes call
  /// it through the pass manager after changing a graph.
  void compact();

  /// The first tensor called `name`, or an invalid id.
  TensorId findTensor(llvm::StringRef name) const;

  /// `'op' producing %name` (or `'op' node N` without outputs), the subject
  /// of diagnostics about a node.
  std::string describeNode(NodeId id) const;
  /// `%name`, or `%N` for anonymous tensors. The numbers are computed for
  /// all tensors at once and kept until the graph changes, so describing
  /// every node of a graph is linear; a node's inputs, outputs and erased
  /// flag must change only through Graph's methods (as the use lists need).
  std::string describeTensor(TensorId id) const;

  /// Until `thawNumbering`, anonymous tensors keep the numbers they have
  /// now, whatever changes: the pass manager freezes them while a pass runs,
  /// so its messages name tensors as its input graph prints, and describing
  /// k nodes while rewriting does not cost k renumberings. Tensors that had
  /// no number yet are numbered as the graph is at the time.
  void freezeNumbering() { numbering.freeze(*this); }
  void thawNumbering() { numbering.thaw(); }

  //===--- Mutation for passes -------------------------------------------===//

  void eraseNode(NodeId id);
  /// Makes every live node and the output list read `to` instead of `from`.
  void replaceAllUsesWith(TensorId from, TensorId to);

private:
  /// The printer's numbers of anonymous tensors (-1 for the others and for
  /// tensors nothing defines), computed on first use. Const methods may run
  /// concurrently, hence the lock; a copy starts empty.
  class AnonymousNumbering {
  public:
    AnonymousNumbering() = default;
    AnonymousNumbering(const AnonymousNumbering &) {}
    AnonymousNumbering &operator=(const AnonymousNumbering &) {
      invalidate();
      return *this;
    }
    void invalidate() {
      if (!frozen)
        valid = false;
    }
    void freeze(const Graph &g);
    void thaw() {
      frozen = false;
      valid = false;
    }
    int64_t get(const Graph &g, TensorId id);

  private:
    static std::vector<int64_t> compute(const Graph &g);
    std::mutex mutex;
    bool valid = false, frozen = false;
    std::vector<int64_t> numbers;
  };

  struct CheckedNode {
    Node node;
    TensorType resultType;
  };
  /// The checks of addNode and replaceNode: a complete node and its result
  /// type, or why not. `replacing` may already define the output.
  llvm::Expected<CheckedNode> checkedNode(OpKind op,
                                          llvm::ArrayRef<TensorId> inputs,
                                          llvm::ArrayRef<TensorId> outputs,
                                          llvm::ArrayRef<NamedAttribute> attrs,
                                          SourceLoc loc,
                                          NodeId replacing) const;

  /// Appends `user` to t's readers unless it was the last one added.
  void addUser(TensorId t, NodeId user);
  /// Whether live node `user` reads t.
  bool reads(NodeId user, TensorId t) const;

  std::string graphName;
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<TensorId> args;
  std::vector<bool> argIsParameter;
  std::vector<TensorId> outs;
  std::vector<SourceLoc> outLocs;
  SourceLoc retLoc;
  /// Per tensor: listed as an argument, as a parameter, how often as an
  /// output; so that the is* queries do not scan lists that can be long.
  std::vector<uint8_t> argumentFlags;
  std::vector<uint32_t> outputCount;
  mutable AnonymousNumbering numbering;
  /// producers[t]: nodes defining tensor t (more than one only if invalid).
  std::vector<llvm::SmallVector<NodeId, 1>> producers;
  /// users[t]: every node that reads t, and maybe more: nodes erased or
  /// rewritten since (replaceNode) and repeats, which the queries skip and
  /// compact() drops. Exact lists would cost a search per rewrite in lists
  /// that can hold most of the graph.
  std::vector<llvm::SmallVector<NodeId, 2>> users;
};

/// The same type as Graph, under the name the original API uses.
using EinsumGraph = Graph;

} // namespace einsum

#endif // EINSUM_IR_GRAPH_H
