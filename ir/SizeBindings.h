//===- SizeBindings.h - Giving symbolic sizes their values ------*- C++ -*-===//
//
// A graph whose types mention symbols (ir/Size.h) is compiled once and run
// with inputs of any sizes that fit. Each symbol must be a whole dimension
// of some graph argument (`%q: f32[1,16,?s,64]`): that is where a run reads
// its value. Everything else follows: other dimensions are expressions of
// the symbols, checked or computed from them.
//
// A run then:
// 1. binds: reads each symbol from the first argument dimension that is
//    exactly it, and checks every argument dimension against its declared
//    size (bindSizes);
// 2. checks the facts the compiler could not (SizeRequirements): every
//    dimension positive, every tensor within 2^48 elements, every size
//    attribute (a decode query offset) within [-2^48, 2^48];
// 3. computes its output types (specializeType), and runs.
// A backend that prefers static graphs instantiates one (specializeGraph):
// the reference interpreter does, and verifies the result again.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_SIZEBINDINGS_H
#define EINSUM_IR_SIZEBINDINGS_H

#include "ir/Graph.h"
#include "ir/Size.h"

#include "llvm/Support/Error.h"

#include <set>
#include <string>
#include <vector>

namespace einsum {

/// The symbols `g` mentions anywhere: tensor types, size attributes and
/// epilogues.
std::set<std::string> graphSymbols(const Graph &g);

/// Where a run reads a symbol: dimension `dim` of argument `argument`.
struct SymbolSource {
  std::string symbol;
  unsigned argument = 0;
  unsigned dim = 0;
};
/// For each symbol that is a whole dimension of some argument, the first
/// such dimension (arguments in order, then dimensions); sorted by symbol.
std::vector<SymbolSource>
symbolSources(llvm::ArrayRef<TensorType> argumentTypes);

/// The values of the symbols of `declared` (one type per argument) read from
/// `given` (the types of the tensors passed, in the same order). Errors name
/// the argument (`what` 0 ('q')) and say what was expected: a different
/// rank, element type or static size, a symbol given two values, or a
/// dimension not equal to the value of its expression.
llvm::Expected<SizeBindings>
bindSizes(llvm::ArrayRef<TensorType> declared,
          llvm::ArrayRef<std::string> names, llvm::ArrayRef<TensorType> given,
          llvm::StringRef what = "input");

/// `t` with every dimension evaluated; an error if one is below 1 or the
/// element count passes 2^48.
llvm::Expected<TensorType> specializeType(const TensorType &t,
                                          const SizeBindings &bindings);

/// "?k = 7, ?q = 1"; "" when empty.
std::string bindingsStr(const SizeBindings &bindings);

/// The checks of step 2, gathered once from a verified graph so that each
/// run only evaluates them.
class SizeRequirements {
public:
  SizeRequirements() = default;
  explicit SizeRequirements(const Graph &g);

  /// The first requirement `bindings` break, naming the tensor or node and
  /// the values.
  llvm::Error check(const SizeBindings &bindings) const;
  bool empty() const { return shapes.empty() && offsets.empty(); }

private:
  struct Shape {
    std::string subject;
    std::vector<int64_t> dims;
  };
  struct Offset {
    std::string subject;
    std::string attribute;
    int64_t size;
  };
  /// Tensors with a symbolic dimension, one per distinct shape.
  std::vector<Shape> shapes;
  std::vector<Offset> offsets;
};

/// A copy of `g` whose types, size attributes and epilogues have the values
/// of `bindings` in place of symbols. It is not verified: a caller that
/// needs a verified graph checks `SizeRequirements` first, or verifies it.
llvm::Expected<Graph> specializeGraph(const Graph &g,
                                      const SizeBindings &bindings);

} // namespace einsum

#endif // EINSUM_IR_SIZEBINDINGS_H
