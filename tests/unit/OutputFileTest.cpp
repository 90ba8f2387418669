//===- OutputFileTest.cpp - writeOutputFile on every kind of path ---------===//
#include "ir/OutputFile.h"

#include "TempDir.h"
#include "ir/Diagnostic.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

using namespace einsum;
namespace fs = llvm::sys::fs;
using einsum::testing::TempDir;

namespace {

std::string contentsOf(const std::string &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return "<unreadable: " + buf.getError().message() + ">";
  return (*buf)->getBuffer().str();
}

fs::file_type typeOf(const std::string &path) {
  fs::file_status st;
  fs::status(path, st, /*Follow=*/false);
  return st.type();
}

std::string errorOf(llvm::Error err) {
  if (!err)
    return "<success>";
  return firstMessage(std::move(err));
}

void makeLink(const std::string &to, const std::string &at) {
  ASSERT_EQ(::symlink(to.c_str(), at.c_str()), 0) << at;
}

/// A device node in `dir`; false (the test skips) where mknod or opening
/// the node is not permitted.
bool makeDevice(const std::string &path, unsigned major, unsigned minor) {
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(major, minor)) != 0)
    return false;
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

} // namespace

TEST(OutputFileTest, WritesNewFileWithoutTemporary) {
  TempDir dir("output-file-test");
  std::string path = dir.file("out.eg");
  ASSERT_EQ(errorOf(writeOutputFile(path, "graph")), "<success>");
  EXPECT_EQ(contentsOf(path), "graph");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.eg"});
}

TEST(OutputFileTest, ReplacesRegularFileKeepingPermissions) {
  TempDir dir("output-file-test");
  std::string path = dir.file("out.eg");
  ASSERT_EQ(errorOf(writeOutputFile(path, "old contents, longer")),
            "<success>");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_EQ(errorOf(writeOutputFile(path, "new")), "<success>");
  EXPECT_EQ(contentsOf(path), "new");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.eg"});
}

TEST(OutputFileTest, FailedWriteKeepsTargetAndRemovesTemporary) {
  TempDir dir("output-file-test");
  std::string path = dir.file("out.eg");
  ASSERT_EQ(errorOf(writeOutputFile(path, "old")), "<success>");
  // Files may not grow past 4 bytes: the write of the temporary fails.
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  llvm::Error err = writeOutputFile(path, "far more than four bytes");
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, oldHandler);
  EXPECT_EQ(errorOf(std::move(err)),
            "cannot write '" + path + "': File too large");
  EXPECT_EQ(contentsOf(path), "old");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.eg"});
}

TEST(OutputFileTest, MissingDirectoryIsAnError) {
  TempDir dir("output-file-test");
  std::string path = dir.file("missing/out.eg");
  EXPECT_EQ(errorOf(writeOutputFile(path, "x")),
            "cannot write '" + path + "': No such file or directory");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(OutputFileTest, WritesThroughSymlinkChains) {
  TempDir dir("output-file-test");
  ASSERT_FALSE(fs::create_directory(dir.file("sub")));
  std::string target = dir.file("sub/target.eg");
  ASSERT_EQ(errorOf(writeOutputFile(target, "old")), "<success>");
  // link -> sub/inner (relative to the link's directory) -> target.eg
  // (relative to sub).
  makeLink("target.eg", dir.file("sub/inner"));
  makeLink("sub/inner", dir.file("link"));
  ASSERT_EQ(errorOf(writeOutputFile(dir.file("link"), "new")), "<success>");
  EXPECT_EQ(typeOf(dir.file("link")), fs::file_type::symlink_file);
  EXPECT_EQ(typeOf(dir.file("sub/inner")), fs::file_type::symlink_file);
  EXPECT_EQ(contentsOf(target), "new");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"link", "sub"}));
}

TEST(OutputFileTest, DanglingSymlinkCreatesItsTarget) {
  TempDir dir("output-file-test");
  std::string target = dir.file("made.eg");
  makeLink(target, dir.file("link"));
  ASSERT_EQ(errorOf(writeOutputFile(dir.file("link"), "made")), "<success>");
  EXPECT_EQ(typeOf(dir.file("link")), fs::file_type::symlink_file);
  EXPECT_EQ(contentsOf(target), "made");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"link", "made.eg"}));
}

TEST(OutputFileTest, SymlinkLoopIsAnError) {
  TempDir dir("output-file-test");
  makeLink("b", dir.file("a"));
  makeLink("a", dir.file("b"));
  EXPECT_EQ(errorOf(writeOutputFile(dir.file("a"), "x")),
            "cannot write '" + dir.file("a") +
                "': Too many levels of symbolic links");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a", "b"}));
}

TEST(OutputFileTest, WritesThroughFifo) {
  TempDir dir("output-file-test");
  std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::string read;
  std::thread reader([&] {
    int fd = ::open(path.c_str(), O_RDONLY);
    char buf[256];
    for (ssize_t n; fd >= 0 && (n = ::read(fd, buf, sizeof buf)) > 0;)
      read.append(buf, size_t(n));
    if (fd >= 0)
      ::close(fd);
  });
  std::string contents(100000, 'x');
  llvm::Error err = writeOutputFile(path, contents);
  if (err)
    ::close(::open(path.c_str(), O_WRONLY)); // lets the reader finish
  EXPECT_EQ(errorOf(std::move(err)), "<success>");
  reader.join();
  EXPECT_EQ(read, contents);
  EXPECT_EQ(typeOf(path), fs::file_type::fifo_file);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"fifo"});
}

TEST(OutputFileTest, WritesThroughCharacterDevice) {
  TempDir dir("output-file-test");
  std::string path = dir.file("null");
  if (!makeDevice(path, 1, 3))
    GTEST_SKIP() << "mknod is not permitted here";
  makeLink("null", dir.file("link"));
  EXPECT_EQ(errorOf(writeOutputFile(path, "discarded")), "<success>");
  EXPECT_EQ(errorOf(writeOutputFile(dir.file("link"), "discarded")),
            "<success>");
  EXPECT_EQ(typeOf(path), fs::file_type::character_file);
  EXPECT_EQ(typeOf(dir.file("link")), fs::file_type::symlink_file);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"link", "null"}));
}

TEST(OutputFileTest, DeviceWriteErrorIsReported) {
  TempDir dir("output-file-test");
  std::string path = dir.file("full");
  if (!makeDevice(path, 1, 7))
    GTEST_SKIP() << "mknod is not permitted here";
  EXPECT_EQ(errorOf(writeOutputFile(path, "x")),
            "cannot write '" + path + "': No space left on device");
  EXPECT_EQ(typeOf(path), fs::file_type::character_file);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"full"});
}

TEST(OutputFileTest, RefusesDirectory) {
  TempDir dir("output-file-test");
  std::string path = dir.file("d");
  ASSERT_FALSE(fs::create_directory(path));
  EXPECT_EQ(errorOf(writeOutputFile(path, "x")),
            "cannot write '" + path + "': it is a directory");
  makeLink("d", dir.file("link"));
  EXPECT_EQ(errorOf(writeOutputFile(dir.file("link"), "x")),
            "cannot write '" + dir.file("link") + "': it links to '" + path +
                "', which is a directory");
  EXPECT_EQ(typeOf(path), fs::file_type::directory_file);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"d", "link"}));
  std::error_code ec;
  EXPECT_EQ(fs::directory_iterator(path, ec), fs::directory_iterator());
}

TEST(OutputFileTest, RefusesSocket) {
  TempDir dir("output-file-test");
  std::string path = dir.file("sock");
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  EXPECT_EQ(errorOf(writeOutputFile(path, "x")),
            "cannot write '" + path + "': it is a socket");
  ::close(fd);
  EXPECT_EQ(typeOf(path), fs::file_type::socket_file);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sock"});
}

TEST(OutputFileTest, RefusesBlockDevice) {
  TempDir dir("output-file-test");
  std::string path = dir.file("loop");
  // Never opened: a node for /dev/loop0 is safe to make and refuse.
  if (::mknod(path.c_str(), S_IFBLK | 0600, makedev(7, 0)) != 0)
    GTEST_SKIP() << "mknod is not permitted here";
  EXPECT_EQ(errorOf(writeOutputFile(path, "x")),
            "cannot write '" + path + "': it is a block device");
  EXPECT_EQ(typeOf(path), fs::file_type::block_file);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"loop"});
}

TEST(OutputFileTest, RemoveTakesBackOnlyRegularFiles) {
  TempDir dir("output-file-test");
  std::string target = dir.file("target.eg");
  ASSERT_EQ(errorOf(writeOutputFile(target, "x")), "<success>");
  makeLink("target.eg", dir.file("link"));
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  ASSERT_FALSE(fs::create_directory(dir.file("d")));
  removeOutputFile(dir.file("fifo"));
  removeOutputFile(dir.file("d"));
  removeOutputFile(dir.file("absent"));
  removeOutputFile(dir.file("link"));
  EXPECT_EQ(typeOf(dir.file("link")), fs::file_type::symlink_file);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"d", "fifo", "link"}));
}
