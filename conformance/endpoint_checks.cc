// Per-endpoint checks of the read-only GETs on every target (status, content type, body
// shape and bytes via JudgeExchange), plus the value rules that need the body's meaning:
// the target's own record, maxCommitTS <= CommitTS, a healthy ErrMsg, and /debug/binlog
// finding the binlog at a pump's own maxCommitTS.
#include "conformance/suite_internal.h"

namespace tidb_binlog::conformance {
namespace {

namespace json = boost::json;

int64_t IntOr(const json::object& o, const char* key, int64_t fallback) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : fallback;
}

void CheckPumpStatusValues(SuiteContext& ctx, Target& pump, const Exchange& x,
                           const json::value& body) {
  const EndpointSpec& e = ctx.spec.Endpoint("pump.status");
  const std::string label = ctx.Label(pump);
  const json::object* root = body.if_object();
  if (root == nullptr) return;
  const json::value* err = root->if_contains("ErrMsg");
  const json::value* status = root->if_contains("status");
  const bool healthy = err != nullptr && err->is_string() && err->as_string().empty() &&
                       status != nullptr && status->is_object();
  ctx.Record(Level::kPortable, "pump.status.healthy", label, healthy,
             "ErrMsg \"\" and a status map (the registry and PD answer)", DescribeResponse(x),
             e.upstream_ref, &x);
  const int64_t commit_ts = IntOr(*root, "CommitTS", 0);
  std::string late;
  for (const auto& [id, record] : PumpRecords(body)) {
    const int64_t max_commit_ts = IntOr(record, "maxCommitTS", 0);
    if (max_commit_ts > commit_ts) late += id + " maxCommitTS " + std::to_string(max_commit_ts) + "; ";
  }
  ctx.Record(Level::kPortable, "pump.status.max-commit-ts", label, late.empty(),
             "every maxCommitTS <= CommitTS " + std::to_string(commit_ts) +
                 " (CommitTS is a fresh TSO taken after the records were written)",
             late.empty() ? "all within" : late, e.upstream_ref, &x);
  std::optional<std::string> own = DiscoverPumpNodeId(ctx, pump);
  if (!own) {
    ctx.Skip(Level::kPortable, "pump.status.own-node", label,
             "no record's host is " + pump.Authority() + " and several pumps are listed");
    return;
  }
  auto records = PumpRecords(body);
  auto it = records.find(*own);
  const json::value* state = it == records.end() ? nullptr : it->second.if_contains("state");
  const bool online = state != nullptr && state->is_string() && state->as_string() == "online";
  ctx.Record(Level::kPortable, "pump.status.own-node", label, online,
             "its own record " + *own + " listed, state online",
             state ? JsonText(*state) : std::string("not listed"), e.upstream_ref, &x);
}

void CheckDebugBinlog(SuiteContext& ctx, Target& pump, const json::value& status) {
  const EndpointSpec& e = ctx.spec.Endpoint("pump.debug-binlog");
  const std::string label = ctx.Label(pump);
  std::optional<std::string> own = DiscoverPumpNodeId(ctx, pump);
  auto records = PumpRecords(status);
  if (!own || !records.count(*own) || IntOr(records[*own], "maxCommitTS", 0) <= 0) {
    ctx.Skip(Level::kPortable, "pump.debug-binlog.found", label,
             "the pump has no maxCommitTS to look up yet");
    return;
  }
  const std::string ts = std::to_string(IntOr(records[*own], "maxCommitTS", 0));
  Exchange x = ctx.Call(pump, "GET", "/debug/binlog/" + ts);
  JudgeExchange(ctx, e, "pump.debug-binlog", pump, x);
  const bool found = x.response && x.response->body().find("commit_ts:" + ts) != std::string::npos;
  ctx.Record(Level::kPortable, "pump.debug-binlog.found", label, found,
             "the binlog committed at its own maxCommitTS " + ts + " (`commit_ts:" + ts + "`)",
             DescribeResponse(x), e.upstream_ref, &x);
}

void CheckPump(SuiteContext& ctx, Target& pump) {
  Exchange status = ctx.Call(pump, "GET", "/status");
  std::optional<json::value> body =
      JudgeExchange(ctx, ctx.spec.Endpoint("pump.status"), "pump.status", pump, status);
  if (body) {
    CheckPumpStatusValues(ctx, pump, status, *body);
    CheckDebugBinlog(ctx, pump, *body);
  }
  Exchange drainers = ctx.Call(pump, "GET", "/drainers");
  JudgeExchange(ctx, ctx.spec.Endpoint("pump.drainers"), "pump.drainers", pump, drainers);
}

void CheckDrainer(SuiteContext& ctx, Target& drainer) {
  Exchange status = ctx.Call(drainer, "GET", "/status");
  JudgeExchange(ctx, ctx.spec.Endpoint("drainer.status"), "drainer.status", drainer, status);
  Exchange commit_ts = ctx.Call(drainer, "GET", "/commit_ts");
  JudgeExchange(ctx, ctx.spec.Endpoint("drainer.commit-ts"), "drainer.commit-ts", drainer,
                commit_ts);
}

}  // namespace

void RunEndpointChecks(SuiteContext& ctx) {
  for (Target* pump : ctx.targets.pumps) CheckPump(ctx, *pump);
  if (ctx.targets.drainer != nullptr) {
    CheckDrainer(ctx, *ctx.targets.drainer);
  } else {
    ctx.Skip(Level::kSmoke, "drainer.status.status", "drainer", "no --drainer given");
  }
}

}  // namespace tidb_binlog::conformance
