//===- Pipeline.cpp -------------------------------------------------------===//
#include "passes/Pipeline.h"
#include "passes/PassRegistry.h"

#include <fmt/format.h>

namespace einsum {

namespace {

class PipelineParser {
public:
  explicit PipelineParser(llvm::StringRef text) : text(text) {}

  llvm::Expected<std::vector<std::unique_ptr<Pass>>> parse() {
    std::vector<std::unique_ptr<Pass>> passes;
    skipSpaces();
    if (pos == text.size())
      return passes;
    while (true) {
      llvm::Expected<std::unique_ptr<Pass>> pass = parsePass();
      if (!pass)
        return pass.takeError();
      passes.push_back(std::move(*pass));
      skipSpaces();
      if (pos == text.size())
        return passes;
      if (text[pos] != ',')
        return error(
            fmt::format("expected ',' between passes, found '{}'", text[pos]));
      ++pos;
      skipSpaces();
    }
  }

private:
  llvm::Error error(std::string message) const {
    return makeError(fmt::format("pass pipeline '{}': column {}: {}",
                                 text.str(), pos + 1, message));
  }

  void skipSpaces() {
    while (pos < text.size() && text[pos] == ' ')
      ++pos;
  }

  static bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  llvm::StringRef name() {
    size_t start = pos;
    while (pos < text.size() && isNameChar(text[pos]))
      ++pos;
    return text.slice(start, pos);
  }

  llvm::Expected<std::unique_ptr<Pass>> parsePass() {
    size_t start = pos;
    llvm::StringRef passName = name();
    if (passName.empty())
      return error(
          pos < text.size()
              ? fmt::format("expected a pass name, found '{}'", text[pos])
              : std::string("expected a pass name"));
    llvm::Expected<std::unique_ptr<Pass>> pass = createPass(passName);
    if (!pass) {
      pos = start;
      return error(firstMessage(pass.takeError()));
    }
    skipSpaces();
    if (pos < text.size() && text[pos] == '{')
      if (llvm::Error err = parseOptions(**pass))
        return err;
    return pass;
  }

  llvm::Error parseOptions(Pass &pass) {
    ++pos; // '{'
    while (true) {
      skipSpaces();
      if (pos == text.size())
        return error(fmt::format("unterminated options of '{}': expected '}}'",
                                 pass.name().str()));
      if (text[pos] == '}') {
        ++pos;
        return llvm::Error::success();
      }
      size_t start = pos;
      llvm::StringRef option = name();
      if (option.empty())
        return error(
            fmt::format("expected an option name, found '{}'", text[pos]));
      llvm::StringRef value;
      if (pos < text.size() && text[pos] == '=') {
        size_t valueStart = ++pos;
        while (pos < text.size() && text[pos] != ' ' && text[pos] != '}')
          ++pos;
        value = text.slice(valueStart, pos);
      }
      if (llvm::Error err = pass.setOption(option, value)) {
        pos = start;
        return error(firstMessage(std::move(err)));
      }
    }
  }

  llvm::StringRef text;
  size_t pos = 0;
};

} // namespace

llvm::Expected<std::vector<std::unique_ptr<Pass>>>
parsePipeline(llvm::StringRef text) {
  return PipelineParser(text).parse();
}

} // namespace einsum
