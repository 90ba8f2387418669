//===- PrintUtils.h - Spellings shared by the printer and DOT ---*- C++ -*-===//
//
// The DOT export labels nodes and edges with exactly the text the printer
// would write, so both take names, types and attributes from here.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_PRINTUTILS_H
#define EINSUM_IR_PRINTUTILS_H

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace einsum {

/// Spells tensor references: `%name`, `%"name"` when the name is not a bare
/// one, and `%N` for anonymous tensors, numbered in definition order
/// (arguments, then results of live nodes in Graph::definitionOrder).
class TensorNamer {
public:
  explicit TensorNamer(const Graph &g);
  std::string spell(TensorId id);

private:
  void number(TensorId id);

  const Graph &g;
  std::vector<int64_t> numbers;
  int64_t nextNumber = 0;
};

/// `@name` or `@"name"`.
std::string spellGraphName(llvm::StringRef name);

/// The tensor's type as `f32[2,4]`, or `<untyped>` when it has none yet.
std::string spellType(const Graph &g, TensorId id);

/// `name = value` for each attribute of `n` that differs from its default,
/// in declaration order. Floats of an f32 `constant` print at float
/// precision, the precision they are used at; epilogue expressions that
/// parse print in canonical form.
std::vector<std::string> formatAttributes(const Graph &g, const Node &n);

} // namespace einsum

#endif // EINSUM_IR_PRINTUTILS_H
