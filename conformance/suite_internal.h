// Shared machinery of the suite's check modules (suite.cc, doc_checks.cc,
// endpoint_checks.cc, metrics_checks.cc, cross_checks.cc, bad_input.cc, scenarios.cc).
// Not a public interface: only those files include it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "conformance/api_spec.h"
#include "conformance/json_shape.h"
#include "conformance/result.h"
#include "conformance/suite.h"
#include "conformance/target.h"

namespace tidb_binlog::conformance {

// Which profiles run a check: kSmoke checks run in every profile; kPortable in all but
// smoke; kExact only in upstream-exact; kDisruptive only in disruptive.
enum class Level { kSmoke, kPortable, kExact, kDisruptive };

struct SuiteContext {
  SuiteContext(const ApiSpec& spec, const SuiteTargets& targets, const SuiteOptions& options);

  bool Enabled(Level level) const;
  // Records one check when its level is enabled. `exchange` gives the reproducer.
  void Record(Level level, std::string id, const std::string& target, bool ok,
              std::string expected, std::string actual, std::string reference,
              const Exchange* exchange = nullptr);
  void Skip(Level level, std::string id, const std::string& target, std::string reason);
  TsoRule Tso() const;
  // Polls `done` until it returns true or settle_timeout passes; returns its last answer.
  bool WaitUntil(const std::function<bool()>& done);

  Exchange Call(Target& target, std::string_view method, std::string_view path,
                std::string body = {});
  // "pump http://127.0.0.1:8250".
  std::string Label(const Target& target) const;

  const ApiSpec& spec;
  SuiteTargets targets;
  SuiteOptions options;
  std::vector<CheckResult> results;
};

// Judges a response against `endpoint`: checks `<prefix>.status`, `.content-type`,
// `.content-type-exact`, `.json`, `.shape`, `.values`, `.tso`, `.key-order`, `.extra-keys`,
// `.body-bytes` (JSON) or `.body` (text), each at its level. Returns the parsed JSON body
// when there is one.
std::optional<boost::json::value> JudgeExchange(SuiteContext& ctx, const EndpointSpec& endpoint,
                                                const std::string& prefix, const Target& target,
                                                const Exchange& exchange);

// A curl command reproducing the exchange.
Reproducer MakeReproducer(const Exchange& exchange);
// "HTTP 200, Content-Type: ..., body: ..." (or "no reply: ...").
std::string DescribeResponse(const Exchange& exchange);
// The body as JSON (integers exact), or nullopt.
std::optional<boost::json::value> ParseJsonBody(std::string_view body);
// The Content-Type header ("" when absent).
std::string ContentType(const HttpResponse& response);

// The node id of a pump target: the record in its own /status whose host is the target's
// authority; or the only record when there is just one.
std::optional<std::string> DiscoverPumpNodeId(SuiteContext& ctx, Target& pump);
// The drainer's node id, from the first pump's /drainers (host match, or the only
// non-offline drainer).
std::optional<std::string> DiscoverDrainerNodeId(SuiteContext& ctx);

// Pump /status records by node id (empty when the body is not the expected shape).
std::map<std::string, boost::json::object> PumpRecords(const boost::json::value& status);

void RunDocExampleChecks(SuiteContext& ctx);
void RunEndpointChecks(SuiteContext& ctx);
void RunMetricsChecks(SuiteContext& ctx);
void RunCrossChecks(SuiteContext& ctx);
void RunBadInputChecks(SuiteContext& ctx);
void RunScenarios(SuiteContext& ctx);

}  // namespace tidb_binlog::conformance
