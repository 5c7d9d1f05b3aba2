// http_text_bench: the in-process part of GET /debug/binlog/{ts} that is ours rather than the
// store's or the network's: decoding a stored binlog and printing the body (DebugBinlogText,
// reference/core/binlog_text.h), next to what the constant route of the HTTP benchmark does
// per request for the same body sizes (fill a string). The HTTP benchmark (run_http_bench.sh)
// measures the whole request but moves with the load on a shared box; this one isolates the
// body's CPU so that changes to it can be compared run to run.
//
// Data: the http-bench-server's binlog stream (binlog_workload, same seed, default row
// sizes), encoded as the store keeps them. Before timing, every body is checked against the
// body composed from the public text functions (BinlogText, PrewriteValueText), which print
// every row afresh; a mismatch fails the run (and the smoke test).
//
// Reported per benchmark: items_per_second (binlogs) and bytes_per_second (body bytes), on
// thread CPU time (Google Benchmark's default).
//
// Flags (removed before Google Benchmark sees argv): --smoke (a small stream: checks the
// harness, not speed; also BINLOG_BENCH_SMOKE=1), --binlogs=<n> (default 20,000).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "benchmarks/workload/binlog_generator.h"
#include "reference/core/binlog_codec.h"
#include "reference/core/binlog_text.h"
#include "reference/core/octal_escape.h"

namespace tidb_binlog::bench {
namespace {

// Enough binlogs that the body sizes follow the workload's distribution (p90 ~50 KB).
constexpr int64_t kDefaultBinlogs = 20'000;
constexpr int64_t kSmokeBinlogs = 200;
// http-bench-server's seed, so both benchmarks print the same kind of bodies.
constexpr uint64_t kSeed = 20'240'601;

int64_t binlog_count = kDefaultBinlogs;
int failures = 0;

struct Stream {
  std::vector<std::string> encoded;  // as RocksDbBinlogStore keeps a binlog
  std::vector<size_t> body_bytes;    // DebugBinlogText's size for each
  std::vector<std::string> values;   // each binlog's prewrite_value
  size_t total_body_bytes = 0;
};

// The body as the spec composes it; DebugBinlogText must equal it byte for byte.
std::string ComposedBody(const binlog::Binlog& b) {
  std::string body = BinlogText(b);
  if (!b.prewrite_value().empty()) {
    Result<binlog::PrewriteValue> value = DecodePrewriteValue(b.prewrite_value());
    body += value.ok() ? "\n\n PrewriteValue: \n" + PrewriteValueText(*value)
                       : std::string("\n\n PrewriteValue: <Unmarshallable>\n");
  }
  if (!b.prewrite_key().empty()) body += "\n\n GetMvccByEncodedKey: \n";
  return body;
}

// Built and checked once, on first use.
const Stream& GetStream() {
  static const Stream stream = [] {
    Stream s;
    workload::BinlogGeneratorOptions options;
    options.seed = kSeed;
    workload::BinlogGenerator generator(options);
    for (int64_t i = 0; i < binlog_count; ++i) {
      const binlog::Binlog b = generator.Next();
      const std::string body = DebugBinlogText(b);
      if (body != ComposedBody(b)) {
        std::fprintf(stderr, "http_text_bench: body of binlog %lld differs from the composed "
                     "text\n", static_cast<long long>(i));
        ++failures;
      }
      s.encoded.push_back(EncodeBinlog(b));
      s.values.push_back(b.prewrite_value());
      s.body_bytes.push_back(body.size());
      s.total_body_bytes += body.size();
    }
    return s;
  }();
  return stream;
}

// What the lookup handler does after the store read: decode, print the body.
void BM_DecodeAndDebugBody(benchmark::State& state) {
  const Stream& stream = GetStream();
  for (auto _ : state) {
    for (const std::string& encoded : stream.encoded) {
      Result<binlog::Binlog> b = DecodeBinlog(encoded);
      std::string body = DebugBinlogText(*b);
      benchmark::DoNotOptimize(body.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stream.encoded.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.total_body_bytes));
}
BENCHMARK(BM_DecodeAndDebugBody)->Unit(benchmark::kMillisecond);

// The body's inner loop alone: escaping every binlog's prewrite_value (octal_escape.h).
void BM_OctalEscape(benchmark::State& state) {
  const Stream& stream = GetStream();
  size_t largest = 0;
  for (const std::string& value : stream.values) largest = std::max(largest, value.size());
  std::vector<char> buffer(OctalEscapeBufferBytes(largest));
  int64_t value_bytes = 0;
  for (auto _ : state) {
    for (const std::string& value : stream.values) {
      char* end = EscapeOctalTo(value.data(), value.size(), buffer.data());
      benchmark::DoNotOptimize(end);
      value_bytes += static_cast<int64_t>(value.size());
    }
  }
  state.SetBytesProcessed(value_bytes);
}
BENCHMARK(BM_OctalEscape)->Unit(benchmark::kMillisecond);

// What the constant route's handler does for the same body sizes.
void BM_ConstBody(benchmark::State& state) {
  const Stream& stream = GetStream();
  for (auto _ : state) {
    for (size_t size : stream.body_bytes) {
      std::string body(size, 'x');
      benchmark::DoNotOptimize(body.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stream.body_bytes.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.total_body_bytes));
}
BENCHMARK(BM_ConstBody)->Unit(benchmark::kMillisecond);

// Applies and removes our flags from argv; exits on a malformed value.
void ParseFlags(int* argc, char** argv) {
  const char* env = std::getenv("BINLOG_BENCH_SMOKE");
  if (env != nullptr && std::strcmp(env, "1") == 0) binlog_count = kSmokeBinlogs;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--smoke") == 0) {
      binlog_count = kSmokeBinlogs;
    } else if (std::strncmp(arg, "--binlogs=", 10) == 0) {
      char* end = nullptr;
      const long long value = std::strtoll(arg + 10, &end, 10);
      if (*end != '\0' || value <= 0) {
        std::fprintf(stderr, "http_text_bench: bad %s\n", arg);
        std::exit(2);
      }
      binlog_count = value;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
}

}  // namespace
}  // namespace tidb_binlog::bench

int main(int argc, char** argv) {
  tidb_binlog::bench::ParseFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return tidb_binlog::bench::failures == 0 ? 0 : 1;
}
