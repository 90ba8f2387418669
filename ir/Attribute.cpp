//===- Attribute.cpp ------------------------------------------------------===//
#include "ir/Attribute.h"

#include <charconv>
#include <cmath>

namespace einsum {

llvm::StringRef attrKindName(AttrKind k) {
  switch (k) {
  case AttrKind::Int:
    return "int";
  case AttrKind::Float:
    return "float";
  case AttrKind::Bool:
    return "bool";
  case AttrKind::String:
    return "string";
  case AttrKind::Ints:
    return "ints";
  case AttrKind::Floats:
    return "floats";
  case AttrKind::Enum:
    return "enum";
  case AttrKind::Epilogue:
    return "epilogue";
  case AttrKind::Size:
    return "size";
  case AttrKind::Sizes:
    return "sizes";
  }
  return "?";
}

llvm::StringRef Attribute::kindName() const {
  if (isInt())
    return "int";
  if (isFloat())
    return "float";
  if (isBool())
    return "bool";
  if (isString())
    return "string";
  if (isInts())
    return "ints";
  if (isEpilogue())
    return "epilogue";
  return "floats";
}

std::string formatFloat(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

} // namespace einsum
