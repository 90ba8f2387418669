//===- Epilogue.h - Scalar expressions fused into contractions --*- C++ -*-===//
//
// A fused `contraction` or `attention` node applies an epilogue to every
// element it produces: a small scalar expression over `acc` (the summed
// products for that element), the loop labels of the node (their index as a
// number) and epilogue operands `$k[...]` read at indices that are labels or
// integer expressions of them:
//
//   acc * 0.125 - $0[h] * abs(i - j)
//   select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)
//   acc * 0.125 + $0[rel_bucket(j - i, 32, 128, 1), h]
//
// Graphs hold the tree in an epilogue attribute (ir/Attribute.h): the
// parser reads the text once, the verifier checks it once, the printer
// writes str(); passes compose trees with the constructors and transforms
// below and never see text.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_EPILOGUE_H
#define EINSUM_IR_EPILOGUE_H

#include "ir/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace einsum {

/// The operators of ir/EpilogueOps.def.
enum class EpilogueOp : uint8_t {
#define EPILOGUE_OP(Id, Spelling, Form, Arity, GraphOp, Value) Id,
#include "ir/EpilogueOps.def"
};

/// How an operator is written and how tightly it binds (EpilogueOps.def).
enum class EpilogueForm : uint8_t { Leaf, Prefix, Sum, Product, Compare, Call };

/// How an op is written: "+", "<=", "abs", "acc", ...
llvm::StringRef epilogueOpSpelling(EpilogueOp op);
EpilogueForm epilogueOpForm(EpilogueOp op);
bool isComparison(EpilogueOp op);
bool isCall(EpilogueOp op);
/// How many children a node of `op` has; 0 for leaves (an Operand's
/// children are its indices, one per dimension).
unsigned epilogueOpArity(EpilogueOp op);
/// The operators of `form`, in table order.
llvm::ArrayRef<EpilogueOp> epilogueOpsOfForm(EpilogueForm form);

struct EpilogueExpr {
  EpilogueOp op = EpilogueOp::Acc;
  /// Number: the value.
  double value = 0;
  /// Label: the loop label.
  char label = 0;
  /// Operand: which epilogue operand; its children are the indices, one
  /// per dimension (a Label child is a plain, broadcastable index).
  unsigned operand = 0;
  /// Symbol: the size `?s` (symbolSize), an integer at run time.
  int64_t size = 0;
  /// Operands of Neg, binary ops and calls, in order; an operand's indices.
  std::vector<EpilogueExpr> children;

  /// Structural equality; numbers compare bit for bit.
  bool operator==(const EpilogueExpr &o) const;
};

class Epilogue {
public:
  /// Reads epilogue operand `operand` at `index`, one value per entry of
  /// the `$k[...]` reference (a label's value or the computed index);
  /// dimensions of size 1 (broadcast) are the accessor's to map to index 0.
  using OperandAccess = llvm::function_ref<double(
      unsigned operand, llvm::ArrayRef<int64_t> index)>;

  /// The identity, `acc`.
  Epilogue() = default;
  explicit Epilogue(EpilogueExpr root) : tree(std::move(root)) {}
  const EpilogueExpr &root() const { return tree; }

  //===--- Construction --------------------------------------------------===//

  static Epilogue acc();
  static Epilogue constant(double value);
  static Epilogue label(char c);
  /// A size as an integer expression: a number, or its symbols' terms
  /// (`?k - ?q`) when it is symbolic.
  static Epilogue size(int64_t s);
  /// `$index[a,b]`: one label per dimension.
  static Epilogue operand(unsigned index, llvm::StringRef labels);
  /// `$index[e0, e1]`: an integer expression per dimension (see check()).
  static Epilogue operand(unsigned index, std::vector<Epilogue> indices);
  /// Arithmetic (Add, Sub, Mul, Div) or a comparison.
  static Epilogue binary(EpilogueOp op, Epilogue a, Epilogue b);
  static Epilogue neg(Epilogue a);
  /// Abs, Exp, Log, Sqrt (one argument), Min, Max (two), Select (three) or
  /// RelBucket (four).
  static Epilogue call(EpilogueOp fn, std::vector<Epilogue> args);
  static Epilogue select(Epilogue cond, Epilogue ifTrue, Epilogue ifFalse);
  /// `rel_bucket(rel, numBuckets, maxDistance, bidirectional)`.
  static Epilogue relBucket(Epilogue rel, int64_t numBuckets,
                            int64_t maxDistance, bool bidirectional);

  friend Epilogue operator+(Epilogue a, Epilogue b);
  friend Epilogue operator-(Epilogue a, Epilogue b);
  friend Epilogue operator*(Epilogue a, Epilogue b);
  friend Epilogue operator/(Epilogue a, Epilogue b);
  friend Epilogue operator-(Epilogue a);

  //===--- Queries -------------------------------------------------------===//

  /// Canonical text: minimal parentheses, so print(parse(s)) is a fixed
  /// point and parse(str()) gives this tree back (but for a minus applied
  /// to a literal, which reads back as a negative literal).
  std::string str() const;
  /// Just `acc`.
  bool isIdentity() const;
  /// Levels of the tree (acc alone is 1).
  unsigned depth() const;

  /// The deepest expression the parser accepts and fusion builds: every
  /// walk over the tree (printing, checking, destroying) recurses once per
  /// level, and real epilogues are a handful of levels deep.
  static constexpr unsigned kMaxDepth = 256;
  bool usesAcc() const;
  /// Whether `c` appears as a value or as an operand index.
  bool usesLabel(char c) const;
  /// One more than the highest operand index used; 0 without operands.
  unsigned operandCount() const;
  /// Adds the size symbols the expression reads to `out`.
  void collectSymbols(std::set<std::string> &out) const;

  /// Checks the expression for a node whose loop labels are `labels` (with
  /// sizes in `labelSizes`) and whose epilogue operands have
  /// `operandTypes`: labels known, operands present, float, one index per
  /// dimension. A label index needs the dimension to be the label's size or
  /// 1 (broadcast); any other index must be an integer expression (labels,
  /// integer constants, +, -, rel_bucket) whose every value lies within the
  /// dimension. rel_bucket's last three arguments are integer constants.
  llvm::Error check(llvm::StringRef labels,
                    llvm::ArrayRef<TensorType> operandTypes,
                    const std::map<char, int64_t> &labelSizes) const;

  /// Evaluates by walking the tree; `labelValues[p]` is the index of loop
  /// label `labels[p]`. The reference backend compiles a postfix program
  /// instead (backends/reference/EpilogueProgram.h).
  double evaluate(double acc, llvm::StringRef labels,
                  llvm::ArrayRef<int64_t> labelValues,
                  OperandAccess operands) const;

  //===--- Transforms ----------------------------------------------------===//

  /// This expression with every `acc` replaced by `inner`: the epilogue of
  /// `inner` followed by this one.
  Epilogue substituteAcc(const Epilogue &inner) const;
  /// Operand k becomes operand newIndex[k].
  Epilogue remapOperands(llvm::ArrayRef<unsigned> newIndex) const;
  /// Labels in `renaming` are replaced, values and operand indices (and
  /// labels inside index expressions) alike.
  Epilogue renameLabels(const std::map<char, char> &renaming) const;
  /// Every symbol replaced by its value in `bindings`; an unbound symbol is
  /// an error naming it.
  llvm::Expected<Epilogue>
  substituteSymbols(const std::map<std::string, int64_t> &bindings) const;

  bool operator==(const Epilogue &o) const { return tree == o.tree; }
  bool operator!=(const Epilogue &o) const { return !(tree == o.tree); }

private:
  EpilogueExpr tree;
};

/// Parses the expression language. Errors quote the text and name the
/// 1-based column: "epilogue 'acc * $0[h]x': unexpected 'x' at column 12".
llvm::Expected<Epilogue> parseEpilogue(llvm::StringRef text);

/// The values [lo, hi] an integer expression (labels, integer constants,
/// +, -, rel_bucket) can take when each label ranges over [0, its size), or
/// an error naming the part that is not one. Bounds stay within 2^53, so
/// the expression is exact in the double arithmetic of evaluation.
struct IndexRange {
  int64_t lo = 0, hi = 0;
};
llvm::Expected<IndexRange>
integerRange(const Epilogue &e, llvm::StringRef labels,
             const std::map<char, int64_t> &labelSizes);

} // namespace einsum

#endif // EINSUM_IR_EPILOGUE_H
