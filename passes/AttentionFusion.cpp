//===- AttentionFusion.cpp ------------------------------------------------===//
//
// matchAttention, around a softmax:
// 1. The softmax runs over the last axis of a [b, h, i, j] tensor that is
//    not a graph output and is read once, by an einsum with v.
// 2. Its input is an einsum or contraction "bhid,bhjd->bhij" (any letters,
//    that structure), read only by the softmax and not a graph output.
// 3. The value einsum is "bhij,bhje->bhie" with the probabilities first;
//    with f16 or bf16 q and k, its v is a cast of a tensor of their type
//    to f32, and the attention node reads that tensor.
// The scores' epilogue moves into the attention node with its labels
// renamed to the attention's b, h, i, j.
//
//===----------------------------------------------------------------------===//
#include "passes/AttentionFusion.h"
#include "passes/RewriteUtils.h"

#include "ir/EinsumSpec.h"
#include "ir/FusedNode.h"

#include <fmt/format.h>

namespace einsum {

/// Labels of an einsum-like node's spec, if it parses.
static std::optional<EinsumSpec> specOf(const Node &n, size_t terms) {
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(n.attr("spec").getString(), terms);
  if (!spec) {
    llvm::consumeError(spec.takeError());
    return std::nullopt;
  }
  return *spec;
}

/// "xyid,xyjd->xyij" with x, y, i, j, d distinct.
static bool isScoreSpec(const EinsumSpec &s) {
  if (s.inputs.size() != 2 || s.inputs[0].size() != 4 ||
      s.inputs[1].size() != 4 || s.output.size() != 4)
    return false;
  const std::string &a = s.inputs[0], &b = s.inputs[1], &o = s.output;
  std::string all = {a[0], a[1], a[2], a[3], b[2]};
  std::sort(all.begin(), all.end());
  bool distinct = std::adjacent_find(all.begin(), all.end()) == all.end();
  return distinct && b[0] == a[0] && b[1] == a[1] && b[3] == a[3] &&
         o == std::string{a[0], a[1], a[2], b[2]};
}

/// "xyij,xyje->xyie" with the probabilities first.
static bool isValueSpec(const EinsumSpec &s) {
  if (s.inputs.size() != 2 || s.inputs[0].size() != 4 ||
      s.inputs[1].size() != 4 || s.output.size() != 4)
    return false;
  const std::string &p = s.inputs[0], &v = s.inputs[1], &o = s.output;
  std::string all = {p[0], p[1], p[2], p[3], v[3]};
  std::sort(all.begin(), all.end());
  bool distinct = std::adjacent_find(all.begin(), all.end()) == all.end();
  return distinct && v[0] == p[0] && v[1] == p[1] && v[2] == p[3] &&
         o == std::string{p[0], p[1], p[2], v[3]};
}

/// `x` when `t` is gather(x, index, axis = 1) with index[h] = h / G for
/// H = G * Hkv query heads over the Hkv heads of x: k or v repeated per
/// query head.
static TensorId repeatedHeadsSource(const Graph &g, TensorId t) {
  NodeId p = g.producer(t);
  if (!p || g.node(p).op != OpKind::Gather ||
      g.node(p).attr("axis").getInt() != 1)
    return TensorId();
  TensorId x = g.node(p).inputs[0], index = g.node(p).inputs[1];
  NodeId c = g.producer(index);
  const TensorType &xt = g.type(x), &it = g.type(index);
  if (!c || g.node(c).op != OpKind::Constant || xt.rank() != 4 ||
      it.rank() != 1 || isSymbolicSize(it.dim(0)) ||
      isSymbolicSize(xt.dim(1)) || it.dim(0) % xt.dim(1) != 0)
    return TensorId();
  int64_t heads = it.dim(0), groups = heads / xt.dim(1);
  const std::vector<double> &data = g.node(c).attr("data").getFloats();
  std::optional<double> splat = splatValue(g, index);
  for (int64_t h = 0; h < heads; ++h) {
    double at = data.empty() ? splat.value_or(-1) : data[h];
    if (at != double(h / groups))
      return TensorId();
  }
  return x;
}

static llvm::Error notMatched(std::string why) {
  return makeError(std::move(why));
}

llvm::Expected<AttentionMatch> matchAttention(const Graph &g, NodeId softmax) {
  const Node &sm = g.node(softmax);
  if (sm.op != OpKind::Softmax)
    return notMatched("not a softmax");
  TensorId probs = sm.result();
  const TensorType &pt = g.type(probs);
  if (pt.rank() != 4)
    return notMatched(
        fmt::format("the softmax is over {}, not [b, h, i, j]", pt.str()));
  int64_t axis = sm.attr("axis").getInt();
  if (axis != -1 && axis != 3)
    return notMatched(fmt::format("the softmax runs over axis {}, not the "
                                  "keys (the last axis)",
                                  axis));
  if (g.isOutput(probs))
    return notMatched(fmt::format("the probabilities {} are a graph output",
                                  g.describeTensor(probs)));
  std::vector<NodeId> readers = g.consumers(probs);
  if (readers.size() != 1)
    return notMatched(
        fmt::format("the probabilities have {} readers", readers.size()));
  const Node &vn = g.node(readers.front());
  if (vn.op == OpKind::Reshape)
    return notMatched("the probabilities are reshaped before the value "
                      "product: a grouped-query layout that expand-kv-heads "
                      "did not rewrite (see its remark)");
  std::optional<EinsumSpec> vspec;
  if (vn.op == OpKind::Einsum || vn.op == OpKind::Contraction)
    vspec = specOf(vn, contractionTerms(vn).size());
  if (!vspec || !isValueSpec(*vspec) || vn.inputs[0] != probs)
    return notMatched("the probabilities are not multiplied with v by an "
                      "einsum 'bhij,bhjd->bhid'");

  TensorId scores = sm.inputs[0];
  NodeId sn = g.producer(scores);
  if (!sn ||
      (g.node(sn).op != OpKind::Einsum && g.node(sn).op != OpKind::Contraction))
    return notMatched("the softmax input is not computed by an einsum or "
                      "contraction");
  const Node &s = g.node(sn);
  if (g.isOutput(scores) || g.consumers(scores).size() != 1)
    return notMatched(fmt::format("the scores {} are read elsewhere too",
                                  g.describeTensor(scores)));
  std::optional<EinsumSpec> sspec = specOf(s, contractionTerms(s).size());
  if (!sspec || !isScoreSpec(*sspec))
    return notMatched("the scores are not an einsum 'bhid,bhjd->bhij' of q "
                      "and k");

  AttentionMatch m;
  m.scores = sn;
  m.softmax = softmax;
  m.values = readers.front();
  m.q = s.inputs[0];
  m.k = s.inputs[1];
  m.v = vn.inputs[1];
  // With f16 or bf16 q and k, the f32 probabilities meet v widened by a
  // cast: the attention node reads v as stored, in q's type.
  DType stored = g.type(m.q).elementType();
  auto unwidened = [&](TensorId t) {
    NodeId c = g.producer(t);
    if (c && g.node(c).op == OpKind::Cast &&
        g.type(g.node(c).inputs[0]).elementType() == stored)
      return g.node(c).inputs[0];
    return t;
  };
  TensorId storedV = unwidened(m.v);
  // The attention node groups kv heads itself: k and v repeated per query
  // head (expand-kv-heads, or a user's repeat_kv) are read unrepeated,
  // whether v was repeated before or after the cast.
  TensorId k = repeatedHeadsSource(g, m.k), v = repeatedHeadsSource(g, storedV);
  if (v)
    v = unwidened(v);
  if (k && v && g.type(k).dim(1) == g.type(v).dim(1)) {
    m.k = k;
    m.v = v;
  } else {
    m.v = storedV;
  }
  if (g.type(m.v).elementType() != stored)
    return notMatched(fmt::format("q and k are {} but v {} is not, nor a cast "
                                  "of a {} tensor: the attention node reads "
                                  "q, k and v in one element type",
                                  dtypeName(stored).str(),
                                  g.describeTensor(m.v),
                                  dtypeName(stored).str()));
  m.valueSpec = vspec->output;
  m.valueEpilogue = nodeEpilogue(vn);
  llvm::ArrayRef<TensorId> valueOperands = epilogueOperands(vn);
  m.valueOperands.assign(valueOperands.begin(), valueOperands.end());
  const std::string &o = sspec->output;
  std::map<char, char> renaming;
  for (size_t d = 0; d < o.size(); ++d)
    renaming[o[d]] = kAttentionLabels[d];
  m.epilogue = nodeEpilogue(s).renameLabels(renaming);
  llvm::ArrayRef<TensorId> operands = epilogueOperands(s);
  m.operands.assign(operands.begin(), operands.end());
  return m;
}

NodeId applyAttentionFusion(Graph &g, const AttentionMatch &m) {
  TensorId out = g.node(m.values).result();
  std::vector<TensorId> inputs = {m.q, m.k, m.v};
  inputs.insert(inputs.end(), m.operands.begin(), m.operands.end());
  NamedAttribute scoreEpilogue = {"score_epilogue",
                                  Attribute::ofEpilogue(m.epilogue)};
  g.eraseNode(m.scores);
  g.eraseNode(m.softmax);
  if (m.valueEpilogue.isIdentity()) {
    llvm::cantFail(
        redefine(g, out, OpKind::Attention, inputs, {scoreEpilogue}));
    return g.producer(out);
  }
  // What fuse-epilogue put on the value product (a residual add, a scale)
  // reads the attention's result in a one-term contraction: an elementwise
  // loop after the kernel, and still no scores in memory.
  g.eraseNode(m.values);
  std::string name = g.tensor(out).name + "_attention";
  if (g.tensor(out).name.empty() || g.findTensor(name))
    name.clear();
  TensorId attention = g.addTensor(name);
  NodeId fused = llvm::cantFail(
      g.addNode(OpKind::Attention, inputs, {attention}, {scoreEpilogue}));
  std::vector<TensorId> readerInputs = {attention};
  readerInputs.insert(readerInputs.end(), m.valueOperands.begin(),
                      m.valueOperands.end());
  llvm::cantFail(g.addNode(
      OpKind::Contraction, readerInputs, {out},
      {{"spec", Attribute::ofString(m.valueSpec + "->" + m.valueSpec)},
       {"epilogue", Attribute::ofEpilogue(m.valueEpilogue)}}));
  return fused;
}

} // namespace einsum
