//===- OutputFile.cpp - Writing the files the tools produce ---------------===//
//
// The path is looked at with lstat, following symlinks by hand so that a
// dangling link still names the file to create. A regular file is replaced
// by a rename from a temporary beside it; a character device or a FIFO is
// opened without O_CREAT and written in place, then checked with fstat, so
// a file swapped in between the lstat and the open is not written through.
//
//===----------------------------------------------------------------------===//
#include "ir/OutputFile.h"

#include "ir/Diagnostic.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Errno.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace einsum {

namespace fs = llvm::sys::fs;

namespace {

/// What a path names once its symlinks are followed.
struct Target {
  /// The path itself, or where its last symlink points.
  std::string path;
  bool throughLink = false;
  fs::file_type type = fs::file_type::file_not_found;
  fs::perms permissions = fs::perms_not_known;
};

/// Linux's limit before ELOOP.
constexpr unsigned kMaxLinks = 40;

std::error_code currentErrno() {
  return std::error_code(errno, std::generic_category());
}

std::error_code readLink(const std::string &path, std::string &contents) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0)
      return currentErrno();
    if (size_t(n) < buf.size()) {
      contents = buf.substr(0, size_t(n));
      return {};
    }
    buf.resize(buf.size() * 2);
  }
}

std::error_code resolve(llvm::StringRef path, Target &target) {
  target.path = path.str();
  for (unsigned links = 0;; ++links) {
    fs::file_status st;
    std::error_code ec = fs::status(target.path, st, /*Follow=*/false);
    if (ec == std::errc::no_such_file_or_directory) {
      target.type = fs::file_type::file_not_found;
      return {};
    }
    if (ec)
      return ec;
    if (st.type() != fs::file_type::symlink_file) {
      target.type = st.type();
      target.permissions = st.permissions();
      return {};
    }
    if (links == kMaxLinks)
      return std::make_error_code(std::errc::too_many_symbolic_link_levels);
    std::string link;
    if (std::error_code linkError = readLink(target.path, link))
      return linkError;
    llvm::StringRef dir = llvm::sys::path::parent_path(target.path);
    if (llvm::sys::path::is_absolute(link) || dir.empty()) {
      target.path = link;
    } else {
      llvm::SmallString<256> joined(dir);
      llvm::sys::path::append(joined, link);
      target.path = joined.str().str();
    }
    target.throughLink = true;
  }
}

/// "a directory", for the message that refuses it.
const char *describe(fs::file_type type) {
  switch (type) {
  case fs::file_type::directory_file:
    return "a directory";
  case fs::file_type::block_file:
    return "a block device";
  case fs::file_type::socket_file:
    return "a socket";
  default:
    return "not a regular file, a character device or a FIFO";
  }
}

/// A temporary beside `target`, then a rename over it.
std::error_code replaceRegular(const Target &target, llvm::StringRef contents) {
  int fd = -1;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec =
          fs::createUniqueFile(target.path + ".tmp-%%%%%%", fd, tempPath))
    return ec;
  std::error_code writeError;
  if (target.type == fs::file_type::regular_file)
    writeError = fs::setPermissions(fd, target.permissions);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (!writeError)
      os << contents;
    os.close();
    if (!writeError)
      writeError = os.error();
    // Reported here instead of by the stream's destructor, which would
    // abort on an unhandled error.
    os.clear_error();
  }
  if (!writeError)
    writeError = fs::rename(tempPath, target.path);
  if (writeError)
    fs::remove(tempPath);
  return writeError;
}

/// Opens an existing device or FIFO and writes to it in place; sets
/// `swapped` when what was opened is no longer one.
std::error_code writeThrough(const Target &target, llvm::StringRef contents,
                             bool &swapped) {
  int fd =
      llvm::sys::RetryAfterSignal(-1, ::open, target.path.c_str(),
                                  O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return currentErrno();
  struct stat st;
  if (::fstat(fd, &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    std::error_code ec = currentErrno();
    ::close(fd);
    swapped = !ec;
    return ec ? ec : std::make_error_code(std::errc::invalid_argument);
  }
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true, /*unbuffered=*/true);
  os << contents;
  os.close();
  std::error_code writeError = os.error();
  os.clear_error();
  return writeError;
}

} // namespace

llvm::Error writeOutputFile(llvm::StringRef path, llvm::StringRef contents) {
  auto failure = [&](std::error_code ec) {
    return makeError(
        fmt::format("cannot write '{}': {}", path.str(), ec.message()));
  };
  Target target;
  if (std::error_code ec = resolve(path, target))
    return failure(ec);
  switch (target.type) {
  case fs::file_type::file_not_found:
  case fs::file_type::regular_file:
    if (std::error_code ec = replaceRegular(target, contents))
      return failure(ec);
    return llvm::Error::success();
  case fs::file_type::character_file:
  case fs::file_type::fifo_file: {
    bool swapped = false;
    if (std::error_code ec = writeThrough(target, contents, swapped)) {
      if (swapped)
        return makeError(fmt::format("cannot write '{}': '{}' stopped being "
                                     "a character device or a FIFO while it "
                                     "was opened",
                                     path.str(), target.path));
      return failure(ec);
    }
    return llvm::Error::success();
  }
  default:
    if (target.throughLink)
      return makeError(
          fmt::format("cannot write '{}': it links to '{}', which is {}",
                      path.str(), target.path, describe(target.type)));
    return makeError(fmt::format("cannot write '{}': it is {}", path.str(),
                                 describe(target.type)));
  }
}

void removeOutputFile(llvm::StringRef path) {
  Target target;
  if (!resolve(path, target) && target.type == fs::file_type::regular_file)
    fs::remove(target.path);
}

} // namespace einsum
