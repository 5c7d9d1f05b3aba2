// Goal: an acknowledged write survives a crash of the writing process, and recovery neither
// loses nor corrupts anything nor lets MaxCommitTS disagree with the P/C matching rule.
// Method: several seeded rounds on one data directory. Each round runs crash_writer (sync
// on, several threads, P+C pairs, rollbacks, fake binlogs; it prints intents and acks),
// SIGKILLs it at a random moment, reopens the store in this process and checks every
// acknowledged binlog, MaxCommitTS against bounds recomputed from the ack log, and a full
// Pull. Open transactions left by a kill are rolled back by the next round's writer.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reference/storage/rocksdb_binlog_store.h"
#include "reference/storage/testing/crash_workload.h"

namespace tidb_binlog {
namespace {

namespace fs = std::filesystem;
using crash_workload::MakeBinlog;

constexpr int kRounds = 6;
constexpr int kWriterThreads = 4;
constexpr int kKillAfterMillisecondsMin = 50;
constexpr int kKillAfterMillisecondsMax = 600;
constexpr int64_t kRoundTsStride = int64_t{1} << 36;  // each round writes above the last
constexpr uint32_t kSeed = 20240607;

struct Acked {
  char kind;
  int64_t start;
  int64_t commit;
  int64_t seq;  // position of the ack line in the global log
};

// Everything the parent knows from the children's stdout, across rounds.
struct Ledger {
  int64_t seq = 0;
  std::vector<Acked> acked;
  std::map<int64_t, std::pair<int64_t, int64_t>> open;  // start -> (commit, intent seq)
  int64_t max_intended_commit = 0;

  void Apply(const std::string& line) {
    ++seq;
    std::istringstream in(line);
    std::string tag;
    char kind = 0;
    int64_t start = 0, commit = 0;
    if (!(in >> tag >> kind >> start >> commit)) return;  // "READY"
    max_intended_commit = std::max(max_intended_commit, commit);
    if (tag == "I") {
      // A fake binlog is a whole write on its own: its intent only bounds MaxCommitTS.
      // A Prewrite's intent opens a transaction the next round must resolve.
      if (kind == 'P') open[start] = {commit, seq};
      return;
    }
    acked.push_back({kind, start, commit, seq});
    if (kind == 'C' || kind == 'R') open.erase(start);
  }
};

// Runs one writer round; returns its stdout lines.
std::vector<std::string> RunWriterRound(const std::string& dir, int64_t base,
                                        const std::string& resolve_file, int kill_after_ms) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    const std::string base_arg = std::to_string(base);
    const std::string threads_arg = std::to_string(kWriterThreads);
    ::execl(CRASH_WRITER_PATH, CRASH_WRITER_PATH, dir.c_str(), base_arg.c_str(),
            threads_arg.c_str(), resolve_file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  bool ready = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  char buffer[65536];
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    int timeout_ms = 1000;
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      timeout_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) continue;
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;  // the writer died on its own: the checks below will say why
    output.append(buffer, static_cast<size_t>(n));
    if (!ready && output.find("READY\n") != std::string::npos) {
      ready = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
    }
  }
  ::kill(pid, SIGKILL);
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) {
    output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "writer exited on its own, status " << wstatus;
  EXPECT_TRUE(ready);
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void ExpectIntact(BinlogStore& store, const Acked& a) {
  const binlog::Binlog expected = MakeBinlog(a.kind, a.start, a.commit);
  auto got = store.Lookup(BinlogIndexTs(expected));
  ASSERT_TRUE(got.ok()) << a.kind << " " << a.start << " " << a.commit << ": "
                        << got.status().ToString();
  EXPECT_EQ(got->SerializeAsString(), expected.SerializeAsString())
      << a.kind << " " << a.start << " " << a.commit;
}

// MaxCommitTS >= every acked C-record that no still-open Prewrite can precede (its intent
// came after the ack), and it is the commit ts of a stored C-record.
void ExpectMaxCommitTsConsistent(BinlogStore& store, const Ledger& ledger) {
  int64_t first_open_intent = INT64_MAX;
  for (const auto& [start, v] : ledger.open) first_open_intent = std::min(first_open_intent, v.second);
  int64_t lower = 0;
  for (const Acked& a : ledger.acked) {
    if (a.kind != 'P' && a.seq < first_open_intent) lower = std::max(lower, a.commit);
  }
  const int64_t max_commit_ts = store.MaxCommitTS();
  EXPECT_GE(max_commit_ts, lower);
  EXPECT_LE(max_commit_ts, ledger.max_intended_commit);
  if (max_commit_ts > 0) {
    auto b = store.Lookup(max_commit_ts);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_NE(b->tp(), binlog::Prewrite);
    EXPECT_EQ(b->commit_ts(), max_commit_ts);
  }
}

// A full Pull is ordered, bounded by MaxCommitTS, and carries every acked Commit with its
// Prewrite's value.
void ExpectPullComplete(BinlogStore& store, const Ledger& ledger) {
  auto pulled = store.Pull(0, SIZE_MAX, SIZE_MAX);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  std::map<int64_t, const binlog::Binlog*> by_commit;
  int64_t previous = 0;
  for (const binlog::Binlog& b : pulled->binlogs) {
    EXPECT_GT(b.commit_ts(), previous);
    EXPECT_LE(b.commit_ts(), store.MaxCommitTS());
    previous = b.commit_ts();
    by_commit[b.commit_ts()] = &b;
  }
  std::set<int64_t> acked_prewrites;
  for (const Acked& a : ledger.acked) {
    if (a.kind == 'P') acked_prewrites.insert(a.start);
  }
  for (const Acked& a : ledger.acked) {
    if (a.kind != 'C' || a.commit > store.MaxCommitTS() || !acked_prewrites.count(a.start)) {
      continue;
    }
    auto it = by_commit.find(a.commit);
    ASSERT_NE(it, by_commit.end()) << "commit " << a.commit << " missing from Pull";
    EXPECT_EQ(it->second->prewrite_value(), crash_workload::PrewriteValueFor(a.start));
  }
}

TEST(BinlogStoreCrash, AcknowledgedWritesSurviveSigkill) {
  const std::string dir = ::testing::TempDir() + "binlog_store_crash_" + std::to_string(::getpid());
  const std::string resolve_file = dir + ".resolve";
  fs::remove_all(dir);
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> kill_after(kKillAfterMillisecondsMin,
                                                kKillAfterMillisecondsMax);
  Ledger ledger;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    {
      std::ofstream resolve(resolve_file, std::ios::trunc);
      for (const auto& [start, v] : ledger.open) resolve << start << " " << v.first << "\n";
    }
    for (const std::string& line :
         RunWriterRound(dir, (round + 1) * kRoundTsStride, resolve_file, kill_after(rng))) {
      ledger.Apply(line);
    }
    RocksDbBinlogStoreOptions options;
    options.data_dir = dir;
    options.stop_write_at_available_space_bytes = 0;
    auto store = RocksDbBinlogStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const Acked& a : ledger.acked) ExpectIntact(**store, a);
    ExpectMaxCommitTsConsistent(**store, ledger);
    ExpectPullComplete(**store, ledger);
    if (ledger.open.empty()) {
      EXPECT_TRUE((*store)->AllMatched());
    }
    ASSERT_TRUE((*store)->Close().ok());
  }
  EXPECT_GT(ledger.acked.size(), 100u);  // the rounds really wrote something
  fs::remove_all(dir);
  fs::remove(resolve_file);
}

}  // namespace
}  // namespace tidb_binlog
