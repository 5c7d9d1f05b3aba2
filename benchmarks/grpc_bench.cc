// grpc_bench: what the Pump's gRPC service costs a writer (TiDB's path) over calling the same
// pump's write path in process. One LocalCluster pump on loopback (RocksDB store, sync on, as
// upstream's default), no workload, no drainer.
//
//   BM_WriteLatency   one writer; Prewrite+Commit pairs; blocks of kLatencyBlockPairs pairs
//                     alternate between the in-process side (PumpHost::WriteBinlog through
//                     LocalCluster) and the gRPC side (PumpClient over the pump's shared
//                     port). Counters: p50 per write on each side (us) and
//                     ratio_grpc_vs_inprocess_p50.
//   BM_WriteThroughput kConcurrentWriters writers, each its own pairs; the sides alternate
//                     in rounds of kThroughputRoundPairs pairs per writer. Counters: binlogs/s
//                     per side and ratio_grpc_vs_inprocess (throughput), the median of the
//                     per-round ratios.
// Both sides write binlogs of the same shape to the same store in alternating blocks, so the
// disk (an fdatasync per group commit, which dominates both) and its drift weigh on both
// alike; the ratio is what the RPC adds to a durable write: protobuf and HTTP/2 framing over
// loopback, gRPC's threads. Connections are set up before timing starts.
//
// Flags (removed before Google Benchmark sees argv): --smoke (a few rounds: checks the
// harness, not speed). Errors (a write refused) make main() exit non-zero.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "reference/core/binlog_codec.h"
#include "reference/grpc/pump_client.h"
#include "reference/runtime/local_cluster.h"

namespace tidb_binlog::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Row bytes per Prewrite: a small OLTP transaction.
constexpr size_t kRowBytes = 256;
constexpr int kLatencyBlockPairs = 50;
constexpr int kLatencyBlocks = 20;        // per side
constexpr int kConcurrentWriters = 8;
constexpr int kThroughputRoundPairs = 50;  // per writer and round
constexpr int kThroughputRounds = 8;       // per side
constexpr int kSmokeBlocks = 2;
constexpr int kSmokeRounds = 2;

bool g_smoke = false;
std::atomic<bool> g_failed{false};

// One pump on loopback in a scratch directory.
class Bench {
 public:
  Bench() {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
           ("binlog-grpc-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    LocalClusterOptions options;
    options.data_dir = dir_.string();
    options.pumps = 1;
    options.drainers = 0;
    options.pump_port = 0;
    options.admin_port = 0;
    options.write_rate = 0;
    options.hostname = "grpc-bench";
    options.stop_write_at_available_space_bytes = 0;
    auto cluster = LocalCluster::Start(options);
    if (!cluster.ok()) {
      spdlog::error("start cluster: {}", cluster.status().ToString());
      std::exit(2);
    }
    cluster_ = std::move(cluster).value();
    cluster_->RunInBackground();
    pump_id_ = cluster_->Nodes()[0].id;
    address_ = cluster_->PumpAddresses()[0];
  }
  ~Bench() {
    cluster_.reset();
    fs::remove_all(dir_);
  }

  // Writes one Prewrite+Commit pair; returns the two write latencies in microseconds.
  std::pair<double, double> WritePair(bool grpc, PumpClient& client) {
    binlog::Binlog prewrite;
    prewrite.set_tp(binlog::BinlogType::Prewrite);
    prewrite.set_start_ts(*cluster_->tso().GetTs());
    binlog::PrewriteValue value;
    value.set_schema_version(1);
    binlog::TableMutation* mutation = value.add_mutations();
    mutation->set_table_id(45);
    mutation->add_inserted_rows(std::string(kRowBytes, 'r'));
    mutation->add_sequence(binlog::MutationType::Insert);
    prewrite.set_prewrite_value(EncodePrewriteValue(value));
    const double p = TimedWrite(grpc, client, prewrite);
    binlog::Binlog commit;
    commit.set_tp(binlog::BinlogType::Commit);
    commit.set_start_ts(prewrite.start_ts());
    commit.set_commit_ts(*cluster_->tso().GetTs());
    return {p, TimedWrite(grpc, client, commit)};
  }

  const std::string& address() const { return address_; }

 private:
  double TimedWrite(bool grpc, PumpClient& client, const binlog::Binlog& binlog) {
    const auto start = Clock::now();
    bool ok = false;
    if (grpc) {
      const RpcStatus written = client.WriteBinlog(kLocalClusterId, binlog);
      ok = written.ok();
      if (!ok) spdlog::error("gRPC write: {}", written.ToString());
    } else {
      const Status written = cluster_->WriteBinlog(pump_id_, binlog);
      ok = written.ok();
      if (!ok) spdlog::error("in-process write: {}", written.ToString());
    }
    if (!ok) g_failed = true;
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }

  fs::path dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::string pump_id_;
  std::string address_;
};

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

void BM_WriteLatency(benchmark::State& state) {
  Bench bench;
  PumpClient client(bench.address());
  bench.WritePair(/*grpc=*/true, client);  // connects
  const int blocks = g_smoke ? kSmokeBlocks : kLatencyBlocks;
  std::vector<double> in_process, grpc;
  for (auto _ : state) {
    for (int block = 0; block < 2 * blocks; ++block) {
      const bool use_grpc = block % 2 == 1;
      for (int i = 0; i < kLatencyBlockPairs; ++i) {
        const auto [p, c] = bench.WritePair(use_grpc, client);
        (use_grpc ? grpc : in_process).push_back(p);
        (use_grpc ? grpc : in_process).push_back(c);
      }
    }
  }
  const double in_process_p50 = Median(in_process);
  const double grpc_p50 = Median(grpc);
  state.counters["inprocess_p50_us"] = in_process_p50;
  state.counters["grpc_p50_us"] = grpc_p50;
  state.counters["ratio_grpc_vs_inprocess_p50"] = in_process_p50 > 0 ? grpc_p50 / in_process_p50 : 0;
}

// One round: every writer writes kThroughputRoundPairs pairs; returns binlogs per second.
double ThroughputRound(Bench& bench, std::vector<std::unique_ptr<PumpClient>>& clients,
                       bool use_grpc) {
  const auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kConcurrentWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kThroughputRoundPairs; ++i) bench.WritePair(use_grpc, *clients[w]);
    });
  }
  for (std::thread& writer : writers) writer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return 2.0 * kConcurrentWriters * kThroughputRoundPairs / seconds;
}

void BM_WriteThroughput(benchmark::State& state) {
  Bench bench;
  std::vector<std::unique_ptr<PumpClient>> clients;
  for (int w = 0; w < kConcurrentWriters; ++w) {
    clients.push_back(std::make_unique<PumpClient>(bench.address()));
    bench.WritePair(/*grpc=*/true, *clients.back());  // connects
  }
  const int rounds = g_smoke ? kSmokeRounds : kThroughputRounds;
  std::vector<double> in_process, grpc, ratios;
  for (auto _ : state) {
    for (int round = 0; round < rounds; ++round) {
      in_process.push_back(ThroughputRound(bench, clients, /*use_grpc=*/false));
      grpc.push_back(ThroughputRound(bench, clients, /*use_grpc=*/true));
      ratios.push_back(grpc.back() / in_process.back());
    }
  }
  state.counters["inprocess_binlogs_per_s"] = Median(in_process);
  state.counters["grpc_binlogs_per_s"] = Median(grpc);
  state.counters["ratio_grpc_vs_inprocess"] = Median(ratios);
}

BENCHMARK(BM_WriteLatency)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteThroughput)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tidb_binlog::bench

int main(int argc, char** argv) {
  const char* env = std::getenv("BINLOG_BENCH_SMOKE");
  tidb_binlog::bench::g_smoke = env != nullptr && std::strcmp(env, "1") == 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      tidb_binlog::bench::g_smoke = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  spdlog::set_level(spdlog::level::warn);  // the nodes' info logs would bury the table
  benchmark::Initialize(&count, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return tidb_binlog::bench::g_failed ? 1 : 0;
}
