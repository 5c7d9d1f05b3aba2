#include "reference/pump/pump_http.h"

#include <limits>
#include <string>
#include <vector>

#include "reference/core/api_response.h"
#include "reference/core/binlog_text.h"

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;

// What a registry or PD call answers upstream once the server context is cancelled.
constexpr std::string_view kContextCanceled = "context canceled";
// TriggerGC's two answers (fmt.Fprintln, hence the newline).
constexpr std::string_view kTriggerGcSuccess = "trigger gc success\n";
constexpr std::string_view kGcIsWorking = "gc is working\n";

}  // namespace

Result<int64_t> ParseGoInt64(std::string_view text) {
  // Built only on failure: every GET /debug/binlog/{ts} parses its ts here.
  const auto invalid = [text] {
    return Status::InvalidArgument("strconv.ParseInt: parsing \"" + std::string(text) +
                                   "\": invalid syntax");
  };
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return invalid();
  // Accumulate the magnitude as unsigned: -2^63 is in range, +2^63 is not.
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return invalid();
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) overflow = true;
    if (!overflow) magnitude = magnitude * 10 + digit;
  }
  if (overflow) {
    return Status::InvalidArgument("strconv.ParseInt: parsing \"" + std::string(text) +
                                   "\": value out of range");
  }
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                          : -static_cast<int64_t>(magnitude);
}

HttpResponse HandlePumpStatus(PumpNode& node) {
  if (node.ShuttingDown()) return EncoderJsonResponse(PumpStatusErrorBody(kContextCanceled));
  Result<std::vector<NodeStatus>> pumps = node.registry().ListNodes(NodeKind::kPump);
  if (!pumps.ok()) return EncoderJsonResponse(PumpStatusErrorBody(pumps.status().message()));
  Result<int64_t> commit_ts = node.tso().GetTs();
  if (!commit_ts.ok()) {
    return EncoderJsonResponse(PumpStatusErrorBody(commit_ts.status().message()));
  }
  return EncoderJsonResponse(PumpStatusBody(*pumps, *commit_ts));
}

HttpResponse HandlePumpApplyAction(PumpNode& node, std::string_view node_id,
                                   std::string_view action) {
  const ApplyActionResult result = node.ApplyAction(node_id, action);
  return RenderJsonResponse(result.accepted ? SuccessResponseBody(result.message)
                                            : ErrorResponseBody(result.message));
}

HttpResponse HandlePumpDrainers(PumpNode& node) {
  if (node.ShuttingDown()) return EncoderJsonResponse(DrainersBody({}));
  Result<std::vector<NodeStatus>> drainers = node.registry().ListNodes(NodeKind::kDrainer);
  // Upstream logs "get pumps failed" and still encodes its nil slice.
  if (!drainers.ok()) return EncoderJsonResponse(DrainersBody({}));
  return EncoderJsonResponse(DrainersBody(*drainers));
}

HttpResponse HandlePumpBinlogByTs(PumpNode& node, std::string_view raw_ts) {
  Result<int64_t> ts = ParseGoInt64(raw_ts);
  if (!ts.ok()) return TextResponse("invalid parameter ts: " + std::string(raw_ts));
  Result<binlog::Binlog> found = node.store().Lookup(*ts);
  if (!found.ok()) {
    return TextResponse("fail read binlog by ts: " + std::to_string(*ts) + ": " +
                        found.status().message());
  }
  return TextResponse(DebugBinlogText(*found));
}

HttpResponse HandlePumpTriggerGc(PumpNode& node) {
  return TextResponse(std::string(node.TriggerGc() ? kTriggerGcSuccess : kGcIsWorking));
}

HttpResponse HandlePumpMetrics(PumpNode& node) {
  return MetricsResponse(node.ExposeMetrics());
}

Router MakePumpRouter(PumpNode& node) {
  Router router;
  router.Add(http::verb::get, "/status",
             [&node](const HttpRequest&, const PathParams&) { return HandlePumpStatus(node); });
  router.Add(http::verb::put, "/state/{nodeID}/{action}",
             [&node](const HttpRequest&, const PathParams& params) {
               return HandlePumpApplyAction(node, params.Get("nodeID"), params.Get("action"));
             });
  router.Add(http::verb::get, "/drainers",
             [&node](const HttpRequest&, const PathParams&) { return HandlePumpDrainers(node); });
  router.Add(http::verb::get, "/debug/binlog/{ts}",
             [&node](const HttpRequest&, const PathParams& params) {
               return HandlePumpBinlogByTs(node, params.Get("ts"));
             });
  router.Add(http::verb::post, "/debug/gc/trigger",
             [&node](const HttpRequest&, const PathParams&) { return HandlePumpTriggerGc(node); });
  router.AddAnyMethod("/metrics", [&node](const HttpRequest&, const PathParams&) {
    return HandlePumpMetrics(node);
  });
  return router;
}

}  // namespace tidb_binlog
