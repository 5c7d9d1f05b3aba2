// http-bench-server: the server side of the HTTP load benchmark for PERFORMANCE.md §6 L1/L2
// (benchmarks/run_http_bench.sh drives it with wrk; benchmarks/README.md has the protocol).
//
// It serves a real reference pump, built as the runtime builds one: a RocksDbBinlogStore, a
// PumpNode (MemoryRegistry, SystemTsoSource, PumpMetrics) under the wall-clock NodeHost
// driver, and the pump's full router (MakePumpRouter) on one HttpServer on one io_context
// thread. To that router it adds one bench-only route, GET /bench/const/{size}, which answers
// `size` bytes through the same TextResponse builder as /debug/binlog/{ts} and /status (same
// status, headers and Content-Type), so that "constant route of the same body size in the
// same server" is the baseline of each comparison.
//
// The store holds --binlogs seeded generator binlogs (binlog_workload, default row sizes). It
// is built once in --data-dir and reused by later runs with the same size and seed, since
// building a million binlogs takes minutes. Before serving, the server writes, in --out-dir:
//   lookup.paths        /debug/binlog/{ts} for --sample ts drawn at random among the
//                       stored index ts (every one checked to be found);
//   lookup-const.paths  /bench/const/{n}, line i with n = the body size of lookup.paths line
//                       i (measured through the real handler), so both sides draw their
//                       sizes from the same distribution;
//   status.paths, status-const.paths   /status and /bench/const/{its body size};
//   port                the bound port, written last: its presence means "ready".
// SIGINT/SIGTERM run the pump's pause sequence; the store is closed and kept.
//
// One figure it does measure, and only logs: after the warming pass, a second pass over the
// sampled ts calls the handlers directly (no socket), alternating blocks of the lookup
// handler, the store's Lookup alone and the const handler of the same body sizes, and logs
// their thread CPU time per call ("handler CPU"). It is the network-free part of L1's cost,
// steadier than req/s on a shared machine.
//
// Not for: any use outside benchmarks (the const route is not upstream's).
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "benchmarks/workload/binlog_generator.h"
#include "benchmarks/workload/prng.h"
#include "reference/core/cpu_time.h"
#include "reference/http/http_types.h"
#include "reference/metrics/pump_metrics.h"
#include "reference/pump/pump_http.h"
#include "reference/pump/pump_node.h"
#include "reference/registry/memory_registry.h"
#include "reference/runtime/node_host.h"
#include "reference/runtime/wall_clock.h"
#include "reference/storage/rocksdb_binlog_store.h"

namespace tidb_binlog::bench {
namespace {

namespace fs = std::filesystem;

// The store size of the benchmark (a "1M-binlog store").
constexpr int64_t kDefaultBinlogs = 1'000'000;
// Lookup paths handed to wrk: enough distinct ts that the lookups spread over the whole
// store, few enough that measuring each body at start-up takes seconds, not minutes.
constexpr int64_t kDefaultSampleTs = 100'000;
// The storage benchmarks' seed, so both suites look at the same kind of data.
constexpr uint64_t kDefaultSeed = 20'240'601;
// Binlogs per WriteBatch while building: upstream's index batch size.
constexpr size_t kBuildBatchBinlogs = 128;
// Progress is logged every this many binlogs while building.
constexpr int64_t kBuildProgressBinlogs = 100'000;
// The const route refuses larger bodies: a guard against a typo allocating gigabytes. The
// largest /debug/binlog body of the default workload is well below it.
constexpr int64_t kConstBodyBytesMax = int64_t{16} << 20;
// Calls per block of the handler CPU pass: each side's block runs within a millisecond or so
// of the others', so all three see the same machine state.
constexpr size_t kHandlerCpuBlockCalls = 1000;
constexpr double kMicrosPerSecond = 1e6;
// The generated TSOs date from 2023; with upstream's 7-day retention the pump's first hourly
// GC would delete the whole store, so the bench pump keeps about a century.
constexpr int64_t kBenchGcRetentionMilliseconds = int64_t{100} * 365 * 24 * 3'600'000;
// The bench pump's id and cluster id (any values: no client writes binlogs).
constexpr char kBenchNodeId[] = "http-bench-pump";
constexpr uint64_t kBenchClusterId = 1;

// Files in --data-dir next to the store. The "building" marker is written before a build
// starts and renamed to the meta file when it finished, so an interrupted build is redone
// and a directory holding neither is never wiped.
constexpr char kBuildingMarkerName[] = "bench-store.building";
constexpr char kStoreMetaName[] = "bench-store.meta";
constexpr char kIndexTsListName[] = "bench-index-ts.txt";
constexpr char kStoreDirName[] = "store";

struct Flags {
  std::string data_dir;
  std::string out_dir;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int64_t binlogs = kDefaultBinlogs;
  int64_t sample = kDefaultSampleTs;
  uint64_t seed = kDefaultSeed;
};

Status WriteTextFile(const fs::path& path, const std::string& text) {
  // Written under a temporary name and renamed, so a reader polling for the file never sees
  // it half-written.
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IoError("write " + temporary.string());
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) return Status::IoError("rename " + temporary.string() + ": " + error.message());
  return Status::Ok();
}

std::string StoreMetaText(const Flags& flags) {
  return "binlogs=" + std::to_string(flags.binlogs) + " seed=" + std::to_string(flags.seed) +
         "\n";
}

// True when --data-dir already holds a finished store built with the same size and seed.
bool StoreIsReusable(const Flags& flags) {
  std::ifstream in(fs::path(flags.data_dir) / kStoreMetaName);
  std::string line;
  return in && std::getline(in, line) && line + "\n" == StoreMetaText(flags) &&
         fs::exists(fs::path(flags.data_dir) / kIndexTsListName);
}

// Empties --data-dir for a build, refusing a non-empty directory that is not ours.
Status PrepareDataDir(const Flags& flags) {
  const fs::path dir(flags.data_dir);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return Status::IoError("create " + dir.string() + ": " + error.message());
  const bool ours = fs::exists(dir / kStoreMetaName) || fs::exists(dir / kBuildingMarkerName);
  if (!ours && !fs::is_empty(dir)) {
    return Status::InvalidArgument(dir.string() +
                                   " is not empty and holds no bench store; not wiping it");
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    fs::remove_all(entry.path(), error);
    if (error) return Status::IoError("remove " + entry.path().string() + ": " + error.message());
  }
  return WriteTextFile(dir / kBuildingMarkerName, StoreMetaText(flags));
}

// Writes one batch and remembers its index ts (key-0 TiDB rollbacks are not lookups).
Status WriteBuildBatch(RocksDbBinlogStore& store, std::vector<binlog::Binlog>* batch,
                       std::vector<int64_t>* index_ts) {
  BINLOG_RETURN_IF_ERROR(store.WriteBatch(*batch));
  for (const binlog::Binlog& binlog : *batch) {
    const int64_t ts = BinlogIndexTs(binlog);
    if (ts != 0) index_ts->push_back(ts);
  }
  batch->clear();
  return Status::Ok();
}

// Fills the store with the seeded stream; returns the stored index ts.
Result<std::vector<int64_t>> FillStore(const Flags& flags, RocksDbBinlogStore& store) {
  workload::BinlogGeneratorOptions options;
  options.seed = flags.seed;
  workload::BinlogGenerator generator(options);
  std::vector<int64_t> index_ts;
  index_ts.reserve(static_cast<size_t>(flags.binlogs));
  std::vector<binlog::Binlog> batch;
  for (int64_t i = 0; i < flags.binlogs; ++i) {
    batch.push_back(generator.Next());
    if (batch.size() == kBuildBatchBinlogs) {
      BINLOG_RETURN_IF_ERROR(WriteBuildBatch(store, &batch, &index_ts));
    }
    if ((i + 1) % kBuildProgressBinlogs == 0) spdlog::info("built {} binlogs", i + 1);
  }
  for (binlog::Binlog& binlog : generator.FinishOpenTransactions()) {
    batch.push_back(std::move(binlog));
  }
  if (!batch.empty()) BINLOG_RETURN_IF_ERROR(WriteBuildBatch(store, &batch, &index_ts));
  return index_ts;
}

std::string StoreDir(const Flags& flags) {
  return (fs::path(flags.data_dir) / kStoreDirName).string();
}

Status BuildStore(const Flags& flags) {
  BINLOG_RETURN_IF_ERROR(PrepareDataDir(flags));
  RocksDbBinlogStoreOptions options;
  options.data_dir = StoreDir(flags);
  // Building is not what is measured; the value log reaches the disk at Close anyway.
  options.sync = false;
  Result<std::unique_ptr<RocksDbBinlogStore>> store = RocksDbBinlogStore::Open(options);
  if (!store.ok()) return store.status();
  Result<std::vector<int64_t>> index_ts = FillStore(flags, **store);
  BINLOG_RETURN_IF_ERROR((*store)->Close());
  if (!index_ts.ok()) return index_ts.status();

  std::string list;
  for (int64_t ts : *index_ts) list += std::to_string(ts) + "\n";
  const fs::path dir(flags.data_dir);
  BINLOG_RETURN_IF_ERROR(WriteTextFile(dir / kIndexTsListName, list));
  std::error_code error;
  fs::rename(dir / kBuildingMarkerName, dir / kStoreMetaName, error);
  if (error) return Status::IoError("rename build marker: " + error.message());
  spdlog::info("store built: {} binlogs, {} index ts", flags.binlogs, index_ts->size());
  return Status::Ok();
}

// Opens the store for serving (sync on, as a pump), building it first when missing or built
// with other flags. A reused store that does not open (e.g. one written in an older
// RocksDbBinlogStore layout) is rebuilt once: it is derived data, and its meta file shows
// the directory is ours.
Result<std::unique_ptr<RocksDbBinlogStore>> OpenBenchStore(const Flags& flags) {
  const bool reusing = StoreIsReusable(flags);
  if (!reusing) BINLOG_RETURN_IF_ERROR(BuildStore(flags));
  RocksDbBinlogStoreOptions options;
  options.data_dir = StoreDir(flags);
  Result<std::unique_ptr<RocksDbBinlogStore>> store = RocksDbBinlogStore::Open(options);
  if (store.ok() || !reusing) return store;
  spdlog::warn("the kept store does not open ({}); rebuilding it", store.status().ToString());
  BINLOG_RETURN_IF_ERROR(BuildStore(flags));
  return RocksDbBinlogStore::Open(options);
}

Result<std::vector<int64_t>> ReadIndexTs(const Flags& flags) {
  const fs::path path = fs::path(flags.data_dir) / kIndexTsListName;
  std::ifstream in(path);
  if (!in) return Status::IoError("open " + path.string());
  std::vector<int64_t> index_ts;
  int64_t ts = 0;
  while (in >> ts) index_ts.push_back(ts);
  if (!in.eof()) return Status::Corruption("bad ts list " + path.string());
  if (index_ts.empty()) return Status::Corruption("empty ts list " + path.string());
  return index_ts;
}

// GET /bench/const/{size}: `size` bytes of 'x' as a fmt.Fprint text body, as the pump's
// text handlers answer. The body is built per request, as theirs is.
HttpResponse HandleConstBody(std::string_view raw_size) {
  Result<int64_t> size = ParseGoInt64(raw_size);
  if (!size.ok() || *size < 0 || *size > kConstBodyBytesMax) {
    HttpResponse refused = TextResponse("bad size: " + std::string(raw_size) + "\n");
    refused.result(boost::beast::http::status::bad_request);
    return refused;
  }
  return TextResponse(std::string(static_cast<size_t>(*size), 'x'));
}

// One reference pump under the wall-clock driver, as the runtime's PumpHost, but on a store
// built above and with the bench route added to its router.
class BenchPumpHost final : public NodeHost {
 public:
  // Takes over `store` (closed when the pump stops or the host goes).
  static Result<std::shared_ptr<BenchPumpHost>> Start(
      boost::asio::io_context& io, WallClock& clock, Registry& registry, TsoSource& tso,
      std::unique_ptr<RocksDbBinlogStore> store, const Flags& flags, uint16_t port,
      FinishedCallback on_finished) {
    std::shared_ptr<BenchPumpHost> host(
        new BenchPumpHost(io, clock, flags.host, port, std::move(on_finished)));
    host->store_ = std::move(store);
    PumpOptions options;
    options.node_id = kBenchNodeId;
    options.advertise_addr = host->address();
    options.cluster_id = kBenchClusterId;
    options.gc_retention_ms = kBenchGcRetentionMilliseconds;
    BINLOG_RETURN_IF_ERROR(ValidatePumpOptions(options));
    host->node_ = std::make_unique<PumpNode>(options, *host->store_, registry, tso,
                                             host->metrics_);
    BINLOG_RETURN_IF_ERROR(host->node_->Start(clock.NowMs()));

    Router router = MakePumpRouter(*host->node_);
    router.Add(boost::beast::http::verb::get, "/bench/const/{size}",
               [](const HttpRequest&, const PathParams& params) {
                 return HandleConstBody(params.Get("size"));
               });
    BINLOG_RETURN_IF_ERROR(host->StartServing(std::move(router), flags.host));
    host->Drive();
    return host;
  }

  ~BenchPumpHost() override { ReleaseResources(); }

  NodeKind kind() const override { return NodeKind::kPump; }
  const std::string& node_id() const override { return node_->node_id(); }
  NodeState state() const override { return node_->state(); }
  PumpNode& node() { return *node_; }

 protected:
  void NodeOnTimer(int64_t now_ms) override { node_->OnTimer(now_ms); }
  int64_t NodeNextTimerMs() const override { return node_->NextTimerMs(); }
  bool NodeStopped() const override { return node_->Stopped(); }
  void NodeShutdown(int64_t now_ms) override { node_->Shutdown(now_ms); }
  void ReleaseResources() override {
    if (!store_) return;
    const Status closed = store_->Close();
    if (!closed.ok()) spdlog::error("close bench store: {}", closed.message());
  }

 private:
  BenchPumpHost(boost::asio::io_context& io, WallClock& clock, const std::string& host,
                uint16_t port, FinishedCallback on_finished)
      : NodeHost(io, clock, host + ":" + std::to_string(port), port, std::move(on_finished)) {}

  std::unique_ptr<RocksDbBinlogStore> store_;
  PumpMetrics metrics_;
  std::unique_ptr<PumpNode> node_;
};

// NodeHost serves on a concrete port; for --port 0 the kernel picks a free one here. Another
// process could take it before the server binds it again; the server then fails to start.
Result<uint16_t> ResolvePort(const Flags& flags) {
  if (flags.port != 0) return flags.port;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, {boost::asio::ip::make_address(flags.host), 0});
    return acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& error) {
    return Status::IoError(std::string("pick a free port: ") + error.what());
  }
}

// CPU time of fn(i) for every i in [begin, end), in microseconds.
template <typename Fn>
double CpuMicrosOf(size_t begin, size_t end, Fn&& fn) {
  const double start = ThreadCpuSeconds();
  for (size_t i = begin; i < end; ++i) fn(i);
  return (ThreadCpuSeconds() - start) * kMicrosPerSecond;
}

// The handler CPU pass (see the file comment): logs per-call thread CPU of the lookup
// handler, of the store's Lookup alone and of the const handler of the same body sizes.
void LogHandlerCpu(PumpNode& node, const std::vector<int64_t>& ts,
                   const std::vector<size_t>& sizes) {
  double handler = 0, lookup = 0, constant = 0;
  size_t body_bytes = 0;  // keeps the calls' results observable
  for (size_t begin = 0; begin < ts.size(); begin += kHandlerCpuBlockCalls) {
    const size_t end = std::min(ts.size(), begin + kHandlerCpuBlockCalls);
    handler += CpuMicrosOf(begin, end, [&](size_t i) {
      body_bytes += HandlePumpBinlogByTs(node, std::to_string(ts[i])).body().size();
    });
    lookup += CpuMicrosOf(begin, end, [&](size_t i) {
      body_bytes += node.store().Lookup(ts[i]).ok();
    });
    constant += CpuMicrosOf(begin, end, [&](size_t i) {
      body_bytes += HandleConstBody(std::to_string(sizes[i])).body().size();
    });
  }
  const double n = static_cast<double>(ts.size());
  spdlog::info("handler CPU per call over {} ts: lookup route {:.2f} us (store Lookup {:.2f} us), "
               "const route {:.2f} us, const/lookup {:.3f}x ({} body bytes)",
               ts.size(), handler / n, lookup / n, constant / n, constant / handler, body_bytes);
}

// Writes the four path files (see the file comment), checking every sampled lookup.
Status WritePathFiles(const Flags& flags, PumpNode& node, const std::vector<int64_t>& index_ts) {
  workload::Prng prng(flags.seed);
  std::string lookup;
  std::string lookup_const;
  std::vector<int64_t> sampled;
  std::vector<size_t> sizes;
  for (int64_t i = 0; i < flags.sample; ++i) {
    const int64_t ts = index_ts[prng.Below(index_ts.size())];
    const HttpResponse response = HandlePumpBinlogByTs(node, std::to_string(ts));
    if (response.body().starts_with("fail read binlog")) {
      return Status::Corruption("listed ts " + std::to_string(ts) + ": " + response.body());
    }
    sampled.push_back(ts);
    sizes.push_back(response.body().size());
    lookup += "/debug/binlog/" + std::to_string(ts) + "\n";
    lookup_const += "/bench/const/" + std::to_string(response.body().size()) + "\n";
  }
  LogHandlerCpu(node, sampled, sizes);
  const size_t status_bytes = HandlePumpStatus(node).body().size();
  const fs::path dir(flags.out_dir);
  BINLOG_RETURN_IF_ERROR(WriteTextFile(dir / "lookup.paths", lookup));
  BINLOG_RETURN_IF_ERROR(WriteTextFile(dir / "lookup-const.paths", lookup_const));
  BINLOG_RETURN_IF_ERROR(WriteTextFile(dir / "status.paths", "/status\n"));
  BINLOG_RETURN_IF_ERROR(WriteTextFile(dir / "status-const.paths",
                                       "/bench/const/" + std::to_string(status_bytes) + "\n"));
  std::sort(sizes.begin(), sizes.end());
  spdlog::info("lookup body bytes over {} sampled ts: p50 {}, p90 {}, max {}; /status {}",
               sizes.size(), sizes[sizes.size() / 2], sizes[sizes.size() * 9 / 10],
               sizes.back(), status_bytes);
  return Status::Ok();
}

void AddFlags(CLI::App& app, Flags& flags) {
  app.add_option("--data-dir", flags.data_dir, "where the store is built and kept")->required();
  app.add_option("--out-dir", flags.out_dir, "where the path files and the port file go")
      ->required();
  app.add_option("--host", flags.host, "listen address");
  app.add_option("--port", flags.port, "listen port (0: a free one, see <out-dir>/port)");
  app.add_option("--binlogs", flags.binlogs, "binlogs in the store")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  app.add_option("--sample", flags.sample, "lookup paths written for wrk")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  app.add_option("--seed", flags.seed, "generator and sampling seed");
}

Status Serve(const Flags& flags) {
  std::error_code error;
  fs::create_directories(flags.out_dir, error);
  if (error) return Status::IoError("create " + flags.out_dir + ": " + error.message());
  fs::remove(fs::path(flags.out_dir) / "port", error);  // a stale one would mean "ready"
  Result<std::unique_ptr<RocksDbBinlogStore>> store = OpenBenchStore(flags);
  if (!store.ok()) return store.status();
  Result<std::vector<int64_t>> index_ts = ReadIndexTs(flags);
  if (!index_ts.ok()) return index_ts.status();
  Result<uint16_t> port = ResolvePort(flags);
  if (!port.ok()) return port.status();

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  WallClock clock;
  SystemTsoSource tso(clock);
  MemoryRegistry registry;
  Result<std::shared_ptr<BenchPumpHost>> host =
      BenchPumpHost::Start(io, clock, registry, tso, std::move(store).value(), flags, *port,
                           [&signals](NodeHost&) { signals.cancel(); });
  if (!host.ok()) return host.status();
  BINLOG_RETURN_IF_ERROR(WritePathFiles(flags, (*host)->node(), *index_ts));
  signals.async_wait([host = *host](const boost::system::error_code& error, int) {
    if (!error) host->Shutdown();
  });
  BINLOG_RETURN_IF_ERROR(
      WriteTextFile(fs::path(flags.out_dir) / "port", std::to_string(*port) + "\n"));
  spdlog::info("serving on {}:{}", flags.host, *port);
  io.run();  // until a signal stops the pump and its connections are done
  return Status::Ok();
}

int Main(int argc, char** argv) {
  CLI::App app{"http-bench-server: a reference pump on a seeded store, for wrk"};
  Flags flags;
  AddFlags(app, flags);
  CLI11_PARSE(app, argc, argv);
  const Status served = Serve(flags);
  if (!served.ok()) {
    spdlog::error("http-bench-server: {}", served.ToString());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tidb_binlog::bench

int main(int argc, char** argv) { return tidb_binlog::bench::Main(argc, argv); }
