//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The format: the magic "\x93NUMPY", a version byte pair, a little-endian
// header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), then the header, a
// Python dict literal padded with spaces and ended by '\n', then the raw
// data. Every byte of the input is untrusted: each read is bounds-checked
// and each number overflow-checked before use, and nothing is read that the
// header does not account for (see Npy.h).
//
//===----------------------------------------------------------------------===//
#include "ir/Npy.h"

#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"
#include "ir/OutputFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SwapByteOrder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace einsum {

static constexpr llvm::StringLiteral kMagic("\x93NUMPY");
static constexpr llvm::StringLiteral kExpectedDTypes =
    "expected '<f4', '<f8', '<i8', '<f2' (f16) or '<u2' (bf16 bit patterns)";

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
  if (descr == "<f2")
    return DType::F16;
  // numpy has no bfloat16: such tensors travel as their bit patterns.
  if (descr == "<u2")
    return DType::BF16;
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

namespace {

/// Where the bytes come from: a string (parseNpy) or an open file read as it
/// goes (readNpy). One reader over both keeps every message the same.
class ByteSource {
public:
  virtual ~ByteSource() = default;
  /// Fills `out` unless the input ends first; the number of bytes read.
  virtual llvm::Expected<size_t> read(llvm::MutableArrayRef<char> out) = 0;
  /// The size of the whole input where it is known before reading (a
  /// string, a regular file), so lying headers are refused before any
  /// allocation; nullopt for devices and FIFOs.
  virtual std::optional<uint64_t> size() const = 0;
};

class StringSource final : public ByteSource {
public:
  explicit StringSource(llvm::StringRef bytes) : bytes(bytes) {}
  llvm::Expected<size_t> read(llvm::MutableArrayRef<char> out) override {
    size_t n = std::min(out.size(), bytes.size() - pos);
    std::memcpy(out.data(), bytes.data() + pos, n);
    pos += n;
    return n;
  }
  std::optional<uint64_t> size() const override { return bytes.size(); }

private:
  llvm::StringRef bytes;
  size_t pos = 0;
};

class FileSource final : public ByteSource {
public:
  FileSource(llvm::sys::fs::file_t file, llvm::StringRef path,
             std::optional<uint64_t> knownSize)
      : file(file), path(path), knownSize(knownSize) {}
  ~FileSource() override { llvm::sys::fs::closeFile(file); }
  llvm::Expected<size_t> read(llvm::MutableArrayRef<char> out) override {
    size_t done = 0;
    // A pipe or a device may return less than asked before its end.
    while (done < out.size()) {
      llvm::Expected<size_t> n =
          llvm::sys::fs::readNativeFile(file, out.drop_front(done));
      if (!n)
        return makeError(fmt::format("cannot read '{}': {}", path.str(),
                                     llvm::toString(n.takeError())));
      if (*n == 0)
        break;
      done += *n;
    }
    return done;
  }
  std::optional<uint64_t> size() const override { return knownSize; }

private:
  llvm::sys::fs::file_t file;
  llvm::StringRef path;
  std::optional<uint64_t> knownSize;
};

} // namespace

static llvm::Expected<TensorData>
readNpyFrom(ByteSource &in, llvm::StringRef name, NpyTypeCheck check) {
  // The magic string and the version, then the header length.
  char preamble[12];
  llvm::Expected<size_t> got = in.read({preamble, 8});
  if (!got)
    return got.takeError();
  size_t have = *got;
  if (!llvm::StringRef(preamble, have).starts_with(kMagic))
    return makeError(
        fmt::format("{}: not a .npy file (bad magic string)", name.str()));
  auto truncated = [&](size_t bytes) {
    return makeError(fmt::format("{}: truncated header: the file ends after "
                                 "{} bytes",
                                 name.str(), bytes));
  };
  if (have < kMagic.size() + 2)
    return truncated(have);
  unsigned major = uint8_t(preamble[6]), minor = uint8_t(preamble[7]);
  if (major < 1 || major > 3 || minor != 0)
    return makeError(fmt::format("{}: unsupported .npy version {}.{}; "
                                 "expected 1.0, 2.0 or 3.0",
                                 name.str(), major, minor));
  size_t lengthWidth = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthWidth;
  if (!(got = in.read({preamble + 8, lengthWidth})))
    return got.takeError();
  if (*got < lengthWidth)
    return truncated(8 + *got);
  uint64_t headerLength =
      readLittleEndian(llvm::StringRef(preamble + 8, lengthWidth), lengthWidth);
  auto beyondEnd = [&](uint64_t fileSize) {
    return makeError(fmt::format("{}: header length {} goes beyond the end "
                                 "of the file ({} bytes)",
                                 name.str(), headerLength, fileSize));
  };
  std::optional<uint64_t> fileSize = in.size();
  if (fileSize && headerStart + headerLength > *fileSize)
    return beyondEnd(*fileSize);
  if (headerLength > kMaxNpyHeaderBytes)
    return makeError(fmt::format("{}: header length {} is more than the {} "
                                 "a .npy header may have",
                                 name.str(), headerLength,
                                 formatBytes(kMaxNpyHeaderBytes)));

  // The header, in pieces: a length field may promise more than a stream
  // delivers, and only what arrives is stored.
  std::string headerText;
  while (headerText.size() < headerLength) {
    size_t old = headerText.size();
    size_t want = std::min<uint64_t>(headerLength - old, 4096);
    headerText.resize(old + want);
    if (!(got = in.read({headerText.data() + old, want})))
      return got.takeError();
    headerText.resize(old + *got);
    if (*got < want)
      return beyondEnd(headerStart + headerText.size());
  }
  llvm::Expected<NpyHeader> header = HeaderParser(headerText, name).parse();
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

  // checkShape keeps the product far from overflow: at most 2^48 elements
  // of 8 bytes.
  TensorType type(*dtype, shape);
  uint64_t dataSize = uint64_t(type.sizeInBytes());
  auto holds = [&](const std::string &amount) {
    return makeError(fmt::format("{}: header says shape {} of '{}' ({} bytes) "
                                 "but the file holds {} bytes of data",
                                 name.str(), pythonShape(shape), *header->descr,
                                 dataSize, amount));
  };
  // Compared before allocating, so a lying header cannot make us reserve
  // terabytes.
  uint64_t dataStart = headerStart + headerLength;
  if (fileSize && *fileSize - dataStart != dataSize)
    return holds(std::to_string(*fileSize - dataStart));
  if (check)
    if (llvm::Error err = check(type))
      return std::move(err);
  // The file holds that many bytes, but the memory may still be refused.
  llvm::Expected<TensorData> t = TensorData::allocate(std::move(type));
  if (!t)
    return makeError(
        fmt::format("{}: {}", name.str(), firstMessage(t.takeError())));
  // Read in place: the allocation is 64-byte aligned, and the data is
  // little-endian like the host.
  static_assert(llvm::sys::IsLittleEndianHost,
                ".npy data is read as little-endian");
  if (!(got = in.read({static_cast<char *>(t->raw()), size_t(dataSize)})))
    return got.takeError();
  if (*got < dataSize)
    return holds(std::to_string(*got));

  // Nothing may follow the data. What does is counted for the message, up
  // to a bound: a stream that never ends must not keep us reading.
  char scratch[4096];
  uint64_t trailing = 0;
  while (trailing <= kMaxNpyTrailingBytes) {
    if (!(got = in.read(scratch)))
      return got.takeError();
    trailing += *got;
    if (*got < sizeof(scratch))
      break;
  }
  if (trailing > kMaxNpyTrailingBytes)
    return holds("more than " +
                 std::to_string(dataSize + kMaxNpyTrailingBytes));
  if (trailing)
    return holds(std::to_string(dataSize + trailing));
  return t;
}

llvm::Expected<TensorData> parseNpy(llvm::StringRef bytes, llvm::StringRef name,
                                    NpyTypeCheck check) {
  StringSource in(bytes);
  return readNpyFrom(in, name, check);
}

llvm::Expected<TensorData> readNpy(llvm::StringRef path, NpyTypeCheck check) {
  llvm::Expected<llvm::sys::fs::file_t> file =
      llvm::sys::fs::openNativeFileForRead(path);
  if (!file)
    return makeError(fmt::format("cannot read '{}': {}", path.str(),
                                 llvm::toString(file.takeError())));
  // Only a regular file's size is believed, and not a size of 0: /proc
  // files say 0 and hold text. Devices and FIFOs are read as they come.
  std::optional<uint64_t> size;
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(*file, status) &&
      status.type() == llvm::sys::fs::file_type::regular_file &&
      status.getSize() > 0)
    size = status.getSize();
  FileSource in(*file, path, size);
  return readNpyFrom(in, path, check);
}

static llvm::StringRef descrOf(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I64:
    return "<i8";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    return "<u2";
  }
  return "";
}

std::string npyDescrText(DType t) {
  std::string d = "'" + descrOf(t).str() + "'";
  return t == DType::BF16 ? d + ", bf16 bit patterns" : d;
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
