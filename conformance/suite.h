// The conformance suite: runs every check of the chosen profile against pump and drainer
// targets and returns one CheckResult per check (the ledger is applied by the caller).
//
// Profiles (CONFORMANCE.md §4.7, issue 5 §3):
//   smoke           status, content type and body shape of the read-only GETs, and the
//                   doc-example checks (seconds; safe on production)
//   portable        (default) what the public doc promises, read-only and safe against a
//                   production cluster: value rules, cross-endpoint agreement, /metrics,
//                   the bad-input matrix (none of it changes a node's state)
//   upstream-exact  portable plus byte compatibility with upstream: exact content types,
//                   body bytes (compact/indented forms, trailing newlines, key order), error
//                   texts typos included, raw transport replies, the metric catalogue's
//                   never-exposed families and promtool's lint baseline
//   disruptive      portable plus the stateful scenarios (GC trigger, write binlogs and read
//                   them back, pause a pump, pause the drainer, close a pump): they change
//                   data and shut nodes down, so run them only on a disposable cluster, last
// Checks run in that order: doc, endpoints, metrics, cross-endpoint, bad input, scenarios.
// Every wait is bounded by SuiteOptions::settle_timeout.
//
// Thread safety: a Suite is used by one thread; targets must not be shared with another
// running suite.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/api_spec.h"
#include "conformance/binlog_writer.h"
#include "conformance/result.h"
#include "conformance/target.h"
#include "reference/core/status.h"

namespace tidb_binlog::conformance {

enum class Profile { kSmoke, kPortable, kUpstreamExact, kDisruptive };
Result<Profile> ParseProfile(std::string_view name);
const char* ProfileName(Profile profile);

// How far ahead of the checker's clock a TSO's physical time may be (clock skew between the
// checker and PD).
inline constexpr int64_t kDefaultTsoSkewMilliseconds = 10 * 60'000;

struct SuiteOptions {
  Profile profile = Profile::kPortable;
  int64_t tso_skew_ms = kDefaultTsoSkewMilliseconds;
  // Cross-endpoint checks retry until they agree, and scenarios wait for a state, at most
  // this long (heartbeats and drainer refreshes take seconds upstream).
  std::chrono::milliseconds settle_timeout = std::chrono::seconds(30);
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(250);
  // The checker's wall clock in Unix ms (TSO plausibility). Defaults to the system clock.
  std::function<int64_t()> now_ms;
  // Sleeps between polls; in-process runs pass a function that advances simulated time.
  std::function<void(std::chrono::milliseconds)> sleep;
  // The cluster id the write scenario's binlogs carry over gRPC (PD's cluster id upstream).
  uint64_t cluster_id = kDefaultClusterId;
  // How the write scenario writes to each pump. Unset: over gRPC to TCP targets (those with
  // raw bytes) with cluster_id; other targets are skipped.
  BinlogWriterFactory binlog_writer;
  // The cluster's own TSO source (PD), when the suite can reach it (in process, simulated):
  // the write scenario then takes its start and commit ts from it, as TiDB does. Unset: ts
  // derived from the checker's clock and the pump's maxCommitTS (TCP targets).
  std::function<int64_t()> tso;
};

struct SuiteTargets {
  std::vector<Target*> pumps;  // at least one
  Target* drainer = nullptr;   // optional: drainer checks are skipped without it
};

// Runs the profile's checks; `spec` and the targets must outlive the call.
std::vector<CheckResult> RunSuite(const ApiSpec& spec, const SuiteTargets& targets,
                                  const SuiteOptions& options);

}  // namespace tidb_binlog::conformance
