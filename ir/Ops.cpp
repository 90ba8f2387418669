//===- Ops.cpp - The op table built from Ops.def --------------------------===//
#include "ir/Ops.h"

#include "llvm/ADT/StringExtras.h"

#include <cassert>
#include <cstdlib>

namespace einsum {

std::optional<unsigned> OpInfo::attrIndex(llvm::StringRef attrName) const {
  for (unsigned i = 0; i < attrs.size(); ++i)
    if (attrs[i].name == attrName)
      return i;
  return std::nullopt;
}

/// Parses one default value. The table is ours, so a malformed entry is a
/// programming error caught by the first test that touches the op.
static Attribute parseDefault(const AttrSpec &spec, llvm::StringRef text) {
  switch (spec.kind) {
  case AttrKind::Int:
  case AttrKind::Size:
    return Attribute::ofInt(std::strtoll(text.str().c_str(), nullptr, 10));
  case AttrKind::Float:
    return Attribute::ofFloat(std::strtod(text.str().c_str(), nullptr));
  case AttrKind::Bool:
    assert((text == "true" || text == "false") && "bad bool default");
    return Attribute::ofBool(text == "true");
  case AttrKind::String:
  case AttrKind::Enum:
    return Attribute::ofString(text.trim('"').str());
  case AttrKind::Ints:
  case AttrKind::Sizes:
    assert(text == "[]" && "only empty list defaults are supported");
    return Attribute::ofInts({});
  case AttrKind::Floats:
    assert(text == "[]" && "only empty list defaults are supported");
    return Attribute::ofFloats({});
  case AttrKind::Epilogue:
    assert(text == "acc" && "only the identity epilogue is a default");
    return Attribute::ofEpilogue(Epilogue::acc());
  }
  return Attribute();
}

static std::vector<AttrSpec> parseAttrSpecs(llvm::StringRef text) {
  std::vector<AttrSpec> specs;
  // Split on commas outside parentheses: enum(a|b) holds no commas, so a
  // plain split is enough.
  llvm::SmallVector<llvm::StringRef> items;
  text.split(items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    item = item.trim();
    AttrSpec spec;
    auto [name, rest] = item.split(':');
    spec.name = name.trim().str();
    auto [kind, def] = rest.split('=');
    kind = kind.trim();
    if (kind == "int")
      spec.kind = AttrKind::Int;
    else if (kind == "float")
      spec.kind = AttrKind::Float;
    else if (kind == "bool")
      spec.kind = AttrKind::Bool;
    else if (kind == "string")
      spec.kind = AttrKind::String;
    else if (kind == "ints")
      spec.kind = AttrKind::Ints;
    else if (kind == "floats")
      spec.kind = AttrKind::Floats;
    else if (kind == "epilogue")
      spec.kind = AttrKind::Epilogue;
    else if (kind == "size")
      spec.kind = AttrKind::Size;
    else if (kind == "sizes")
      spec.kind = AttrKind::Sizes;
    else {
      assert(kind.starts_with("enum(") && kind.ends_with(")") &&
             "unknown attribute kind in Ops.def");
      spec.kind = AttrKind::Enum;
      llvm::SmallVector<llvm::StringRef> values;
      kind.drop_front(5).drop_back().split(values, '|');
      for (llvm::StringRef v : values)
        spec.enumValues.push_back(v.str());
    }
    if (!def.trim().empty())
      spec.defaultValue = parseDefault(spec, def.trim());
    specs.push_back(std::move(spec));
  }
  return specs;
}

static std::vector<OpInfo> buildTable() {
  std::vector<OpInfo> table;
#define OP(Id, Name, Category, MinIn, MaxIn, Attrs, Summary, Example)          \
  table.push_back(OpInfo{OpKind::Id, Name, OpCategory::Category, MinIn, MaxIn, \
                         parseAttrSpecs(Attrs), Summary, Example});
#include "ir/Ops.def"
  return table;
}

llvm::ArrayRef<OpInfo> allOps() {
  static const std::vector<OpInfo> table = buildTable();
  return table;
}

const OpInfo &opInfo(OpKind kind) {
  const OpInfo &info = allOps()[static_cast<unsigned>(kind)];
  assert(info.kind == kind && "op table out of order");
  return info;
}

llvm::StringRef opName(OpKind kind) { return opInfo(kind).name; }

std::optional<OpKind> lookupOp(llvm::StringRef name) {
  for (const OpInfo &info : allOps())
    if (info.name == name)
      return info.kind;
  return std::nullopt;
}

} // namespace einsum
