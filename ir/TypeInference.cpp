//===- TypeInference.cpp --------------------------------------------------===//
#include "ir/TypeInference.h"
#include "ir/EinsumSpec.h"
#include "ir/Epilogue.h"
#include "ir/FusedNode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace einsum {

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

static std::string joinNames(llvm::ArrayRef<std::string> names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? ", " : "") + names[i];
  return s;
}

llvm::Expected<Attribute> checkAttribute(const AttrSpec &spec,
                                         Attribute value) {
  auto mismatch = [&](llvm::StringRef got) {
    return makeError(fmt::format("attribute '{}' expects {}, got {}", spec.name,
                                 attrKindName(spec.kind).str(), got.str()));
  };
  switch (spec.kind) {
  case AttrKind::Int:
  case AttrKind::Size:
    if (!value.isInt())
      return mismatch(value.kindName());
    return value;
  case AttrKind::Float:
    if (value.isInt())
      return Attribute::ofFloat(double(value.getInt()));
    if (!value.isFloat())
      return mismatch(value.kindName());
    return value;
  case AttrKind::Bool:
    if (!value.isBool())
      return mismatch(value.kindName());
    return value;
  case AttrKind::String:
    if (!value.isString())
      return mismatch(value.kindName());
    return value;
  case AttrKind::Enum:
    if (!value.isString())
      return mismatch(value.kindName());
    if (std::find(spec.enumValues.begin(), spec.enumValues.end(),
                  value.getString()) == spec.enumValues.end())
      return makeError(fmt::format("attribute '{}' is '{}'; expected one of {}",
                                   spec.name, value.getString(),
                                   joinNames(spec.enumValues)));
    return value;
  case AttrKind::Ints:
  case AttrKind::Sizes:
    if (!value.isInts())
      return mismatch(value.kindName());
    return value;
  case AttrKind::Epilogue:
    if (!value.isEpilogue())
      return mismatch(value.kindName());
    return value;
  case AttrKind::Floats:
    if (value.isInts()) {
      std::vector<double> f(value.getInts().begin(), value.getInts().end());
      return Attribute::ofFloats(std::move(f));
    }
    if (!value.isFloats())
      return mismatch(value.kindName());
    return value;
  }
  return value;
}

llvm::Expected<std::vector<Attribute>>
resolveAttributes(OpKind op, llvm::ArrayRef<NamedAttribute> attrs) {
  const OpInfo &info = opInfo(op);
  std::vector<std::optional<Attribute>> slots(info.attrs.size());
  for (const auto &[name, value] : attrs) {
    std::optional<unsigned> idx = info.attrIndex(name);
    if (!idx) {
      if (info.attrs.empty())
        return makeError(fmt::format("unknown attribute '{}': '{}' takes no "
                                     "attributes",
                                     name, info.name.str()));
      std::vector<std::string> known;
      for (const AttrSpec &s : info.attrs)
        known.push_back(s.name);
      return makeError(fmt::format("unknown attribute '{}' of '{}'; known "
                                   "attributes: {}",
                                   name, info.name.str(), joinNames(known)));
    }
    if (slots[*idx])
      return makeError(fmt::format("attribute '{}' is given twice", name));
    llvm::Expected<Attribute> checked = checkAttribute(info.attrs[*idx], value);
    if (!checked)
      return checked.takeError();
    slots[*idx] = std::move(*checked);
  }
  std::vector<Attribute> result;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i]) {
      result.push_back(std::move(*slots[i]));
      continue;
    }
    if (!info.attrs[i].defaultValue)
      return makeError(fmt::format("'{}' requires attribute '{}' ({})",
                                   info.name.str(), info.attrs[i].name,
                                   attrKindName(info.attrs[i].kind).str()));
    result.push_back(*info.attrs[i].defaultValue);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right, as numpy does.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return makeError(fmt::format("shapes {} and {} do not broadcast: "
                                   "dimension {} of the result would be {} "
                                   "and {}",
                                   shapeStr(a), shapeStr(b), i, sizeStr(da),
                                   sizeStr(db)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

llvm::Expected<unsigned> normalizeAxis(int64_t axis, unsigned rank) {
  int64_t r = rank;
  if (axis < -r || axis >= r)
    return makeError(fmt::format("axis {} is out of range for rank {} "
                                 "(expected {} to {})",
                                 axis, rank, -r, r - 1));
  return unsigned(axis < 0 ? axis + r : axis);
}

/// Which of the `rank` dimensions a list of distinct axes names. A flag per
/// dimension rather than a search of the axes seen so far: lists of 10^5
/// axes are valid input and must not take quadratic time.
static llvm::Expected<std::vector<bool>>
normalizeAxes(llvm::ArrayRef<int64_t> axes, unsigned rank) {
  std::vector<bool> listed(rank, false);
  for (int64_t a : axes) {
    llvm::Expected<unsigned> n = normalizeAxis(a, rank);
    if (!n)
      return n.takeError();
    if (listed[*n])
      return makeError(fmt::format("axis {} is listed twice", a));
    listed[*n] = true;
  }
  return listed;
}

static llvm::Error requireFloat(const TensorType &t, llvm::StringRef what) {
  if (isFloat(t.elementType()))
    return llvm::Error::success();
  return makeError(fmt::format("{} has type {}; expected a float type (f32, "
                               "f64, f16 or bf16)",
                               what.str(), t.str()));
}

static llvm::Error requireSameDType(llvm::ArrayRef<TensorType> ins) {
  for (size_t i = 1; i < ins.size(); ++i)
    if (ins[i].elementType() != ins[0].elementType())
      return makeError(fmt::format("input {} is {} but input 0 is {}; "
                                   "element types must match (a 'cast' "
                                   "converts)",
                                   i, ins[i].str(), ins[0].str()));
  return llvm::Error::success();
}

/// Arithmetic ops: every input floating point, all of one element type.
static llvm::Error requireFloatOfOneType(llvm::ArrayRef<TensorType> ins) {
  for (size_t i = 0; i < ins.size(); ++i)
    if (llvm::Error e = requireFloat(ins[i], fmt::format("input {}", i)))
      return e;
  return requireSameDType(ins);
}

DType accumulatorType(DType operands) {
  return isHalfFloat(operands) ? DType::F32 : operands;
}

/// The element type of a contraction (einsum, contraction, attention) of
/// `terms`, with `operands` more inputs read by its epilogue: the terms share
/// one float type; 16-bit terms accumulate in f32 and return f32 unless the
/// declared result is f16 or bf16; the epilogue's operands have the
/// accumulator's type.
static llvm::Expected<DType>
contractionElementType(llvm::ArrayRef<TensorType> terms,
                       llvm::ArrayRef<TensorType> operands,
                       const std::optional<TensorType> &declared) {
  if (llvm::Error e = requireFloatOfOneType(terms))
    return std::move(e);
  DType acc = accumulatorType(terms[0].elementType());
  for (size_t i = 0; i < operands.size(); ++i)
    if (operands[i].elementType() != acc)
      return makeError(fmt::format(
          "epilogue operand ${} is {}; the epilogue computes in {}{}, so its "
          "operands must be {} (a 'cast' converts)",
          i, operands[i].str(), dtypeName(acc).str(),
          acc != terms[0].elementType()
              ? " (the accumulator of " +
                    dtypeName(terms[0].elementType()).str() + " operands)"
              : "",
          dtypeName(acc).str()));
  if (!declared || declared->elementType() == acc ||
      !isHalfFloat(terms[0].elementType()))
    return acc;
  if (isHalfFloat(declared->elementType()))
    return declared->elementType();
  return makeError(fmt::format("result type {} is not allowed: a contraction "
                               "of {} operands accumulates in f32 and returns "
                               "f32, f16 or bf16",
                               declared->str(),
                               dtypeName(terms[0].elementType()).str()));
}

static llvm::Expected<TensorType>
inferCast(const TensorType &in, const std::optional<TensorType> &declared) {
  if (llvm::Error e = requireFloat(in, "the input"))
    return std::move(e);
  if (!declared)
    return makeError("the result type of 'cast' must be given: it names the "
                     "element type to convert to");
  if (!isFloat(declared->elementType()))
    return makeError(fmt::format("result type {} is not a float type; 'cast' "
                                 "converts between f32, f64, f16 and bf16",
                                 declared->str()));
  return in.withElementType(declared->elementType());
}

//===----------------------------------------------------------------------===//
// Per-category inference
//===----------------------------------------------------------------------===//

static llvm::Expected<TensorType>
inferEinsum(llvm::ArrayRef<TensorType> ins, llvm::StringRef specText,
            const std::optional<TensorType> &declared) {
  llvm::Expected<DType> dtype = contractionElementType(ins, {}, declared);
  if (!dtype)
    return dtype.takeError();
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(specText, ins.size());
  if (!spec)
    return spec.takeError();
  llvm::Expected<std::map<char, int64_t>> sizes = spec->labelSizes(ins);
  if (!sizes)
    return sizes.takeError();
  std::vector<int64_t> shape;
  for (char c : spec->output)
    shape.push_back(sizes->at(c));
  return TensorType(*dtype, shape);
}

/// An einsum over the first inputs, one per term of the spec, followed by
/// the epilogue's operands.
static llvm::Expected<TensorType>
inferContraction(llvm::ArrayRef<TensorType> ins, llvm::StringRef specText,
                 const Epilogue &epilogue,
                 const std::optional<TensorType> &declared) {
  size_t terms = EinsumSpec::countInputTerms(specText);
  if (terms > ins.size())
    return makeError(fmt::format("spec '{}' has {} terms but the node has {} "
                                 "input{}",
                                 specText.str(), terms, ins.size(),
                                 ins.size() == 1 ? "" : "s"));
  llvm::Expected<DType> dtype = contractionElementType(
      ins.take_front(terms), ins.drop_front(terms), declared);
  if (!dtype)
    return dtype.takeError();
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(specText, terms);
  if (!spec)
    return spec.takeError();
  llvm::Expected<std::map<char, int64_t>> sizes =
      spec->labelSizes(ins.take_front(terms));
  if (!sizes)
    return sizes.takeError();
  if (llvm::Error e =
          epilogue.check(spec->output, ins.drop_front(terms), *sizes))
    return std::move(e);
  std::vector<int64_t> shape;
  for (char c : spec->output)
    shape.push_back(sizes->at(c));
  return TensorType(*dtype, shape);
}

/// q [b,H,Sq,d], k [b,Hkv,Sk,d], v [b,Hkv,Sk,dv], then epilogue operands.
static llvm::Expected<TensorType>
inferAttention(llvm::ArrayRef<TensorType> ins, const Epilogue &epilogue,
               const std::optional<TensorType> &declared) {
  llvm::Expected<DType> dtype =
      contractionElementType(ins.take_front(3), ins.drop_front(3), declared);
  if (!dtype)
    return dtype.takeError();
  const TensorType &q = ins[0], &k = ins[1], &v = ins[2];
  const char *names[] = {"q", "k", "v"};
  const char *layouts[] = {"[batch, heads, queries, head_dim]",
                           "[batch, kv_heads, keys, head_dim]",
                           "[batch, kv_heads, keys, value_dim]"};
  for (size_t i = 0; i < 3; ++i)
    if (ins[i].rank() != 4)
      return makeError(fmt::format("{} has type {}; expected rank 4 {}",
                                   names[i], ins[i].str(), layouts[i]));
  if (k.dim(0) != q.dim(0) || v.dim(0) != q.dim(0))
    return makeError(fmt::format("batch sizes differ: q {}, k {}, v {}",
                                 q.str(), k.str(), v.str()));
  if (v.dim(1) != k.dim(1) || v.dim(2) != k.dim(2))
    return makeError(fmt::format("k {} and v {} must have the same kv heads "
                                 "and keys",
                                 k.str(), v.str()));
  if (isSymbolicSize(q.dim(1)) || isSymbolicSize(k.dim(1)))
    return makeError(fmt::format("q {} and k {} must have static head counts: "
                                 "query heads are grouped over kv heads when "
                                 "the graph is compiled",
                                 q.str(), k.str()));
  if (q.dim(1) % k.dim(1) != 0)
    return makeError(fmt::format("q {} has {} heads, not a multiple of the {} "
                                 "kv heads of k {}",
                                 q.str(), q.dim(1), k.dim(1), k.str()));
  if (q.dim(3) != k.dim(3))
    return makeError(fmt::format("head dimension of q {} is {} but of k {} is "
                                 "{}",
                                 q.str(), q.dim(3), k.str(), k.dim(3)));
  std::map<char, int64_t> sizes = {
      {'b', q.dim(0)}, {'h', q.dim(1)}, {'i', q.dim(2)}, {'j', k.dim(2)}};
  if (llvm::Error e =
          epilogue.check(kAttentionLabels, ins.drop_front(3), sizes))
    return std::move(e);
  return TensorType(*dtype, {q.dim(0), q.dim(1), q.dim(2), v.dim(3)});
}

static llvm::Expected<TensorType>
inferReduce(const TensorType &in, llvm::ArrayRef<int64_t> axes, bool keepDims) {
  if (axes.empty())
    return makeError("'axes' is empty; reduce needs at least one axis");
  llvm::Expected<std::vector<bool>> reduced = normalizeAxes(axes, in.rank());
  if (!reduced)
    return reduced.takeError();
  std::vector<int64_t> shape;
  for (unsigned d = 0; d < in.rank(); ++d) {
    if (!(*reduced)[d])
      shape.push_back(in.dim(d));
    else if (keepDims)
      shape.push_back(1);
  }
  return TensorType(in.elementType(), shape);
}

static llvm::Expected<TensorType>
inferExpandDims(const TensorType &in, llvm::ArrayRef<int64_t> axes) {
  if (axes.empty())
    return makeError("'axes' is empty; expand_dims needs at least one axis");
  unsigned rank = in.rank() + axes.size();
  llvm::Expected<std::vector<bool>> inserted = normalizeAxes(axes, rank);
  if (!inserted)
    return inserted.takeError();
  std::vector<int64_t> shape;
  unsigned next = 0;
  for (unsigned d = 0; d < rank; ++d) {
    if ((*inserted)[d])
      shape.push_back(1);
    else
      shape.push_back(in.dim(next++));
  }
  return TensorType(in.elementType(), shape);
}

/// The product of a shape as a static factor times the multiset of the
/// symbolic sizes' primitive parts (splitFactor), the form in which two
/// element counts are compared: equal forms prove equal counts.
struct ElementCount {
  int64_t factor = 1;
  std::multiset<int64_t> symbolic;
  bool overflow = false;

  void multiply(int64_t size) {
    auto [f, rest] = splitFactor(size);
    if (rest != 1)
      symbolic.insert(rest);
    overflow |= f <= 0 || factor > kMaxElements / f;
    if (!overflow)
      factor *= f;
  }
};

static llvm::Expected<TensorType> inferReshape(const TensorType &in,
                                               llvm::ArrayRef<int64_t> req) {
  std::vector<int64_t> shape(req.begin(), req.end());
  int inferred = -1;
  ElementCount known, total;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0)
        return makeError(
            fmt::format("shape {} has more than one -1", shapeStr(req)));
      inferred = i;
      continue;
    }
    if (!isSymbolicSize(shape[i]) && shape[i] <= 0)
      return makeError(fmt::format("shape {} has dimension {} = {}; "
                                   "dimensions must be positive (or one -1)",
                                   shapeStr(req), i, shape[i]));
    if (isSymbolicSize(shape[i]) && alwaysBelow(shape[i], 1))
      return makeError(fmt::format("shape {} has dimension {} = {}, which is "
                                   "never positive",
                                   shapeStr(req), i, sizeStr(shape[i])));
    known.multiply(shape[i]);
    if (known.overflow)
      return makeError(
          fmt::format("shape {} has more than 2^48 elements", shapeStr(req)));
  }
  for (int64_t d : in.shape())
    total.multiply(d);
  if (in.isStatic()) {
    int64_t elements = total.factor;
    if (inferred >= 0) {
      if (!known.symbolic.empty() || elements % known.factor != 0)
        return makeError(fmt::format(
            "cannot reshape {} ({} elements) to {}: "
            "{} is not a multiple of {}",
            in.str(), elements, shapeStr(req), elements,
            known.symbolic.empty() ? std::to_string(known.factor)
                                   : "a size known only at run time"));
      shape[inferred] = elements / known.factor;
    } else if (!known.symbolic.empty() || known.factor != elements) {
      return makeError(fmt::format("cannot reshape {} ({} elements) to {} ({} "
                                   "elements)",
                                   in.str(), elements, shapeStr(req),
                                   known.symbolic.empty()
                                       ? std::to_string(known.factor)
                                       : "a number known only at run time"));
    }
    return TensorType(in.elementType(), shape);
  }
  // A shape known only at run time: the counts must be equal as products,
  // whatever the symbols are; -1 takes what the rest leaves, when that is a
  // size (one symbolic part at most, and a whole factor).
  auto unprovable = [&]() {
    return makeError(fmt::format("cannot reshape {} to {}: the element "
                                 "counts cannot be proven equal for every "
                                 "value of the sizes",
                                 in.str(), shapeStr(req)));
  };
  if (inferred >= 0) {
    std::multiset<int64_t> left = total.symbolic;
    for (int64_t s : known.symbolic) {
      auto it = left.find(s);
      if (it == left.end())
        return unprovable();
      left.erase(it);
    }
    if (left.size() > 1 || total.factor % known.factor != 0)
      return unprovable();
    int64_t factor = total.factor / known.factor;
    std::optional<int64_t> size = left.empty()
                                      ? std::optional<int64_t>(factor)
                                      : scaleSize(*left.begin(), factor);
    if (!size)
      return unprovable();
    shape[inferred] = *size;
  } else if (known.factor != total.factor || known.symbolic != total.symbolic) {
    return unprovable();
  }
  return TensorType(in.elementType(), shape);
}

static llvm::Expected<TensorType> inferTranspose(const TensorType &in,
                                                 llvm::ArrayRef<int64_t> perm) {
  if (perm.size() != in.rank())
    return makeError(fmt::format("perm {} has {} entries but the input {} has "
                                 "rank {}",
                                 shapeStr(perm), perm.size(), in.str(),
                                 in.rank()));
  std::vector<bool> seen(in.rank(), false);
  std::vector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(in.rank()) || seen[p])
      return makeError(fmt::format("perm {} is not a permutation of 0..{}",
                                   shapeStr(perm), int64_t(in.rank()) - 1));
    seen[p] = true;
    shape.push_back(in.dim(p));
  }
  return TensorType(in.elementType(), shape);
}

static llvm::Expected<TensorType>
inferGather(const TensorType &table, const TensorType &indices, int64_t axis) {
  if (indices.elementType() != DType::I64)
    return makeError(
        fmt::format("indices have type {}; expected i64", indices.str()));
  llvm::Expected<unsigned> a = normalizeAxis(axis, table.rank());
  if (!a)
    return a.takeError();
  std::vector<int64_t> shape(table.shape().begin(), table.shape().begin() + *a);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), table.shape().begin() + *a + 1,
               table.shape().end());
  return TensorType(table.elementType(), shape);
}

/// Inputs of one element type and rank, equal on every axis but `axis`.
static llvm::Expected<TensorType> inferConcat(llvm::ArrayRef<TensorType> ins,
                                              int64_t axis) {
  const TensorType &first = ins[0];
  if (first.rank() == 0)
    return makeError(fmt::format("input 0 is {}; inputs must have rank 1 or "
                                 "more",
                                 first.str()));
  llvm::Expected<unsigned> a = normalizeAxis(axis, first.rank());
  if (!a)
    return a.takeError();
  std::vector<int64_t> shape = first.shape().vec();
  SizeExpr total = sizeExpr(first.dim(*a));
  for (size_t i = 1; i < ins.size(); ++i) {
    const TensorType &t = ins[i];
    if (t.elementType() != first.elementType())
      return makeError(fmt::format("input {} is {} but input 0 is {}; "
                                   "element types must match",
                                   i, t.str(), first.str()));
    if (t.rank() != first.rank())
      return makeError(fmt::format("input {} is {} but input 0 is {}; "
                                   "ranks must match",
                                   i, t.str(), first.str()));
    for (unsigned d = 0; d < t.rank(); ++d)
      if (d != *a && t.dim(d) != first.dim(d))
        return makeError(fmt::format("input {} is {} but input 0 is "
                                     "{}; sizes must match except on axis {}",
                                     i, t.str(), first.str(), *a));
    // Checked per input: a long list of large inputs would overflow int64.
    int64_t d = t.dim(*a);
    if (!isSymbolicSize(d) && d > kMaxElements - total.constant)
      return makeError(fmt::format("the result size on axis {} exceeds "
                                   "2^48 at input {}",
                                   *a, i));
    if (isSymbolicSize(d)) {
      SizeExpr e = sizeExpr(d);
      total.constant += e.constant;
      total.terms.insert(total.terms.end(), e.terms.begin(), e.terms.end());
    } else {
      total.constant += d;
    }
  }
  // Summed once: adding the inputs one by one would intern every partial
  // sum, quadratic in a long list of inputs of sizes known only at run
  // time.
  std::optional<int64_t> sum = makeSize(std::move(total));
  if (!sum)
    return makeError(fmt::format("the result size on axis {} is out of "
                                 "range",
                                 *a));
  shape[*a] = *sum;
  return TensorType(first.elementType(), shape);
}

/// Checks a generator's attributes against its declared type.
static llvm::Error checkGenerator(OpKind op, const TensorType &t,
                                  llvm::ArrayRef<Attribute> attrs) {
  const OpInfo &info = opInfo(op);
  auto attr = [&](llvm::StringRef name) -> const Attribute & {
    return attrs[*info.attrIndex(name)];
  };
  auto needRank2Float = [&]() -> llvm::Error {
    if (t.rank() != 2)
      return makeError(fmt::format("result type {} must have rank 2 "
                                   "([queries, keys])",
                                   t.str()));
    return requireFloat(t, "the result");
  };
  auto needOffset = [&]() -> llvm::Error {
    // A query may sit before the first key (a negative offset: in the
    // causal forms it sees none); one known only at run time is checked
    // then (SizeBindings.h).
    int64_t off = attr("query_offset").getInt();
    if (isSymbolicSize(off))
      return llvm::Error::success();
    if (off < -kMaxElements || off > kMaxElements)
      return makeError(
          fmt::format("query_offset is {}; expected -2^48 to 2^48", off));
    return llvm::Error::success();
  };
  switch (op) {
  case OpKind::Constant: {
    const std::vector<double> &data = attr("data").getFloats();
    if (!data.empty() && !t.isStatic())
      return makeError(fmt::format("'data' has {} values but the result {} "
                                   "has a size known only at run time; only "
                                   "a splat 'value' fills such a shape",
                                   data.size(), t.str()));
    if (!data.empty() && int64_t(data.size()) != t.numElements())
      return makeError(fmt::format("'data' has {} values but the result {} "
                                   "has {} elements",
                                   data.size(), t.str(), t.numElements()));
    if (t.elementType() == DType::I64) {
      std::vector<double> values = data;
      values.push_back(attr("value").getFloat());
      for (double v : values)
        if (v != std::trunc(v) || std::abs(v) > 9007199254740992.0)
          return makeError(fmt::format("value {} is not an integer exactly "
                                       "representable in i64 data",
                                       formatFloat(v)));
    }
    return llvm::Error::success();
  }
  case OpKind::Iota: {
    if (t.rank() == 0)
      return makeError("the result of 'iota' must have rank 1 or more");
    llvm::Expected<unsigned> a = normalizeAxis(attr("axis").getInt(), t.rank());
    return a ? llvm::Error::success() : a.takeError();
  }
  case OpKind::Distance:
    if (llvm::Error e = needRank2Float())
      return e;
    return needOffset();
  case OpKind::CausalMask:
    if (llvm::Error e = needRank2Float())
      return e;
    return needOffset();
  case OpKind::AlibiSlopes: {
    if (t.rank() != 1)
      return makeError(fmt::format("result type {} must have rank 1 "
                                   "([heads])",
                                   t.str()));
    if (llvm::Error e = requireFloat(t, "the result"))
      return e;
    int64_t n = t.dim(0);
    if (isSymbolicSize(n))
      return makeError(fmt::format("result type {} must have a static head "
                                   "count: slopes depend on it",
                                   t.str()));
    double maxBias = attr("max_bias").getFloat();
    int64_t offset = attr("head_offset").getInt();
    int64_t total = attr("total_heads").getInt();
    if (!(maxBias > 0) || !std::isfinite(maxBias))
      return makeError(fmt::format("max_bias is {}; expected a positive "
                                   "finite number",
                                   formatFloat(maxBias)));
    if (offset < 0 || total < 0)
      return makeError(fmt::format("head_offset {} and total_heads {} must "
                                   "not be negative",
                                   offset, total));
    int64_t effectiveTotal = total == 0 ? n : total;
    if (offset > effectiveTotal || n > effectiveTotal - offset)
      return makeError(fmt::format("heads [{}, {}) are not within "
                                   "total_heads {}",
                                   offset, offset + n, effectiveTotal));
    return llvm::Error::success();
  }
  case OpKind::RelativeBuckets: {
    if (t.rank() != 2 || t.elementType() != DType::I64)
      return makeError(fmt::format("result type {} must be i64 of rank 2 "
                                   "([queries, keys])",
                                   t.str()));
    if (llvm::Error e = needOffset())
      return e;
    int64_t buckets = attr("num_buckets").getInt();
    int64_t maxDistance = attr("max_distance").getInt();
    // Half the buckets (per direction, if bidirectional) are exact; the
    // logarithmic ones need an exact range of at least 1 and a max_distance
    // beyond it.
    int64_t perSide = attr("bidirectional").getBool() ? buckets / 2 : buckets;
    if (buckets > (int64_t(1) << 30) || perSide < 2)
      return makeError(fmt::format("num_buckets is {}; expected at least {} "
                                   "and at most 2^30",
                                   buckets,
                                   attr("bidirectional").getBool() ? 4 : 2));
    if (maxDistance <= perSide / 2 || maxDistance > kMaxElements)
      return makeError(fmt::format("max_distance is {}; expected more than "
                                   "the {} exact buckets and at most 2^48",
                                   maxDistance, perSide / 2));
    return llvm::Error::success();
  }
  default:
    llvm_unreachable("not a generator");
  }
}

llvm::Expected<TensorType>
inferResultType(OpKind op, llvm::ArrayRef<TensorType> ins,
                llvm::ArrayRef<Attribute> attrs,
                const std::optional<TensorType> &declared) {
  const OpInfo &info = opInfo(op);
  assert(attrs.size() == info.attrs.size() && "attributes not resolved");
  auto attr = [&](llvm::StringRef name) -> const Attribute & {
    return attrs[*info.attrIndex(name)];
  };

  if (info.category == OpCategory::Generator) {
    if (!declared)
      return makeError(fmt::format("the result type of '{}' must be given: "
                                   "it has no inputs to infer it from",
                                   info.name.str()));
    std::string bad = checkShape(declared->shape());
    if (!bad.empty())
      return makeError(bad);
    if (llvm::Error e = checkGenerator(op, *declared, attrs))
      return std::move(e);
    return *declared;
  }

  llvm::Expected<TensorType> inferred = [&]() -> llvm::Expected<TensorType> {
    switch (op) {
    case OpKind::Einsum:
      return inferEinsum(ins, attr("spec").getString(), declared);
    case OpKind::Contraction:
      return inferContraction(ins, attr("spec").getString(),
                              attr("epilogue").getEpilogue(), declared);
    case OpKind::Attention:
      return inferAttention(ins, attr("score_epilogue").getEpilogue(),
                            declared);
    case OpKind::Cast:
      return inferCast(ins[0], declared);
#define OP(...)
#define UNARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
      if (llvm::Error e = requireFloat(ins[0], "the input"))
        return std::move(e);
      return ins[0];
#define OP(...)
#define BINARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
      {
        if (llvm::Error e = requireFloatOfOneType(ins))
          return std::move(e);
        llvm::Expected<std::vector<int64_t>> shape =
            broadcastShapes(ins[0].shape(), ins[1].shape());
        if (!shape)
          return shape.takeError();
        return TensorType(ins[0].elementType(), *shape);
      }
    case OpKind::Reduce:
      if (llvm::Error e = requireFloat(ins[0], "the input"))
        return std::move(e);
      return inferReduce(ins[0], attr("axes").getInts(),
                         attr("keepdims").getBool());
    case OpKind::Softmax: {
      if (llvm::Error e = requireFloat(ins[0], "the input"))
        return std::move(e);
      llvm::Expected<unsigned> a =
          normalizeAxis(attr("axis").getInt(), ins[0].rank());
      if (!a)
        return a.takeError();
      return ins[0];
    }
    case OpKind::ExpandDims:
      return inferExpandDims(ins[0], attr("axes").getInts());
    case OpKind::Reshape:
      return inferReshape(ins[0], attr("shape").getInts());
    case OpKind::Transpose:
      return inferTranspose(ins[0], attr("perm").getInts());
    case OpKind::Gather:
      return inferGather(ins[0], ins[1], attr("axis").getInt());
    case OpKind::Concat:
      return inferConcat(ins, attr("axis").getInt());
    case OpKind::Constant:
    case OpKind::Iota:
    case OpKind::Distance:
    case OpKind::AlibiSlopes:
    case OpKind::CausalMask:
    case OpKind::RelativeBuckets:
      break;
    }
    llvm_unreachable("generators are handled above");
  }();
  if (!inferred)
    return inferred.takeError();
  std::string bad = checkShape(inferred->shape());
  if (!bad.empty())
    return makeError("the result " + bad);
  if (declared && *declared != *inferred)
    return makeError(fmt::format("result type {} does not match the inferred "
                                 "type {}",
                                 declared->str(), inferred->str()));
  return *inferred;
}

} // namespace einsum
