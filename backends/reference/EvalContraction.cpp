//===- EvalContraction.cpp - einsum followed by an epilogue ---------------===//
//
// 1. Accumulate the einsum over the first inputs (one per term) in double,
//    exactly as `einsum` does.
// 2. Walk the result in row-major order, binding the output labels to the
//    element's indices, and apply the compiled epilogue to each sum, reading
//    the remaining inputs as epilogue operands.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"

#include "ir/Diagnostic.h"
#include "ir/EinsumSpec.h"
#include "ir/FusedNode.h"

#include "llvm/ADT/SmallVector.h"

#include <fmt/format.h>

namespace einsum::reference {

EpilogueProgram
compileNodeEpilogue(const Node &node, llvm::StringRef labels,
                    llvm::ArrayRef<const TensorData *> operands) {
  std::vector<TensorType> types;
  for (const TensorData *t : operands)
    types.push_back(t->type());
  return EpilogueProgram(nodeEpilogue(node), labels, types);
}

llvm::Error evalContraction(const Node &node, const std::string &what,
                            llvm::ArrayRef<const TensorData *> inputs,
                            TensorData &result) {
  llvm::StringRef specText = node.attr("spec").getString();
  size_t terms = contractionTerms(node).size();
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(specText, terms);
  if (!spec)
    return makeError(what + ": " + firstMessage(spec.takeError()));
  llvm::Expected<std::vector<double>> acc =
      accumulateEinsum(what, specText, inputs.take_front(terms), result.type());
  if (!acc)
    return acc.takeError();

  const TensorType &type = result.type();
  const std::string &labels = spec->output;
  llvm::ArrayRef<const TensorData *> operands = inputs.drop_front(terms);
  EpilogueProgram program = compileNodeEpilogue(node, labels, operands);

  std::vector<DoubleView> views;
  views.reserve(operands.size());
  llvm::SmallVector<const double *, 4> data;
  for (const TensorData *t : operands)
    data.push_back(views.emplace_back(*t).data());
  llvm::SmallVector<int64_t, 8> index(type.rank(), 0);
  for (int64_t flat = 0, n = result.numElements(); flat < n; ++flat) {
    result.set(flat, program.run((*acc)[flat], index, data));
    for (size_t d = type.rank(); d-- > 0;) {
      if (++index[d] < type.dim(d))
        break;
      index[d] = 0;
    }
  }
  return llvm::Error::success();
}

} // namespace einsum::reference
