//===- EinsumSpec.cpp -----------------------------------------------------===//
#include "ir/EinsumSpec.h"
#include "ir/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace einsum {

static bool isLabel(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t EinsumSpec::countInputTerms(llvm::StringRef spec) {
  return spec.split("->").first.count(',') + 1;
}

llvm::Expected<EinsumSpec> EinsumSpec::parse(llvm::StringRef spec,
                                             size_t numInputs) {
  auto fail = [&](std::string msg) -> llvm::Error {
    return makeError(fmt::format("einsum '{}': {}", spec.str(), msg));
  };
  std::string text;
  for (char c : spec)
    if (c != ' ')
      text += c;
  if (text.empty())
    return fail("the spec is empty");
  if (text.find("...") != std::string::npos)
    return fail("'...' (ellipsis) is not supported; name every dimension");

  llvm::StringRef lhs = text, rhs;
  bool explicitOutput = false;
  size_t arrow = text.find("->");
  if (arrow != std::string::npos) {
    lhs = llvm::StringRef(text).take_front(arrow);
    rhs = llvm::StringRef(text).drop_front(arrow + 2);
    explicitOutput = true;
    if (rhs.contains("->"))
      return fail("more than one '->'");
  }

  EinsumSpec result;
  llvm::SmallVector<llvm::StringRef> terms;
  lhs.split(terms, ',', -1, /*KeepEmpty=*/true);
  for (llvm::StringRef term : terms) {
    for (char c : term)
      if (!isLabel(c))
        return fail(fmt::format("invalid label '{}'; labels are ASCII "
                                "letters",
                                std::string(1, c)));
    result.inputs.push_back(term.str());
  }
  if (result.inputs.size() != numInputs)
    return fail(fmt::format("the spec has {} input term{} but the op has {} "
                            "input{}",
                            result.inputs.size(),
                            result.inputs.size() == 1 ? "" : "s", numInputs,
                            numInputs == 1 ? "" : "s"));

  if (explicitOutput) {
    for (char c : rhs) {
      if (!isLabel(c))
        return fail(fmt::format("invalid label '{}' in the output; labels "
                                "are ASCII letters",
                                std::string(1, c)));
      if (std::count(rhs.begin(), rhs.end(), c) > 1)
        return fail(fmt::format("output label '{}' appears more than once",
                                std::string(1, c)));
      bool found = std::any_of(
          result.inputs.begin(), result.inputs.end(),
          [&](const std::string &in) { return in.find(c) != in.npos; });
      if (!found)
        return fail(fmt::format("output label '{}' appears in no input",
                                std::string(1, c)));
    }
    result.output = rhs.str();
  } else {
    // numpy's implicit form: labels seen exactly once, in alphabetical order.
    std::string all;
    for (const std::string &in : result.inputs)
      all += in;
    std::string out;
    for (char c : all)
      if (std::count(all.begin(), all.end(), c) == 1)
        out += c;
    std::sort(out.begin(), out.end());
    result.output = out;
  }
  return result;
}

std::string EinsumSpec::allLabels() const {
  std::string labels;
  auto addAll = [&](const std::string &s) {
    for (char c : s)
      if (labels.find(c) == std::string::npos)
        labels += c;
  };
  for (const std::string &in : inputs)
    addAll(in);
  addAll(output);
  return labels;
}

std::string EinsumSpec::reductionLabels() const {
  std::string r;
  for (char c : allLabels())
    if (output.find(c) == std::string::npos)
      r += c;
  return r;
}

llvm::Expected<std::map<char, int64_t>>
EinsumSpec::labelSizes(llvm::ArrayRef<TensorType> inputTypes) const {
  assert(inputTypes.size() == inputs.size() && "one type per input term");
  std::map<char, int64_t> sizes;
  std::map<char, size_t> firstInput;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string &term = inputs[i];
    if (term.size() != inputTypes[i].rank())
      return makeError(fmt::format(
          "einsum '{}': input {} has rank {} ({}) but its term '{}' has {} "
          "label{}",
          str(), i, inputTypes[i].rank(), inputTypes[i].str(), term,
          term.size(), term.size() == 1 ? "" : "s"));
    for (size_t d = 0; d < term.size(); ++d) {
      char c = term[d];
      int64_t size = inputTypes[i].dim(d);
      auto [it, inserted] = sizes.emplace(c, size);
      if (inserted) {
        firstInput[c] = i;
        continue;
      }
      if (it->second != size)
        return makeError(fmt::format(
            "einsum '{}': label '{}' is {} in input {} but {} in input {}",
            str(), std::string(1, c), sizeStr(it->second), firstInput[c],
            sizeStr(size), i));
    }
  }
  return sizes;
}

std::string EinsumSpec::str() const {
  std::string s;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i)
      s += ',';
    s += inputs[i];
  }
  return s + "->" + output;
}

} // namespace einsum
