// Goal: the process_* families carry client_golang's names, types, HELP texts and procfs
// arithmetic. Method: a fake procfs tree with known contents gives exact values; the real
// /proc shows every family is produced for a live process.
#include "reference/metrics/process_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "reference/metrics/exposition.h"
#include "reference/metrics/exposition_test_util.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
using testing_util::Exposition;
using testing_util::Parse;

class FakeProc {
 public:
  FakeProc() : root_(fs::path(::testing::TempDir()) / ("fake_proc_" + std::to_string(getpid()))) {
    fs::create_directories(root_ / "self" / "fd");
  }
  ~FakeProc() { fs::remove_all(root_); }
  void Write(const std::string& relative, const std::string& content) {
    std::ofstream(root_ / relative) << content;
  }
  std::string root() const { return root_.string(); }

 private:
  fs::path root_;
};

// Fields 3.. of /proc/<pid>/stat with utime=150, stime=50, starttime=12345, vsize=8192000,
// rss=300 pages; comm holds spaces and parentheses, as a thread name may.
constexpr char kStat[] =
    "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 12345 8192000 "
    "300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
constexpr char kLimits[] =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n"
    "Max open files            1024                 1048576              files     \n"
    "Max address space         unlimited            unlimited            bytes     \n";
constexpr char kProcStat[] = "cpu  1 2 3 4\nbtime 1700000000\nprocesses 10\n";

TEST(ProcessCollectorTest, ComputesClientGolangValuesFromProcfs) {
  FakeProc proc;
  proc.Write("self/stat", kStat);
  proc.Write("self/limits", kLimits);
  proc.Write("stat", kProcStat);
  for (int i = 0; i < 3; ++i) proc.Write("self/fd/" + std::to_string(i), "");
  ProcessCollector collector(proc.root());
  Exposition e = Parse(ExposeText({&collector}));

  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(e.families["process_cpu_seconds_total"].samples.at(0).value, 2.0);
  EXPECT_EQ(e.families["process_virtual_memory_bytes"].samples.at(0).value, 8192000);
  EXPECT_EQ(e.families["process_resident_memory_bytes"].samples.at(0).value, 300 * page);
  EXPECT_EQ(e.families["process_start_time_seconds"].samples.at(0).value, 1700000123.45);
  EXPECT_EQ(e.families["process_open_fds"].samples.at(0).value, 3);
  EXPECT_EQ(e.families["process_max_fds"].samples.at(0).value_text, "1024");
  // "unlimited" is 2^64-1, printed by Go as float64.
  EXPECT_EQ(e.families["process_virtual_memory_max_bytes"].samples.at(0).value_text,
            "1.8446744073709552e+19");
}

TEST(ProcessCollectorTest, UnreadableSourcesLeaveTheirFamiliesOut) {
  FakeProc proc;
  proc.Write("self/stat", kStat);  // no /stat (btime), no limits, garbage-free fd dir
  ProcessCollector collector(proc.root());
  Exposition e = Parse(ExposeText({&collector}));
  EXPECT_TRUE(e.Has("process_cpu_seconds_total"));
  EXPECT_TRUE(e.Has("process_open_fds"));
  EXPECT_FALSE(e.Has("process_start_time_seconds"));
  EXPECT_FALSE(e.Has("process_max_fds"));
  EXPECT_FALSE(e.Has("process_virtual_memory_max_bytes"));

  ProcessCollector missing(proc.root() + "/nonexistent");
  EXPECT_TRUE(missing.Collect().empty());
}

TEST(ProcessCollectorTest, LiveProcessHasAllSevenFamiliesWithClientGolangHelp) {
  ProcessCollector collector;
  Exposition e = Parse(ExposeText({&collector}));
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"process_cpu_seconds_total", {"counter", "Total user and system CPU time spent in seconds."}},
      {"process_max_fds", {"gauge", "Maximum number of open file descriptors."}},
      {"process_open_fds", {"gauge", "Number of open file descriptors."}},
      {"process_resident_memory_bytes", {"gauge", "Resident memory size in bytes."}},
      {"process_start_time_seconds",
       {"gauge", "Start time of the process since unix epoch in seconds."}},
      {"process_virtual_memory_bytes", {"gauge", "Virtual memory size in bytes."}},
      {"process_virtual_memory_max_bytes",
       {"gauge", "Maximum amount of virtual memory available in bytes."}},
  };
  ASSERT_EQ(e.order.size(), expected.size());
  for (const auto& [name, type_help] : expected) {
    ASSERT_TRUE(e.Has(name)) << name;
    EXPECT_EQ(e.families[name].type, type_help.first) << name;
    EXPECT_EQ(e.families[name].help, type_help.second) << name;
    ASSERT_EQ(e.families[name].samples.size(), 1u) << name;
    EXPECT_TRUE(e.families[name].samples[0].labels.empty()) << name;
  }
  EXPECT_GT(e.families["process_open_fds"].samples[0].value, 0);
  EXPECT_GT(e.families["process_resident_memory_bytes"].samples[0].value, 0);
  EXPECT_GT(e.families["process_start_time_seconds"].samples[0].value, 1e9);
}

}  // namespace
}  // namespace tidb_binlog
