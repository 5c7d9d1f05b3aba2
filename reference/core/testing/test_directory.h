// Test support (header-only, not part of any library): a scratch path per test for tests
// that keep real files (checkpoints, binlog files, POSIX helpers, a local cluster).
//
// The path is unique per process and per test, so test binaries run in parallel by ctest
// and the tests of one binary never share files, and it is cleared first, so a run that
// crashed earlier leaves nothing behind for the next. Callers create it (or let the code
// under test do so) and remove it in TearDown.
// Thread safety: call from the test's thread (it reads the current test's name).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tidb_binlog::testing_support {

// testing::TempDir()/<prefix>_<pid>_<current test name>, not existing on return.
inline std::filesystem::path FreshTestPath(std::string_view prefix) {
  std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) /
      (std::string(prefix) + "_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(path);
  return path;
}

}  // namespace tidb_binlog::testing_support
