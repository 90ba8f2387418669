//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The format: the magic "\x93NUMPY", a version byte pair, a little-endian
// header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), then the header, a
// Python dict literal padded with spaces and ended by '\n', then the raw
// data. Every byte of the input is untrusted: each read is bounds-checked
// and each number overflow-checked before use.
//
//===----------------------------------------------------------------------===//
#include "ir/Npy.h"

#include "ir/Diagnostic.h"
#include "ir/OutputFile.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>

namespace einsum {

static constexpr llvm::StringLiteral kMagic("\x93NUMPY");
static constexpr llvm::StringLiteral kExpectedDTypes =
    "expected '<f4', '<f8' or '<i8'";

namespace {

/// The three keys every header has, as written in the file.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<int64_t>> shape;
};

/// A recursive-descent reader for the small subset of Python literal syntax
/// that .npy headers use: one dict whose values are strings, booleans or
/// tuples of integers.
class HeaderParser {
public:
  HeaderParser(llvm::StringRef text, llvm::StringRef fileName)
      : text(text), fileName(fileName) {}

  llvm::Expected<NpyHeader> parse() {
    NpyHeader h;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{' at the start of the header");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (llvm::Error err = parseString(key))
        return err;
      skipSpace();
      if (!consume(':'))
        return fail(fmt::format("expected ':' after key '{}'", key));
      skipSpace();
      if (llvm::Error err = parseValue(key, h))
        return err;
      skipSpace();
      // A comma may follow every entry, the last one included.
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return fail(
          fmt::format("expected ',' or '}}' after the value of '{}'", key));
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the closing '}'");
    for (auto [present, key] :
         {std::pair{h.descr.has_value(), "descr"},
          std::pair{h.fortranOrder.has_value(), "fortran_order"},
          std::pair{h.shape.has_value(), "shape"}})
      if (!present)
        return makeError(fmt::format("{}: malformed header: key '{}' is "
                                     "missing",
                                     fileName.str(), key));
    return h;
  }

private:
  llvm::Error fail(const std::string &what) const {
    if (pos >= text.size())
      return makeError(fmt::format("{}: truncated header: {} but the header "
                                   "ends",
                                   fileName.str(), what));
    return makeError(fmt::format("{}: malformed header: {} at offset {}",
                                 fileName.str(), what, pos));
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(llvm::StringRef w) {
    if (!text.substr(pos).starts_with(w))
      return false;
    pos += w.size();
    return true;
  }

  llvm::Error parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return fail("expected a quoted string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == llvm::StringRef::npos)
      return fail("unterminated string");
    out = text.substr(pos, end - pos).str();
    pos = end + 1;
    return llvm::Error::success();
  }

  llvm::Error parseValue(const std::string &key, NpyHeader &h) {
    bool duplicate = (key == "descr" && h.descr) ||
                     (key == "fortran_order" && h.fortranOrder) ||
                     (key == "shape" && h.shape);
    if (duplicate)
      return fail(fmt::format("key '{}' appears twice", key));
    if (key == "descr") {
      if (pos < text.size() && (text[pos] == '[' || text[pos] == '('))
        return makeError(
            fmt::format("{}: structured dtypes are not supported; {}",
                        fileName.str(), kExpectedDTypes.str()));
      std::string d;
      if (llvm::Error err = parseString(d))
        return err;
      h.descr = std::move(d);
      return llvm::Error::success();
    }
    if (key == "fortran_order") {
      if (consumeWord("True"))
        h.fortranOrder = true;
      else if (consumeWord("False"))
        h.fortranOrder = false;
      else
        return fail("expected True or False for 'fortran_order'");
      return llvm::Error::success();
    }
    if (key == "shape")
      return parseShape(h);
    return fail(fmt::format("unexpected key '{}'", key));
  }

  llvm::Error parseShape(NpyHeader &h) {
    if (!consume('('))
      return fail("expected '(' to open 'shape'");
    std::vector<int64_t> dims;
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      int64_t d;
      if (llvm::Error err = parseInt(d))
        return err;
      dims.push_back(d);
      skipSpace();
      if (consume(','))
        continue;
      if (consume(')'))
        break;
      return fail("expected ',' or ')' in 'shape'");
    }
    h.shape = std::move(dims);
    return llvm::Error::success();
  }

  llvm::Error parseInt(int64_t &out) {
    bool negative = consume('-');
    size_t start = pos;
    // Saturate well above kMaxElements: checkShape reports the real problem.
    constexpr int64_t kCap = int64_t(1) << 62;
    int64_t v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      v = v > kCap / 10 ? kCap : v * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start)
      return fail("expected an integer in 'shape'");
    // Python 2 wrote long integers with a suffix.
    consume('L');
    out = negative ? -v : v;
    return llvm::Error::success();
  }

  llvm::StringRef text;
  llvm::StringRef fileName;
  size_t pos = 0;
};

} // namespace

/// Python's spelling of a shape: (), (3,), (2,3).
static std::string pythonShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

static llvm::Expected<DType> parseDescr(llvm::StringRef descr,
                                        llvm::StringRef name) {
  if (descr == "<f4")
    return DType::F32;
  if (descr == "<f8")
    return DType::F64;
  if (descr == "<i8")
    return DType::I64;
  if (descr.starts_with(">"))
    return makeError(fmt::format("big-endian dtype '{}' in {} is not "
                                 "supported; {}",
                                 descr.str(), name.str(),
                                 kExpectedDTypes.str()));
  return makeError(fmt::format("unsupported dtype '{}' in {}; {}", descr.str(),
                               name.str(), kExpectedDTypes.str()));
}

static uint32_t readLittleEndian(llvm::StringRef bytes, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= uint32_t(uint8_t(bytes[i])) << (8 * i);
  return v;
}

llvm::Expected<TensorData> parseNpy(llvm::StringRef bytes,
                                    llvm::StringRef name) {
  if (!bytes.starts_with(kMagic))
    return makeError(
        fmt::format("{}: not a .npy file (bad magic string)", name.str()));
  if (bytes.size() < kMagic.size() + 2)
    return makeError(fmt::format("{}: truncated header: the file ends after "
                                 "{} bytes",
                                 name.str(), bytes.size()));
  unsigned major = uint8_t(bytes[6]), minor = uint8_t(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return makeError(fmt::format("{}: unsupported .npy version {}.{}; "
                                 "expected 1.0, 2.0 or 3.0",
                                 name.str(), major, minor));
  size_t lengthWidth = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthWidth;
  if (bytes.size() < headerStart)
    return makeError(fmt::format("{}: truncated header: the file ends after "
                                 "{} bytes",
                                 name.str(), bytes.size()));
  uint64_t headerLength = readLittleEndian(bytes.substr(8), lengthWidth);
  if (headerStart + headerLength > bytes.size())
    return makeError(fmt::format("{}: header length {} goes beyond the end "
                                 "of the file ({} bytes)",
                                 name.str(), headerLength, bytes.size()));

  llvm::Expected<NpyHeader> header =
      HeaderParser(bytes.substr(headerStart, headerLength), name).parse();
  if (!header)
    return header.takeError();
  llvm::Expected<DType> dtype = parseDescr(*header->descr, name);
  if (!dtype)
    return dtype.takeError();
  if (*header->fortranOrder)
    return makeError(fmt::format("{}: fortran_order arrays are not supported; "
                                 "save a C-ordered array "
                                 "(numpy.ascontiguousarray)",
                                 name.str()));
  const std::vector<int64_t> &shape = *header->shape;
  if (std::string problem = checkShape(shape); !problem.empty())
    return makeError(fmt::format("{}: {}", name.str(), problem));

  // Compared before allocating, so a lying header cannot make us reserve
  // terabytes. checkShape keeps the product far from overflow.
  TensorType type(*dtype, shape);
  llvm::StringRef data = bytes.substr(headerStart + headerLength);
  if (int64_t(data.size()) != type.sizeInBytes())
    return makeError(fmt::format("{}: header says shape {} of '{}' ({} bytes) "
                                 "but the file holds {} bytes of data",
                                 name.str(), pythonShape(shape), *header->descr,
                                 type.sizeInBytes(), data.size()));
  // The file holds that many bytes, but the copy may still be refused.
  llvm::Expected<TensorData> t = TensorData::allocate(std::move(type));
  if (!t)
    return makeError(
        fmt::format("{}: {}", name.str(), firstMessage(t.takeError())));
  // The data may sit at any offset in `bytes`; copying also aligns it.
  static_assert(llvm::sys::IsLittleEndianHost,
                ".npy data is read as little-endian");
  std::memcpy(t->raw(), data.data(), data.size());
  return t;
}

llvm::Expected<TensorData> readNpy(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(fmt::format("cannot read '{}': {}", path.str(),
                                 buffer.getError().message()));
  return parseNpy((*buffer)->getBuffer(), path);
}

static llvm::StringRef descrOf(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I64:
    return "<i8";
  }
  return "";
}

std::string serializeNpy(const TensorData &t) {
  const TensorType &type = t.type();
  std::string shape = "(";
  for (size_t i = 0; i < type.rank(); ++i)
    shape += (i ? ", " : "") + std::to_string(type.dim(i));
  shape += type.rank() == 1 ? ",)" : ")";
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                  descrOf(type.elementType()).str(), shape);
  // numpy pads the header with spaces so the data starts 64-byte aligned,
  // and ends it with a newline. A dict too long for the 2-byte length of
  // version 1.0 (only with thousands of dimensions) needs version 2.0.
  bool v1 = dict.size() + 1 + 10 <= 65535;
  size_t preamble = v1 ? 10 : 12;
  size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic);
  out += char(v1 ? 1 : 2);
  out += char(0);
  for (size_t i = 0; i < preamble - 8; ++i)
    out += char((dict.size() >> (8 * i)) & 0xff);
  out += dict;
  out.append(static_cast<const char *>(t.raw()), size_t(t.sizeInBytes()));
  return out;
}

llvm::Error writeNpy(llvm::StringRef path, const TensorData &t) {
  return writeOutputFile(path, serializeNpy(t));
}

} // namespace einsum
