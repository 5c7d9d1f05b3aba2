// Goal: the file destination writes upstream's frame bytes and file names, rotates, makes
// appends durable, repairs only a torn tail on reopen, refuses real corruption, and the
// reader returns exactly what was appended; the memory destination follows its fault model.
// Method: a temporary directory per test, raw bytes inspected and damaged by hand, a fixed
// clock and TZ=UTC for file names.
#include "reference/drainer/binlog_file_destination.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reference/core/binlog_codec.h"
#include "reference/core/testing/test_directory.h"
#include "reference/drainer/memory_destination.h"
#include "reference/storage/crc32c.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1700000000;  // 2023-11-14 22:13:20 UTC

binlog::Binlog Commit(int64_t commit_ts, std::string key = "k") {
  binlog::Binlog b;
  b.set_tp(binlog::Commit);
  b.set_start_ts(commit_ts - 1);
  b.set_commit_ts(commit_ts);
  b.set_prewrite_key(key);
  b.set_prewrite_value("value-of-" + std::to_string(commit_ts));
  b.set_ddl_job_id(0);
  b.set_ddl_schema_state(0);
  return b;
}

std::vector<binlog::Binlog> Commits(int64_t first, int64_t count) {
  std::vector<binlog::Binlog> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(Commit(first + i));
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BinlogFileDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    dir_ = testing_support::FreshTestPath("file_destination_test");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<std::unique_ptr<BinlogFileDestination>> OpenDestination(int64_t rotate_bytes =
                                                                     kBinlogFileRotateBytesDefault) {
    return BinlogFileDestination::Open({.dir = dir_.string(),
                                        .rotate_bytes = rotate_bytes,
                                        .now_unix_seconds = [this] { return now_++; }});
  }

  // Every binlog the reader returns; fails the test on a reader error.
  std::vector<int64_t> ReadAllCommitTs() {
    std::vector<int64_t> out;
    auto reader = BinlogFileReader::Open(dir_.string());
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) return out;
    BinlogFileFrame frame;
    for (;;) {
      Result<bool> next = reader->Next(frame);
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok() || !*next) break;
      out.push_back(frame.binlog.commit_ts());
    }
    return out;
  }

  std::vector<std::string> FileNames() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  int64_t now_ = kNow;
};

TEST(BinlogFileNameTest, UpstreamForm) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(BinlogFileName(0, kNow), "binlog-0000000000000000-20231114221320");
  EXPECT_EQ(BinlogFileName(12, kNow), "binlog-0000000000000012-20231114221320");
  EXPECT_EQ(ParseBinlogFileName("binlog-0000000000000012-20231114221320"), 12u);
  for (const char* name : {"binlog-12-20231114221320", "binlog-0000000000000012-2023",
                           "binlog-000000000000001x-20231114221320", "savepoint",
                           "binlog-0000000000000012_20231114221320"}) {
    EXPECT_EQ(ParseBinlogFileName(name), std::nullopt) << name;
  }
}

TEST_F(BinlogFileDestinationTest, WritesUpstreamFrameBytes) {
  auto destination = OpenDestination();
  ASSERT_TRUE(destination.ok()) << destination.status().ToString();
  const binlog::Binlog binlog = Commit(412518831548007863);
  ASSERT_TRUE((*destination)->Append({&binlog, 1}).ok());
  ASSERT_EQ(FileNames(), std::vector<std::string>{"binlog-0000000000000000-20231114221320"});

  const std::string payload = EncodeBinlog(binlog);
  const std::string bytes = ReadFile((*destination)->current_path());
  ASSERT_EQ(bytes.size(), 12 + payload.size() + 4);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x04\x05\x1b\x1c", 4)) << "471532804 LE";
  std::string length(8, '\0');
  for (size_t i = 0; i < 8; ++i) length[i] = static_cast<char>(payload.size() >> (8 * i));
  EXPECT_EQ(bytes.substr(4, 8), length);
  EXPECT_EQ(bytes.substr(12, payload.size()), payload);
  const uint32_t crc = crc32c::Value(payload.data(), payload.size());
  std::string crc_le(4, '\0');
  for (size_t i = 0; i < 4; ++i) crc_le[i] = static_cast<char>(crc >> (8 * i));
  EXPECT_EQ(bytes.substr(12 + payload.size()), crc_le);

  std::string expected;
  AppendBinlogFrame(payload, expected);
  EXPECT_EQ(bytes, expected);
}

TEST_F(BinlogFileDestinationTest, RotatesAndReaderReturnsEverythingInOrder) {
  const size_t frame_bytes = 16 + EncodeBinlog(Commit(100)).size();
  auto destination = OpenDestination(static_cast<int64_t>(3 * frame_bytes));
  ASSERT_TRUE(destination.ok());
  ASSERT_TRUE((*destination)->Append(Commits(100, 4)).ok());
  ASSERT_TRUE((*destination)->Append(Commits(104, 5)).ok());
  ASSERT_TRUE((*destination)->Close().ok());
  // Three frames reach the rotation size, so files hold 3, 3, 3.
  EXPECT_EQ(FileNames(), (std::vector<std::string>{"binlog-0000000000000000-20231114221320",
                                                   "binlog-0000000000000001-20231114221321",
                                                   "binlog-0000000000000002-20231114221322"}));
  std::vector<int64_t> expected;
  for (int64_t ts = 100; ts < 109; ++ts) expected.push_back(ts);
  EXPECT_EQ(ReadAllCommitTs(), expected);
}

TEST_F(BinlogFileDestinationTest, ReopenAppendsToTheLastFile) {
  {
    auto destination = OpenDestination();
    ASSERT_TRUE(destination.ok());
    ASSERT_TRUE((*destination)->Append(Commits(1, 2)).ok());
  }
  auto reopened = OpenDestination();
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->truncated_tail_bytes(), 0);
  ASSERT_TRUE((*reopened)->Append(Commits(3, 1)).ok());
  EXPECT_EQ(FileNames().size(), 1u);
  EXPECT_EQ(ReadAllCommitTs(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(BinlogFileDestinationTest, ReopenTruncatesTornTails) {
  std::string path;
  {
    auto destination = OpenDestination();
    ASSERT_TRUE(destination.ok());
    ASSERT_TRUE((*destination)->Append(Commits(1, 2)).ok());
    path = (*destination)->current_path();
  }
  const std::string good = ReadFile(path);
  std::string frame;
  AppendBinlogFrame(EncodeBinlog(Commit(3)), frame);
  std::string bad_crc = frame;
  bad_crc.back() ^= 0x01;
  // A partial frame; a zero-filled extension; a complete last frame with a bad checksum.
  for (const std::string& tail :
       {frame.substr(0, frame.size() - 3), std::string(100, '\0'), bad_crc}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good << tail;
    auto reopened = OpenDestination();
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ((*reopened)->truncated_tail_bytes(), static_cast<int64_t>(tail.size()));
    EXPECT_EQ(ReadFile(path), good);
  }
  auto reopened = OpenDestination();
  ASSERT_TRUE(reopened.ok());
  ASSERT_TRUE((*reopened)->Append(Commits(3, 1)).ok());
  EXPECT_EQ(ReadAllCommitTs(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(BinlogFileDestinationTest, CorruptionBeforeTheTailIsRefused) {
  std::string path;
  {
    auto destination = OpenDestination();
    ASSERT_TRUE(destination.ok());
    ASSERT_TRUE((*destination)->Append(Commits(1, 2)).ok());
    path = (*destination)->current_path();
  }
  std::string bytes = ReadFile(path);
  bytes[14] ^= 0x40;  // a payload byte of the first frame
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

  auto reopened = OpenDestination();
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(reopened.status().message().find("offset 0: checksum mismatch"), std::string::npos)
      << reopened.status().ToString();

  auto reader = BinlogFileReader::Open(dir_.string());
  ASSERT_TRUE(reader.ok());
  BinlogFileFrame frame;
  EXPECT_EQ(reader->Next(frame).status().code(), StatusCode::kCorruption);
}

TEST_F(BinlogFileDestinationTest, SecondWriterOnTheDirectoryIsBusy) {
  auto first = OpenDestination();
  ASSERT_TRUE(first.ok());
  auto second = OpenDestination();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
}

TEST_F(BinlogFileDestinationTest, AppendAfterCloseIsUnavailable) {
  auto destination = OpenDestination();
  ASSERT_TRUE(destination.ok());
  ASSERT_TRUE((*destination)->Close().ok());
  EXPECT_EQ((*destination)->Append(Commits(1, 1)).code(), StatusCode::kUnavailable);
}

TEST_F(BinlogFileDestinationTest, OptionsAreChecked) {
  BinlogFileDestinationOptions no_clock;
  no_clock.dir = dir_.string();
  EXPECT_EQ(BinlogFileDestination::Open(no_clock).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenDestination(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BinlogFileDestination::Open(
                {.dir = (dir_ / "missing").string(),
                 .rotate_bytes = kBinlogFileRotateBytesDefault,
                 .now_unix_seconds = [] { return kNow; }})
                .status()
                .code(),
            StatusCode::kIoError);
}

TEST(MemoryDestinationTest, FaultModel) {
  MemoryDestination destination;
  ASSERT_TRUE(destination.Append(Commits(1, 2)).ok());
  destination.FailNextAppends(1);
  EXPECT_EQ(destination.Append(Commits(3, 2)).code(), StatusCode::kIoError);
  EXPECT_EQ(destination.binlogs().size(), 2u);

  destination.CrashInNextAppend(1);
  EXPECT_EQ(destination.Append(Commits(3, 3)).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(destination.crashed());
  EXPECT_EQ(destination.Append(Commits(6, 1)).code(), StatusCode::kUnavailable);
  destination.Restart();
  ASSERT_TRUE(destination.Append(Commits(4, 1)).ok());
  std::vector<int64_t> ts;
  for (const SharedPulledBinlog& b : destination.binlogs()) ts.push_back(b.commit_ts());
  EXPECT_EQ(ts, (std::vector<int64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace tidb_binlog
