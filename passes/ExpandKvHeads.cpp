//===- ExpandKvHeads.cpp - expand-kv-heads --------------------------------===//
//
// Grouped-query attention (G query heads per key/value head) is written as
// a [b, Hkv, G, S, d] view of q, per-group einsums with k and v, and
// reshapes back to [b, H, S, *] so the bias, mask and softmax see one
// layout. The fusion passes match the per-head form, so this pass rewrites
// each complete grouped attention into it:
// 1. From each per-group score einsum "bkgid,bkjd->bkgij" of reshape(q),
//    follow the reshape to [b, H, Sq, Sk], the elementwise chain to a
//    softmax over the keys, and the reshape of the probabilities into the
//    per-group value einsum "bkgij,bkje->bkgie" and its reshape back.
// 2. Rewrite both einsums per head over k and v gathered along the head
//    axis at h / G (repeat_kv); fuse-attention then folds that gather back
//    into the attention node, whose kv heads are grouped natively, so no
//    repeated k or v is ever stored.
// Only a complete pattern is rewritten: a grouped einsum whose attention
// cannot fuse keeps its [b, Hkv, G, ...] form and the remark says why.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/EinsumSpec.h"

#include <fmt/format.h>

#include <variant>

namespace einsum {

namespace {

/// One grouped attention found around a softmax.
struct GroupedAttention {
  TensorId q, k, v, scores, probs, out;
  int64_t heads, kvHeads;
};

std::optional<EinsumSpec> einsumSpec(const Node &n) {
  if (n.op != OpKind::Einsum)
    return std::nullopt;
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(n.attr("spec").getString(), 2);
  if (!spec) {
    llvm::consumeError(spec.takeError());
    return std::nullopt;
  }
  return *spec;
}

/// "bkgiX,bkjY->bkgiZ": the 5-d first input keeps b, k, g, i; the 4-d
/// second shares b, k and puts its own key (scores) or reduced (values)
/// label third. `scoreForm` picks which: scores contract the last labels
/// of both and output j; values contract the first's j with the second's
/// third label and output the second's last.
bool isGroupedSpec(const EinsumSpec &s, bool scoreForm) {
  if (s.inputs.size() != 2 || s.inputs[0].size() != 5 ||
      s.inputs[1].size() != 4 || s.output.size() != 5)
    return false;
  const std::string &a = s.inputs[0], &c = s.inputs[1], &o = s.output;
  std::string all = a + c[2];
  if (!scoreForm)
    all = a + c[3];
  std::string sorted = all;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return false;
  if (c[0] != a[0] || c[1] != a[1] || o.substr(0, 4) != a.substr(0, 4))
    return false;
  if (scoreForm)
    return c[3] == a[4] && o[4] == c[2];
  return c[2] == a[4] && o[4] == c[3];
}

/// The only reader of `t`, if it has exactly one and `t` is internal.
NodeId onlyReader(const Graph &g, TensorId t) {
  if (g.isOutput(t))
    return NodeId();
  std::vector<NodeId> readers = g.consumers(t);
  return readers.size() == 1 ? readers.front() : NodeId();
}

/// The tensor a reshape node reads, if `t` is made by one.
TensorId reshapeSource(const Graph &g, TensorId t) {
  NodeId p = g.producer(t);
  return p && g.node(p).op == OpKind::Reshape ? g.node(p).inputs[0]
                                              : TensorId();
}

/// Whether `from` [b, Hkv, G, n, m] and `to` [b, H, n, m] are the two views
/// of one row-major buffer with H = Hkv * G.
bool mergesGroups(const TensorType &from, const TensorType &to) {
  if (from.rank() != 5 || to.rank() != 4)
    return false;
  std::optional<int64_t> heads = multiplySizes(from.dim(1), from.dim(2));
  return from.dim(0) == to.dim(0) && heads && *heads == to.dim(1) &&
         from.dim(3) == to.dim(2) && from.dim(4) == to.dim(3);
}

using MatchResult = std::variant<GroupedAttention, std::string>;

/// The grouped attention whose score einsum is `scoreNode`, or why not.
MatchResult matchGrouped(const Graph &g, NodeId scoreNode) {
  const Node &sn = g.node(scoreNode);
  TensorId grouped = sn.inputs[0], k = sn.inputs[1];
  TensorId q = reshapeSource(g, grouped);
  if (!q || !mergesGroups(g.type(grouped), g.type(q)) ||
      g.type(grouped).dim(1) != g.type(k).dim(1))
    return std::string("its first input is not q [b, H, Sq, d] reshaped to "
                       "[b, Hkv, G, Sq, d]");
  GroupedAttention m;
  m.q = q;
  m.k = k;
  m.heads = g.type(q).dim(1);
  m.kvHeads = g.type(k).dim(1);
  if (isSymbolicSize(m.heads) || isSymbolicSize(m.kvHeads))
    return std::string("its head counts are known only at run time; query "
                       "heads are grouped over kv heads when compiling");
  NodeId merge = onlyReader(g, sn.result());
  if (!merge || g.node(merge).op != OpKind::Reshape ||
      !mergesGroups(g.type(sn.result()), g.type(g.node(merge).result())))
    return std::string("its scores are not only reshaped back to "
                       "[b, H, Sq, Sk]");
  m.scores = g.node(merge).result();

  // The bias, scale and mask between the scores and the softmax.
  TensorId t = m.scores;
  NodeId reader = onlyReader(g, t);
  while (reader && g.node(reader).op != OpKind::Softmax) {
    const Node &e = g.node(reader);
    OpCategory cat = e.info().category;
    if ((cat != OpCategory::Unary && cat != OpCategory::Binary) ||
        g.type(e.result()) != g.type(t))
      return fmt::format("the scores reach '{}' before any softmax",
                         opName(e.op).str());
    t = e.result();
    reader = onlyReader(g, t);
  }
  if (!reader)
    return fmt::format("the logits {} have other readers before the softmax",
                       g.describeTensor(t));
  const Node &sm = g.node(reader);
  int64_t axis = sm.attr("axis").getInt();
  if (axis != -1 && axis != 3)
    return fmt::format("the softmax runs over axis {}, not the keys", axis);
  m.probs = sm.result();

  NodeId split = onlyReader(g, m.probs);
  if (!split || g.node(split).op != OpKind::Reshape ||
      !mergesGroups(g.type(g.node(split).result()), g.type(m.probs)))
    return std::string("the probabilities are not only reshaped to "
                       "[b, Hkv, G, Sq, Sk]");
  NodeId valueNode = onlyReader(g, g.node(split).result());
  std::optional<EinsumSpec> vspec =
      valueNode ? einsumSpec(g.node(valueNode)) : std::nullopt;
  if (!vspec || !isGroupedSpec(*vspec, false) ||
      g.node(valueNode).inputs[0] != g.node(split).result())
    return std::string("the grouped probabilities are not multiplied with v "
                       "by an einsum 'bkgij,bkjd->bkgid'");
  m.v = g.node(valueNode).inputs[1];
  if (g.type(m.v).dim(1) != m.kvHeads || g.type(m.v).dim(2) != g.type(k).dim(2))
    return std::string("v does not have the heads and keys of k");
  NodeId back = onlyReader(g, g.node(valueNode).result());
  if (!back || g.node(back).op != OpKind::Reshape ||
      !mergesGroups(g.type(g.node(valueNode).result()),
                    g.type(g.node(back).result())))
    return std::string("the grouped values are not only reshaped back to "
                       "[b, H, Sq, dv]");
  m.out = g.node(back).result();
  return m;
}

/// `x` [b, Hkv, S, d] repeated to [b, H, S, d]: head h reads h / G.
TensorId gatherHeads(Graph &g, TensorId x, TensorId index) {
  const TensorType &xt = g.type(x);
  TensorType type(xt.elementType(),
                  {xt.dim(0), g.type(index).dim(0), xt.dim(2), xt.dim(3)});
  TensorId t = g.addTensor("", type);
  llvm::cantFail(g.addNode(OpKind::Gather, {x, index}, {t},
                           {{"axis", Attribute::ofInt(1)}}));
  return t;
}

void rewrite(Graph &g, const GroupedAttention &m) {
  int64_t groups = m.heads / m.kvHeads;
  std::vector<double> heads(m.heads);
  for (int64_t h = 0; h < m.heads; ++h)
    heads[h] = double(h / groups);
  TensorId index = g.addTensor("", TensorType::i64({m.heads}));
  llvm::cantFail(g.addNode(OpKind::Constant, {}, {index},
                           {{"data", Attribute::ofFloats(std::move(heads))}}));
  TensorId k = gatherHeads(g, m.k, index), v = gatherHeads(g, m.v, index);
  llvm::cantFail(redefine(g, m.scores, OpKind::Einsum, {m.q, k},
                          {{"spec", Attribute::ofString("bhid,bhjd->bhij")}}));
  llvm::cantFail(redefine(g, m.out, OpKind::Einsum, {m.probs, v},
                          {{"spec", Attribute::ofString("bhij,bhje->bhie")}}));
}

class ExpandKvHeads : public Pass {
public:
  llvm::StringRef name() const override { return "expand-kv-heads"; }
  llvm::StringRef summary() const override {
    return "rewrite grouped-query attention ([b,Hkv,G,S,d] views of q) per "
           "head over k and v gathered at h/G, which fuse-attention folds "
           "back into the attention node";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &ctx) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    bool changed = false;
    for (NodeId id : *order) {
      if (g.node(id).erased)
        continue;
      std::optional<EinsumSpec> spec = einsumSpec(g.node(id));
      if (!spec || !isGroupedSpec(*spec, true))
        continue;
      MatchResult match = matchGrouped(g, id);
      if (const std::string *why = std::get_if<std::string>(&match)) {
        ctx.remark(*this, g, id, false, *why);
        continue;
      }
      const GroupedAttention &m = std::get<GroupedAttention>(match);
      rewrite(g, m);
      ctx.remark(*this, g, g.producer(m.scores), true,
                 fmt::format("per head: {} query heads read k and v of {} kv "
                             "heads at h / {}",
                             m.heads, m.kvHeads, m.heads / m.kvHeads));
      ++numExpanded;
      changed = true;
    }
    if (changed)
      eraseDeadNodes(g);
    return changed;
  }

private:
  Statistic numExpanded{*this, "expanded", "grouped attentions rewritten"};
};

} // namespace

std::unique_ptr<Pass> createExpandKvHeadsPass() {
  return std::make_unique<ExpandKvHeads>();
}

} // namespace einsum
