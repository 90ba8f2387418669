//===- Pass.cpp -----------------------------------------------------------===//
#include "passes/Pass.h"

#include "ir/Attribute.h"
#include "ir/Diagnostic.h"
#include "ir/Suggest.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum {

std::string FusionRemark::str() const {
  std::string where;
  if (loc.isValid())
    where = fmt::format("{}:{}:{}: ", loc.file, loc.line, loc.col);
  // Subjects and reasons name tensors, which can hold any byte.
  if (fused)
    return terminalText(fmt::format("{}remark: [{}] {}: fused{}", where, pass,
                                    subject,
                                    reason.empty() ? "" : " (" + reason + ")"));
  return terminalText(fmt::format("{}remark: [{}] {}: not fused: {}", where,
                                  pass, subject, reason));
}

void PassContext::remark(const Pass &pass, const Graph &g, NodeId node,
                         bool fused, std::string reason) {
  FusionRemark r;
  r.pass = pass.name().str();
  r.subject = g.describeNode(node);
  r.loc = g.node(node).loc;
  r.fused = fused;
  r.reason = std::move(reason);
  fusionRemarks.push_back(std::move(r));
}

std::vector<FusionRemark> PassContext::takeNewRemarks() {
  std::vector<FusionRemark> fresh(fusionRemarks.begin() + reported,
                                  fusionRemarks.end());
  reported = fusionRemarks.size();
  return fresh;
}

Pass::OptionBase::OptionBase(Pass &owner, std::string name,
                             std::string description)
    : optName(std::move(name)), optDescription(std::move(description)) {
  owner.opts.push_back(this);
}

Pass::Statistic::Statistic(Pass &owner, std::string name,
                           std::string description)
    : statName(std::move(name)), statDescription(std::move(description)) {
  owner.stats.push_back(this);
}

template <typename T> llvm::StringRef Pass::Option<T>::kindName() const {
  if constexpr (std::is_same_v<T, int64_t>)
    return "int";
  else if constexpr (std::is_same_v<T, double>)
    return "float";
  else if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else
    return "string";
}

template <typename T> llvm::Error Pass::Option<T>::parse(llvm::StringRef text) {
  auto bad = [&](llvm::StringRef expected) {
    return makeError(fmt::format("option '{}' expects {}, got '{}'", name(),
                                 expected.str(), text.str()));
  };
  if constexpr (std::is_same_v<T, int64_t>) {
    if (text.getAsInteger(10, value))
      return bad("an integer");
  } else if constexpr (std::is_same_v<T, double>) {
    if (text.getAsDouble(value) || !std::isfinite(value))
      return bad("a finite number");
  } else if constexpr (std::is_same_v<T, bool>) {
    // A bare `{verbose}` sets a flag, as in MLIR pipelines.
    if (text == "true" || text == "1" || text.empty())
      value = true;
    else if (text == "false" || text == "0")
      value = false;
    else
      return bad("true or false");
  } else {
    value = text.str();
  }
  return llvm::Error::success();
}

template <typename T> std::string Pass::Option<T>::str() const {
  if constexpr (std::is_same_v<T, int64_t>)
    return std::to_string(value);
  else if constexpr (std::is_same_v<T, double>)
    return formatFloat(value);
  else if constexpr (std::is_same_v<T, bool>)
    return value ? "true" : "false";
  else
    return value;
}

template class Pass::Option<int64_t>;
template class Pass::Option<double>;
template class Pass::Option<bool>;
template class Pass::Option<std::string>;

llvm::Error Pass::setOption(llvm::StringRef optionName, llvm::StringRef value) {
  for (OptionBase *o : opts)
    if (o->name() == optionName)
      return o->parse(value);
  std::vector<std::string> names;
  for (OptionBase *o : opts)
    names.push_back(o->name());
  std::string msg = fmt::format("pass '{}' has no option '{}'", name().str(),
                                optionName.str());
  if (std::optional<std::string> best = closestMatch(optionName, names))
    msg += fmt::format("; did you mean '{}'?", *best);
  else if (names.empty())
    msg += "; it takes no options";
  else
    msg += "; its options are: " + llvm::join(names, ", ");
  return makeError(msg);
}

std::string Pass::pipelineText() const {
  std::vector<std::string> set;
  for (OptionBase *o : opts)
    if (!o->isDefault())
      set.push_back(o->name() + "=" + o->str());
  if (set.empty())
    return name().str();
  return fmt::format("{}{{{}}}", name().str(), llvm::join(set, " "));
}

} // namespace einsum
