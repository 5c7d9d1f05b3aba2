// crash_writer: the child process of binlog_store_crash_test. Opens a RocksDbBinlogStore
// with sync on, first closes the transactions the previous (killed) round left open, then
// writes Prewrite+Commit pairs, some rollbacks and fake binlogs from a few threads until it
// is killed, reporting each intent and acknowledgement on stdout (crash_workload.h).
//
// Usage: crash_writer <data_dir> <base_ts> <threads> <resolve_file>
//   resolve_file: lines "<start> <commit>"; each gets a Rollback binlog before "READY".
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "reference/storage/rocksdb_binlog_store.h"
#include "reference/storage/testing/crash_workload.h"

namespace tidb_binlog::crash_workload {
namespace {

// Small files so that rotation and footers happen within a test round.
constexpr uint64_t kValueLogFileBytes = 256 << 10;

// One line per write(2): a line is wholly in the pipe or not at all when the kill lands.
void Say(const char* tag, char kind, int64_t start, int64_t commit) {
  char out[96];
  int n = std::snprintf(out, sizeof(out), "%s %c %lld %lld\n", tag, kind,
                        static_cast<long long>(start), static_cast<long long>(commit));
  if (::write(STDOUT_FILENO, out, static_cast<size_t>(n)) != n) {
    std::_Exit(3);  // the parent went away
  }
}

void MustWrite(BinlogStore& store, char kind, int64_t start, int64_t commit) {
  Status s = store.Write(MakeBinlog(kind, start, commit));
  if (!s.ok()) {
    std::fprintf(stderr, "write failed: %s\n", s.ToString().c_str());
    std::_Exit(2);
  }
  Say("A", kind, start, commit);
}

void Writer(BinlogStore& store, int64_t base, int threads, int thread) {
  for (int64_t i = 0;; ++i) {
    const int64_t slot = base + (i * threads + thread) * kSlotWidth;
    const uint64_t choice = static_cast<uint64_t>(slot / kSlotWidth) * 2654435761u % 10;
    if (choice == 0) {
      // Announced like a Prewrite: the kill may land after the fake binlog is durable but
      // before its "A" line, and the parent must still know its ts may be MaxCommitTS.
      Say("I", 'F', slot + 3, slot + 3);
      MustWrite(store, 'F', slot + 3, slot + 3);
      continue;
    }
    Say("I", 'P', slot, slot + 2);
    MustWrite(store, 'P', slot, slot + 2);
    MustWrite(store, choice == 1 ? 'R' : 'C', slot, slot + 2);
  }
}

int Main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: crash_writer <data_dir> <base_ts> <threads> <resolve_file>\n");
    return 1;
  }
  RocksDbBinlogStoreOptions options;
  options.data_dir = argv[1];
  options.sync = true;
  options.stop_write_at_available_space_bytes = 0;
  options.value_log_file_bytes_max = kValueLogFileBytes;
  auto store = RocksDbBinlogStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
    return 2;
  }
  std::ifstream resolve(argv[4]);
  int64_t start = 0, commit = 0;
  while (resolve >> start >> commit) MustWrite(**store, 'R', start, commit);
  static constexpr char kReady[] = "READY\n";
  if (::write(STDOUT_FILENO, kReady, sizeof(kReady) - 1) < 0) return 3;
  const int64_t base = std::stoll(argv[2]);
  const int threads = std::stoi(argv[3]);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { Writer(**store, base, threads, t); });
  }
  for (auto& w : workers) w.join();  // never: the parent kills us
  return 0;
}

}  // namespace
}  // namespace tidb_binlog::crash_workload

int main(int argc, char** argv) { return tidb_binlog::crash_workload::Main(argc, argv); }
