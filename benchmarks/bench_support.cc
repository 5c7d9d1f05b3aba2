#include "benchmarks/bench_support.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "reference/core/assert.h"
#include "reference/core/binlog_codec.h"
#include "reference/storage/binlog_store.h"

namespace tidb_binlog::bench {
namespace {

// Smoke mode sizes: enough to pass through every code path (rotation of value-log files,
// GC of whole files, sync groups), small enough for a ctest run of a few seconds.
constexpr int64_t kSmokeBinlogs = 4'000;
constexpr int64_t kSmokeSyncBinlogs = 2'000;
constexpr int64_t kSmokeGcStoreBytes = int64_t{8} << 20;
constexpr int64_t kSmokeLookups = 2'000;
constexpr uint64_t kSmokeValueLogFileBytes = uint64_t{1} << 20;

BenchConfig& MutableConfig() {
  static BenchConfig config;
  return config;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "storage_bench: %s\n", message.c_str());
  std::exit(2);
}

int64_t ParsePositive(const std::string& name, const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value <= 0) Die(name + ": not a positive integer: " + text);
  return value;
}

bool ParseBool(const std::string& text) { return !text.empty() && text != "0"; }

// Applies one setting by its flag name (without "--"); false if the name is not ours.
bool Apply(const std::string& name, const std::string& value, BenchConfig* config) {
  if (name == "smoke") {
    config->smoke = ParseBool(value);
  } else if (name == "binlogs") {
    config->binlogs = ParsePositive(name, value);
  } else if (name == "sync-binlogs") {
    config->sync_binlogs = ParsePositive(name, value);
  } else if (name == "gc-bytes") {
    config->gc_store_bytes = ParsePositive(name, value);
  } else if (name == "lookups") {
    config->lookups = ParsePositive(name, value);
  } else if (name == "data-dir") {
    config->data_dir = value;
  } else if (name == "seed") {
    config->seed = static_cast<uint64_t>(ParsePositive(name, value));
  } else {
    return false;
  }
  return true;
}

void ApplyEnvironment(BenchConfig* config) {
  static const std::pair<const char*, const char*> kVariables[] = {
      {"BINLOG_BENCH_SMOKE", "smoke"},         {"BINLOG_BENCH_BINLOGS", "binlogs"},
      {"BINLOG_BENCH_SYNC_BINLOGS", "sync-binlogs"}, {"BINLOG_BENCH_GC_BYTES", "gc-bytes"},
      {"BINLOG_BENCH_LOOKUPS", "lookups"},     {"BINLOG_BENCH_DATA_DIR", "data-dir"},
      {"BINLOG_BENCH_SEED", "seed"},
  };
  for (const auto& [variable, name] : kVariables) {
    if (const char* value = std::getenv(variable)) Apply(name, value, config);
  }
}

void ApplySmokeSizes(BenchConfig* config) {
  config->binlogs = std::min(config->binlogs, kSmokeBinlogs);
  config->sync_binlogs = std::min(config->sync_binlogs, kSmokeSyncBinlogs);
  config->gc_store_bytes = std::min(config->gc_store_bytes, kSmokeGcStoreBytes);
  config->lookups = std::min(config->lookups, kSmokeLookups);
}

}  // namespace

const BenchConfig& Config() { return MutableConfig(); }

void ParseBenchConfig(int* argc, char** argv) {
  BenchConfig& config = MutableConfig();
  ApplyEnvironment(&config);
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string arg = argv[i];
    bool ours = false;
    if (arg.rfind("--", 0) == 0 && arg.rfind("--benchmark_", 0) != 0) {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
      const std::string value = eq == std::string::npos ? "1" : arg.substr(eq + 1);
      ours = Apply(name, value, &config);
    }
    if (!ours) argv[kept++] = argv[i];
  }
  *argc = kept;
  if (config.data_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    config.data_dir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  if (config.smoke) ApplySmokeSizes(&config);
}

namespace {
std::vector<std::function<void()>>& Cleanups() {
  static std::vector<std::function<void()>> cleanups;
  return cleanups;
}
}  // namespace

void RegisterCleanup(std::function<void()> cleanup) {
  Cleanups().push_back(std::move(cleanup));
}

void RunCleanups() {
  for (auto& cleanup : Cleanups()) cleanup();
  Cleanups().clear();
}

namespace {
std::atomic<int> failures{0};
}  // namespace

void Fail(benchmark::State& state, const char* message) {
  ++failures;
  state.SkipWithError(message);
}

int FailureCount() { return failures.load(); }

void CheckOk(const Status& status, const char* what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}

ScratchDir::ScratchDir(const std::string& name) {
  namespace fs = std::filesystem;
  path_ = Config().data_dir + "/binlog-bench-" + std::to_string(::getpid()) + "-" + name;
  std::error_code error;
  fs::remove_all(path_, error);
  if (!fs::create_directories(path_, error)) Die("cannot create " + path_ + ": " + error.message());
}

ScratchDir::~ScratchDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

int64_t DirectoryBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  int64_t total = 0;
  std::error_code error;
  // Files may vanish while we walk (GC, compaction): errors on single entries are skipped.
  for (auto it = fs::recursive_directory_iterator(dir, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code entry_error;
    if (it->is_regular_file(entry_error)) {
      const auto size = it->file_size(entry_error);
      if (!entry_error) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

double Median(std::vector<double>* values) {
  if (values->empty()) return 0;
  const size_t mid = values->size() / 2;
  std::nth_element(values->begin(), values->begin() + mid, values->end());
  if (values->size() % 2 == 1) return (*values)[mid];
  const double upper = (*values)[mid];
  const double lower = *std::max_element(values->begin(), values->begin() + mid);
  return (lower + upper) / 2;
}

workload::BinlogGeneratorOptions GeneratorOptions(workload::RowBytesDistribution rows,
                                                  int64_t expected_binlogs) {
  workload::BinlogGeneratorOptions options;
  options.seed = Config().seed;
  options.row_bytes = rows;
  // About two binlogs per transaction; the clock advances by gap_max / 2 on average each.
  const int64_t transactions = std::max<int64_t>(1, expected_binlogs / 2);
  const int64_t span_ms = kStreamSpanMinutesMin * 60'000;
  options.transaction_gap_ms_max =
      std::max(options.transaction_gap_ms_max, 2 * span_ms / transactions + 1);
  return options;
}

uint64_t StoreValueLogFileBytes() {
  return Config().smoke ? kSmokeValueLogFileBytes : RocksDbBinlogStoreOptions{}.value_log_file_bytes_max;
}

double IndexIntProperty(RocksDbBinlogStore* store, const std::string& name) {
  auto value = store->IndexProperty(name);
  return value.ok() ? std::stod(*value) : -1;
}

std::unique_ptr<RocksDbBinlogStore> OpenStore(const std::string& dir, bool sync) {
  RocksDbBinlogStoreOptions options;
  options.data_dir = dir;
  options.sync = sync;
  options.stop_write_at_available_space_bytes = 0;
  options.value_log_file_bytes_max = StoreValueLogFileBytes();
  auto store = RocksDbBinlogStore::Open(options);
  CheckOk(store.status(), "open RocksDbBinlogStore");
  return std::move(store).value();
}

double WriteInBatches(BinlogStore* store, const Dataset& data, size_t begin, size_t end,
                      size_t batch) {
  const std::span<const binlog::Binlog> all(data.binlogs);
  const double start = NowSeconds();
  for (size_t i = begin; i < end; i += batch) {
    CheckOk(store->WriteBatch(all.subspan(i, std::min(batch, end - i))), "store WriteBatch");
  }
  return NowSeconds() - start;
}

Dataset EncodeAll(std::vector<binlog::Binlog> binlogs) {
  Dataset data;
  data.encoded.reserve(binlogs.size());
  data.index_ts.reserve(binlogs.size());
  for (const binlog::Binlog& b : binlogs) {
    data.encoded.push_back(EncodeBinlog(b));
    data.index_ts.push_back(BinlogIndexTs(b));
    data.payload_bytes += static_cast<int64_t>(data.encoded.back().size());
  }
  data.binlogs = std::move(binlogs);
  return data;
}

Dataset NextChunk(workload::BinlogGenerator* generator, int64_t count) {
  std::vector<binlog::Binlog> binlogs;
  binlogs.reserve(count);
  for (int64_t i = 0; i < count; ++i) binlogs.push_back(generator->Next());
  return EncodeAll(std::move(binlogs));
}

Dataset MakeDataset(const workload::BinlogGeneratorOptions& options, int64_t count) {
  workload::BinlogGenerator generator(options);
  std::vector<binlog::Binlog> binlogs;
  binlogs.reserve(count);
  for (int64_t i = 0; i < count; ++i) binlogs.push_back(generator.Next());
  for (binlog::Binlog& b : generator.FinishOpenTransactions()) binlogs.push_back(std::move(b));
  return EncodeAll(std::move(binlogs));
}

std::string BigEndianKey(int64_t ts) {
  std::string key(8, '\0');
  const uint64_t bits = static_cast<uint64_t>(ts);
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  return key;
}

}  // namespace tidb_binlog::bench
