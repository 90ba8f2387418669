//===- OpReference.cpp ----------------------------------------------------===//
#include "tools/alibi-opt/OpReference.h"
#include "ir/Ops.h"

#include <fmt/format.h>

namespace einsum {

static const char *categoryTitle(OpCategory c) {
  switch (c) {
  case OpCategory::Contraction:
    return "Contraction";
  case OpCategory::Unary:
    return "Elementwise unary";
  case OpCategory::Binary:
    return "Elementwise binary (numpy broadcasting)";
  case OpCategory::Reduction:
    return "Reductions";
  case OpCategory::Shape:
    return "Shape ops";
  case OpCategory::Conversion:
    return "Element type conversion";
  case OpCategory::Generator:
    return "Constants and generators";
  }
  return "?";
}

static std::string attrText(const AttrSpec &spec) {
  std::string kind = attrKindName(spec.kind).str();
  if (spec.kind == AttrKind::Enum) {
    kind = "";
    for (size_t i = 0; i < spec.enumValues.size(); ++i)
      kind += (i ? "\\|" : "") + spec.enumValues[i];
  }
  std::string s = fmt::format("`{}`: {}", spec.name, kind);
  if (!spec.defaultValue)
    return s + " (required)";
  const Attribute &d = *spec.defaultValue;
  std::string value;
  switch (spec.kind) {
  case AttrKind::Int:
  case AttrKind::Size:
    value = std::to_string(d.getInt());
    break;
  case AttrKind::Float:
    value = formatFloat(d.getFloat());
    break;
  case AttrKind::Bool:
    value = d.getBool() ? "true" : "false";
    break;
  case AttrKind::String:
  case AttrKind::Enum:
    value = d.getString();
    break;
  case AttrKind::Ints:
  case AttrKind::Sizes:
  case AttrKind::Floats:
    value = "[]";
    break;
  case AttrKind::Epilogue:
    value = d.getEpilogue().str();
    break;
  }
  return s + " = " + value;
}

/// A Markdown table cell cannot hold a bare '|'.
static std::string cell(llvm::StringRef text) {
  std::string s;
  for (char c : text) {
    if (c == '|')
      s += '\\';
    s += c;
  }
  return s;
}

static std::string inputsText(const OpInfo &info) {
  if (info.maxInputs < 0)
    return fmt::format("{}+", info.minInputs);
  if (info.minInputs == info.maxInputs)
    return std::to_string(info.minInputs);
  return fmt::format("{}-{}", info.minInputs, info.maxInputs);
}

void printOpReference(llvm::raw_ostream &os) {
  std::optional<OpCategory> current;
  for (const OpInfo &info : allOps()) {
    if (current != info.category) {
      current = info.category;
      os << "\n### " << categoryTitle(info.category) << "\n\n";
      os << "| op | inputs | attributes | meaning |\n";
      os << "| --- | --- | --- | --- |\n";
    }
    std::string attrs;
    for (size_t i = 0; i < info.attrs.size(); ++i)
      attrs += (i ? "<br>" : "") + attrText(info.attrs[i]);
    if (attrs.empty())
      attrs = "—";
    os << fmt::format("| `{}` | {} | {} | {}<br>`{}` |\n", info.name.str(),
                      inputsText(info), attrs, cell(info.summary),
                      cell(info.example));
  }
}

} // namespace einsum
