// Goal: the shared POSIX helpers do what their callers' durability and error contracts rely
// on: whole writes at the position or an offset (from one buffer or several), directory
// creation and fsync, an exclusive lock that reports "in use" as kBusy with the caller's
// text, atomic replacement with the asked mode and no temporary left behind, and
// "<what> <path>: <strerror>" errors.
// Method: real files in a per-test directory under testing::TempDir().
#include "reference/storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "reference/core/testing/test_directory.h"

namespace tidb_binlog::posix_file {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kPrivateMode = 0600;
constexpr mode_t kSharedMode = 0644;

class PosixFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::FreshTestPath("posix_file_test");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string Contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  int OpenForWrite(const std::string& path) const {
    return ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, kPrivateMode);
  }

  fs::path dir_;
};

TEST_F(PosixFileTest, ErrnoStatusNamesWhatPathAndReason) {
  Status status = ErrnoStatus("open", "/x/y", ENOENT);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), std::string("open /x/y: ") + std::strerror(ENOENT));
  errno = EACCES;
  EXPECT_EQ(ErrnoStatus("read", "f").message(), std::string("read f: ") + std::strerror(EACCES));
}

TEST_F(PosixFileTest, WriteAllWritesEveryByteAtThePosition) {
  const std::string path = Path("f");
  int fd = OpenForWrite(path);
  ASSERT_GE(fd, 0);
  const std::string big(1 << 20, 'x');  // larger than one pipe-sized write
  ASSERT_TRUE(WriteAll(fd, "head:", path).ok());
  ASSERT_TRUE(WriteAll(fd, big, path).ok());
  ::close(fd);
  EXPECT_EQ(Contents(path), "head:" + big);
}

TEST_F(PosixFileTest, WriteAllAtWritesAtTheOffsetOnly) {
  const std::string path = Path("f");
  int fd = OpenForWrite(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteAll(fd, "0123456789", path).ok());
  ASSERT_TRUE(WriteAllAt(fd, "ab", 3, path).ok());
  ASSERT_TRUE(WriteAllAt(fd, "Z", 10, path).ok());  // extends the file
  ::close(fd);
  EXPECT_EQ(Contents(path), "012ab56789Z");
}

TEST_F(PosixFileTest, WriteAllAtVWritesThePartsInOrderAtTheOffset) {
  const std::string path = Path("f");
  int fd = OpenForWrite(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteAll(fd, "0123456789", path).ok());
  const std::vector<std::string_view> parts = {"ab", "", "cde", "f"};
  ASSERT_TRUE(WriteAllAtV(fd, parts, 2, path).ok());
  ::close(fd);
  EXPECT_EQ(Contents(path), "01abcdef89");
}

// More parts than one pwritev takes (IOV_MAX): the rest follow at the right offsets.
TEST_F(PosixFileTest, WriteAllAtVWritesMorePartsThanOneCallTakes) {
  const std::string path = Path("f");
  int fd = OpenForWrite(path);
  ASSERT_GE(fd, 0);
  std::vector<std::string> owned;
  std::string expected;
  for (int i = 0; i < 2 * IOV_MAX + 7; ++i) {
    owned.push_back(std::to_string(i) + ",");
    expected += owned.back();
  }
  const std::vector<std::string_view> parts(owned.begin(), owned.end());
  ASSERT_TRUE(WriteAllAtV(fd, parts, 0, path).ok());
  ::close(fd);
  EXPECT_EQ(Contents(path), expected);
}

TEST_F(PosixFileTest, WriteErrorsNameTheFile) {
  const std::string path = Path("f");
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, kPrivateMode);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(WriteAll(fd, "x", path).message(),
            "write " + path + ": " + std::strerror(EBADF));
  EXPECT_EQ(WriteAllAt(fd, "x", 0, path).message(),
            "write " + path + ": " + std::strerror(EBADF));
  const std::vector<std::string_view> parts = {"x"};
  EXPECT_EQ(WriteAllAtV(fd, parts, 0, path).message(),
            "write " + path + ": " + std::strerror(EBADF));
  ::close(fd);
}

TEST_F(PosixFileTest, EnsureDirectoryCreatesParentsAndAcceptsAnExistingOne) {
  const std::string nested = Path("a/b/c");
  ASSERT_TRUE(EnsureDirectory(nested).ok());
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_TRUE(EnsureDirectory(nested).ok());
}

TEST_F(PosixFileTest, EnsureDirectoryUnderAFileNamesTheDirectory) {
  const std::string file = Path("f");
  std::ofstream(file) << "x";
  Status status = EnsureDirectory(file + "/sub");
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message().rfind("create directory " + file + "/sub: ", 0), 0u)
      << status.message();
}

TEST_F(PosixFileTest, FsyncDirectorySucceedsOnADirectoryAndNamesAMissingOne) {
  EXPECT_TRUE(FsyncDirectory(dir_.string()).ok());
  const std::string missing = Path("missing");
  Status status = FsyncDirectory(missing);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), "open directory " + missing + ": " + std::strerror(ENOENT));
}

TEST_F(PosixFileTest, SecondExclusiveLockIsBusyWithTheCallersText) {
  const std::string path = Path("lock");
  int first = OpenForWrite(path);
  int second = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  ASSERT_TRUE(LockExclusive(first, path, "in use").ok());
  Status busy = LockExclusive(second, path, "lock held by the first");
  EXPECT_EQ(busy.code(), StatusCode::kBusy);
  EXPECT_EQ(busy.message(), "lock held by the first");
  ::close(first);  // releases the lock
  EXPECT_TRUE(LockExclusive(second, path, "in use").ok());
  ::close(second);
}

TEST_F(PosixFileTest, LockOnABadDescriptorIsAnIoErrorNamingThePath) {
  Status status = LockExclusive(-1, "p", "in use");
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), std::string("lock p: ") + std::strerror(EBADF));
}

TEST_F(PosixFileTest, WriteFileAtomicallyReplacesWithTheModeAndLeavesNoTemporary) {
  const std::string path = Path("savepoint");
  ASSERT_TRUE(WriteFileAtomically(dir_.string(), path, "old\n", kSharedMode).ok());
  ASSERT_TRUE(WriteFileAtomically(dir_.string(), path, "new\n", kPrivateMode).ok());
  EXPECT_EQ(Contents(path), "new\n");
  EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(PosixFileTest, WriteFileAtomicallyFailureKeepsTheOldContents) {
  const std::string path = Path("savepoint");
  ASSERT_TRUE(WriteFileAtomically(dir_.string(), path, "old\n", kSharedMode).ok());
  // A directory where the temporary should go makes its creation fail.
  fs::create_directories(path + ".tmp");
  Status status = WriteFileAtomically(dir_.string(), path, "new\n", kSharedMode);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message().rfind("create " + path + ".tmp: ", 0), 0u) << status.message();
  EXPECT_EQ(Contents(path), "old\n");
}

}  // namespace
}  // namespace tidb_binlog::posix_file
