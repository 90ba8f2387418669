//===- TensorSemantics.cpp ------------------------------------------------===//
#include "ir/TensorSemantics.h"

#include "ir/AlibiSlopes.h"
#include "ir/RelativeBuckets.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

namespace einsum {

static constexpr double kInf = std::numeric_limits<double>::infinity();

static std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

/// Writes f(i + query_offset, j) for every (query, key) pair of a
/// [Sq, Sk] result.
template <typename F>
static llvm::Error forEachPair(const Node &n, const TensorType &t,
                               ElementWriter write, F f) {
  if (t.rank() != 2)
    return makeError(
        fmt::format("result type {} is not [queries, keys]", t.str()));
  int64_t offset = n.attr("query_offset").getInt();
  int64_t sq = t.dim(0), sk = t.dim(1);
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      write(i * sk + j, f(double(i) + double(offset), double(j)));
  return llvm::Error::success();
}

llvm::Expected<std::vector<double>> alibiSlopesOf(const Node &n,
                                                  int64_t count) {
  int64_t offset = n.attr("head_offset").getInt();
  int64_t total = n.attr("total_heads").getInt();
  if (total == 0)
    total = count;
  std::optional<SlopeRecipe> recipe =
      parseSlopeRecipe(n.attr("recipe").getString());
  if (!recipe)
    return makeError(
        fmt::format("unknown recipe '{}'", n.attr("recipe").getString()));
  // computeAlibiSlopes asserts the range; an unverified graph must still
  // get a message.
  if (offset < 0 || total < 1 || offset > total || count > total - offset)
    return makeError(fmt::format("heads [{}, {}) are not within "
                                 "total_heads {}",
                                 offset, offset + count, total));
  return computeAlibiSlopes(total, n.attr("max_bias").getFloat(), *recipe,
                            offset, count);
}

llvm::Error generateValues(const Node &n, const TensorType &t,
                           ElementWriter write) {
  switch (n.op) {
  case OpKind::Iota: {
    llvm::Expected<unsigned> axis =
        normalizeAxis(n.attr("axis").getInt(), t.rank());
    if (!axis)
      return axis.takeError();
    int64_t size = t.dim(*axis), inner = 1;
    for (unsigned d = *axis + 1; d < t.rank(); ++d)
      inner *= t.dim(d);
    double offset = double(n.attr("offset").getInt());
    for (int64_t i = 0, count = t.numElements(); i < count; ++i)
      write(i, double((i / inner) % size) + offset);
    return llvm::Error::success();
  }
  case OpKind::Distance:
    if (n.attr("form").getString() == "causal")
      return forEachPair(n, t, write, [](double i, double j) {
        return j <= i ? i - j : kInf;
      });
    return forEachPair(n, t, write,
                       [](double i, double j) { return std::fabs(i - j); });
  case OpKind::CausalMask:
    return forEachPair(n, t, write,
                       [](double i, double j) { return j <= i ? 0.0 : -kInf; });
  case OpKind::AlibiSlopes: {
    llvm::Expected<std::vector<double>> slopes =
        alibiSlopesOf(n, t.numElements());
    if (!slopes)
      return slopes.takeError();
    for (int64_t i = 0; i < t.numElements(); ++i)
      write(i, (*slopes)[i]);
    return llvm::Error::success();
  }
  case OpKind::RelativeBuckets: {
    int64_t buckets = n.attr("num_buckets").getInt();
    int64_t maxDistance = n.attr("max_distance").getInt();
    bool bidirectional = n.attr("bidirectional").getBool();
    return forEachPair(n, t, write, [&](double i, double j) {
      return double(relativePositionBucket(int64_t(j) - int64_t(i), buckets,
                                           maxDistance, bidirectional));
    });
  }
  default:
    return makeError(
        fmt::format("'{}' is not a generator with values", opName(n.op).str()));
  }
}

llvm::Expected<std::vector<double>> reduceValues(llvm::StringRef kindName,
                                                 llvm::ArrayRef<int64_t> axes,
                                                 const TensorType &in,
                                                 ElementReader read) {
  std::vector<bool> reduced(in.rank(), false);
  for (int64_t axis : axes) {
    llvm::Expected<unsigned> a = normalizeAxis(axis, in.rank());
    if (!a)
      return a.takeError();
    reduced[*a] = true;
  }

  // Each input element's result offset: the result's row-major strides over
  // the kept dimensions, 0 over the reduced ones.
  std::vector<int64_t> keptShape;
  for (unsigned d = 0; d < in.rank(); ++d)
    if (!reduced[d])
      keptShape.push_back(in.dim(d));
  std::vector<int64_t> keptStrides = rowMajorStrides(keptShape);
  std::vector<int64_t> outStride(in.rank(), 0);
  int64_t groupSize = 1, resultSize = 1;
  for (unsigned d = 0, k = 0; d < in.rank(); ++d) {
    if (reduced[d]) {
      groupSize *= in.dim(d);
    } else {
      outStride[d] = keptStrides[k++];
      resultSize *= in.dim(d);
    }
  }

  enum class Kind { Sum, Max, Min, Mean };
  Kind kind;
  if (kindName == "sum")
    kind = Kind::Sum;
  else if (kindName == "max")
    kind = Kind::Max;
  else if (kindName == "min")
    kind = Kind::Min;
  else if (kindName == "mean")
    kind = Kind::Mean;
  else
    return makeError(
        fmt::format("unknown reduction kind '{}'", kindName.str()));

  double init = kind == Kind::Max ? -kInf : kind == Kind::Min ? kInf : 0.0;
  std::vector<double> acc(resultSize, init);
  std::vector<int64_t> index(in.rank(), 0);
  int64_t out = 0;
  for (int64_t i = 0, count = in.numElements(); i < count; ++i) {
    double v = read(i);
    double &a = acc[out];
    // NaN wins max and min, as in numpy.
    if (kind == Kind::Max)
      a = std::isnan(v) || v > a ? v : a;
    else if (kind == Kind::Min)
      a = std::isnan(v) || v < a ? v : a;
    else
      a += v;
    for (unsigned d = in.rank(); d-- > 0;) {
      out += outStride[d];
      if (++index[d] < in.dim(d))
        break;
      out -= outStride[d] * in.dim(d);
      index[d] = 0;
    }
  }
  if (kind == Kind::Mean)
    for (double &a : acc)
      a /= double(groupSize);
  return acc;
}

llvm::Error transposeValues(llvm::ArrayRef<int64_t> perm, const TensorType &in,
                            ElementReader read, ElementWriter write) {
  unsigned rank = in.rank();
  if (perm.size() != rank)
    return makeError(
        fmt::format("perm has {} entries for rank {}", perm.size(), rank));
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(rank) || seen[p])
      return makeError(fmt::format("perm [{}] is not a permutation of the "
                                   "dimensions 0 to {}",
                                   fmt::join(perm, ", "), rank - 1));
    seen[p] = true;
  }
  if (rank == 0) {
    write(0, read(0));
    return llvm::Error::success();
  }
  // Walk the result row-major; result dim i steps through input dim perm[i].
  std::vector<int64_t> inStrides = rowMajorStrides(in.shape());
  std::vector<int64_t> stride(rank), shape(rank);
  for (unsigned i = 0; i < rank; ++i) {
    stride[i] = inStrides[perm[i]];
    shape[i] = in.dim(perm[i]);
  }
  std::vector<int64_t> index(rank, 0);
  int64_t from = 0;
  for (int64_t to = 0, count = in.numElements(); to < count; ++to) {
    write(to, read(from));
    for (unsigned d = rank; d-- > 0;) {
      from += stride[d];
      if (++index[d] < shape[d])
        break;
      from -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return llvm::Error::success();
}

llvm::Error concatValues(int64_t axis, llvm::ArrayRef<TensorType> ins,
                         InputReader read, ElementWriter write) {
  assert(!ins.empty() && "concat has at least one input");
  llvm::Expected<unsigned> a = normalizeAxis(axis, ins[0].rank());
  if (!a)
    return a.takeError();
  int64_t outer = 1, inner = 1, total = 0;
  for (unsigned d = 0; d < *a; ++d)
    outer *= ins[0].dim(d);
  for (unsigned d = *a + 1; d < ins[0].rank(); ++d)
    inner *= ins[0].dim(d);
  for (const TensorType &t : ins) {
    bool fits = t.rank() == ins[0].rank();
    for (unsigned d = 0; fits && d < t.rank(); ++d)
      fits = d == *a || t.dim(d) == ins[0].dim(d);
    if (!fits)
      return makeError(fmt::format("concat input {} does not match {} except "
                                   "on axis {}",
                                   t.str(), ins[0].str(), *a));
    total += t.dim(*a);
  }
  (void)total;
  // Row o of the result is row o of each input in turn.
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < ins.size(); ++k) {
      int64_t chunk = ins[k].dim(*a) * inner;
      for (int64_t j = 0; j < chunk; ++j)
        write(to++, read(k, o * chunk + j));
    }
  assert(to == outer * total * inner && "concat wrote a wrong count");
  return llvm::Error::success();
}

} // namespace einsum
