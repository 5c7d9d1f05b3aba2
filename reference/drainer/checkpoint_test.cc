// Goal: the drainer's checkpoint writes upstream's savepoint bytes, replaces the file
// atomically, and loads under upstream's rules (UPSTREAM.md §8.4), refusing malformed files.
// Method: FileCheckpoint in a temporary directory (bytes and mode checked on disk), the
// same rules run against MemoryCheckpoint, and the TOML parser on hand-written inputs.
#include "reference/drainer/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reference/core/testing/test_directory.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;

class FileCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::FreshTestPath("checkpoint_test");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string ReadSavepoint() const {
    std::ifstream in(dir_ / "savepoint", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void WriteSavepoint(const std::string& text) const {
    std::ofstream(dir_ / "savepoint", std::ios::binary) << text;
  }

  fs::path dir_;
};

TEST_F(FileCheckpointTest, WritesUpstreamBytesWithMode0644) {
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 5);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  ASSERT_TRUE((*checkpoint)->Save(412518831548007863, false, 12).ok());
  EXPECT_EQ(ReadSavepoint(),
            "consistent = false\ncommitTS = 412518831548007863\nschema-version = 12\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "savepoint").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_FALSE(fs::exists(dir_ / "savepoint.tmp")) << "the temp file is renamed away";

  ASSERT_TRUE((*checkpoint)->Save(412518831548007999, true, 13).ok());
  EXPECT_EQ(ReadSavepoint(),
            "consistent = true\ncommitTS = 412518831548007999\nschema-version = 13\n");
}

TEST_F(FileCheckpointTest, MissingFileStartsAtInitialCommitTs) {
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 4242);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ((*checkpoint)->ts(), 4242);
  EXPECT_FALSE((*checkpoint)->consistent());
  EXPECT_EQ((*checkpoint)->schema_version(), 0);
  EXPECT_FALSE(fs::exists(dir_ / "savepoint")) << "loading does not create the file";
}

TEST_F(FileCheckpointTest, ReopenResumesFromSavedState) {
  {
    auto checkpoint = FileCheckpoint::Open(dir_.string(), 1);
    ASSERT_TRUE(checkpoint.ok());
    ASSERT_TRUE((*checkpoint)->Save(777, true, 3).ok());
  }
  auto reopened = FileCheckpoint::Open(dir_.string(), 1);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->state(), (CheckpointState{true, 777, 3}));
}

TEST_F(FileCheckpointTest, ZeroCommitTsLoadsAsInitial) {
  WriteSavepoint("consistent = true\ncommitTS = 0\nschema-version = 4\n");
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 99);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ((*checkpoint)->state(), (CheckpointState{true, 99, 4}));
}

TEST_F(FileCheckpointTest, SchemaVersionOnlyIncreases) {
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 1);
  ASSERT_TRUE(checkpoint.ok());
  ASSERT_TRUE((*checkpoint)->Save(10, false, 7).ok());
  ASSERT_TRUE((*checkpoint)->Save(11, false, 3).ok());
  EXPECT_EQ((*checkpoint)->schema_version(), 7);
  EXPECT_EQ(ReadSavepoint(), "consistent = false\ncommitTS = 11\nschema-version = 7\n");
}

TEST_F(FileCheckpointTest, AtomicReplacementIgnoresAStaleTempFile) {
  // A crash between writing the temp file and the rename leaves the old savepoint in force.
  WriteSavepoint("consistent = false\ncommitTS = 50\nschema-version = 1\n");
  std::ofstream(dir_ / "savepoint.tmp") << "consistent = fa";
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 1);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ((*checkpoint)->ts(), 50);
  ASSERT_TRUE((*checkpoint)->Save(60, false, 1).ok());
  EXPECT_EQ(ReadSavepoint(), "consistent = false\ncommitTS = 60\nschema-version = 1\n");
  EXPECT_FALSE(fs::exists(dir_ / "savepoint.tmp"));
}

TEST_F(FileCheckpointTest, MalformedFileIsRefused) {
  WriteSavepoint("consistent = false\ncommitTS = 12ab\nschema-version = 1\n");
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 1);
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kCorruption);
  EXPECT_NE(checkpoint.status().message().find("line 2"), std::string::npos)
      << checkpoint.status().ToString();
  EXPECT_NE(checkpoint.status().message().find("savepoint"), std::string::npos);
}

TEST_F(FileCheckpointTest, SaveAfterCloseFailsWithUpstreamText) {
  auto checkpoint = FileCheckpoint::Open(dir_.string(), 1);
  ASSERT_TRUE(checkpoint.ok());
  (*checkpoint)->Close();
  Status status = (*checkpoint)->Save(5, true, 0);
  EXPECT_EQ(status.message(), "CheckPoint has been closed");
  EXPECT_FALSE(fs::exists(dir_ / "savepoint"));
}

TEST_F(FileCheckpointTest, UnwritableDirectoryIsAnIoError) {
  auto checkpoint = FileCheckpoint::Open((dir_ / "missing").string(), 1);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ((*checkpoint)->Save(5, false, 0).code(), StatusCode::kIoError);
  EXPECT_EQ((*checkpoint)->ts(), 1) << "a failed save changes nothing";
}

TEST(ParseCheckpointTomlTest, AcceptsWhatUpstreamsDecoderAccepts) {
  auto state = ParseCheckpointToml(
      "# saved by drainer\n\nschema-version = 1_000 # trailing comment\r\n"
      "  commitTS=+42\nconsistent = true\nunknown-key = \"ignored\"\n"
      "[some.table]\ncommitTS = 7\n");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, (CheckpointState{true, 42, 1000}));
  auto empty = ParseCheckpointToml("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, CheckpointState{});
}

TEST(ParseCheckpointTomlTest, RejectsMalformedInput) {
  for (const char* text : {
           "consistent = yes\n",              // not a boolean
           "commitTS = \"5\"\n",              // a string, not an integer
           "commitTS = 1.5\n",                // a float
           "commitTS = 007\n",                // leading zeros
           "commitTS = 1__0\n",               // doubled separator
           "commitTS = 99999999999999999999\n",  // overflows int64
           "commitTS\n",                      // no value
           "commitTS =\n",                    // empty value
           "commit TS = 5\n",                 // invalid key
           "[table\n",                        // unterminated header
           "commitTS = 1\ncommitTS = 2\n",    // duplicate key
       }) {
    auto state = ParseCheckpointToml(text);
    EXPECT_FALSE(state.ok()) << text;
    if (!state.ok()) {
      EXPECT_EQ(state.status().code(), StatusCode::kCorruption) << text;
    }
  }
}

TEST(MemoryCheckpointTest, FollowsTheSameRulesAndSurvivesRestart) {
  auto file = std::make_shared<MemoryCheckpointFile>();
  MemoryCheckpoint first(file, 10);
  ASSERT_TRUE(first.Load().ok());
  EXPECT_EQ(first.ts(), 10);
  ASSERT_TRUE(first.Save(20, false, 5).ok());
  ASSERT_TRUE(first.Save(30, true, 2).ok());
  EXPECT_EQ(file->contents, "consistent = true\ncommitTS = 30\nschema-version = 5\n");

  file->fail_next_saves = 1;
  EXPECT_EQ(first.Save(40, false, 5).code(), StatusCode::kIoError);
  EXPECT_EQ(first.ts(), 30);

  MemoryCheckpoint restarted(file, 10);
  ASSERT_TRUE(restarted.Load().ok());
  EXPECT_EQ(restarted.state(), (CheckpointState{true, 30, 5}));

  file->contents = "commitTS = x\n";
  EXPECT_EQ(restarted.Load().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tidb_binlog
