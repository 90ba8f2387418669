//===- EinsumSpec.h - Parsing and checking einsum specs ---------*- C++ -*-===//
//
// A spec names each dimension of each input with a letter, as numpy does:
// "bhid,bhjd->bhij". Labels absent from the output are summed over. Without
// "->" the output is the labels that appear exactly once, alphabetically.
// A label repeated within one input takes a diagonal; an output label must be
// unique and must appear in some input.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_EINSUMSPEC_H
#define EINSUM_IR_EINSUMSPEC_H

#include "ir/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace einsum {

struct EinsumSpec {
  /// The labels of each input, in order.
  std::vector<std::string> inputs;
  std::string output;

  /// Parses `spec` for `numInputs` operands. Errors name the spec and the
  /// offending label or term.
  static llvm::Expected<EinsumSpec> parse(llvm::StringRef spec,
                                          size_t numInputs);
  /// How many input terms `spec` has, without checking it: how many of a
  /// `contraction`'s inputs are einsum operands (the rest feed the epilogue).
  static size_t countInputTerms(llvm::StringRef spec);

  /// Every label, in order of first appearance (inputs, then output).
  std::string allLabels() const;
  /// Labels summed over: in some input but not in the output.
  std::string reductionLabels() const;

  /// Binds each label to a size from the input shapes, checking ranks and
  /// that every occurrence of a label has the same size.
  llvm::Expected<std::map<char, int64_t>>
  labelSizes(llvm::ArrayRef<TensorType> inputTypes) const;

  /// "bhid,bhjd->bhij".
  std::string str() const;
};

} // namespace einsum

#endif // EINSUM_IR_EINSUMSPEC_H
