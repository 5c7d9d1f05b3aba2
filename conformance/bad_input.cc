// The bad-input matrix (issue 5 §2, CONFORMANCE.md §4.5, UPSTREAM.md §1.2, §10): wrong node
// ids and odd actions on /state, malformed ts on /debug/binlog, every documented path with
// every undocumented method, unknown and non-canonical paths, oversized headers and bodies
// and malformed HTTP. Each case gets upstream's answer (status, and in upstream-exact the
// exact bytes), and after each one the target must still answer GET /status. None of the
// requests can change a node's state: /state requests carry a wrong node id or an action
// upstream refuses, which a final check confirms.
#include "conformance/suite_internal.h"
#include "reference/core/api_response.h"
#include "reference/http/go_http.h"

namespace tidb_binlog::conformance {
namespace {

// One KiB of action: longer than any action, short of any header limit.
constexpr size_t kLongActionBytes = 1024;
// Over Go's 1 MiB + 4 KiB header limit (reference/http/server.h kRequestHeaderBytesMax).
constexpr size_t kOversizedHeaderBytes = (size_t{1} << 20) + 8192;
// Over the 256 KiB Go discards of an unread body.
constexpr size_t kOversizedBodyBytes = size_t{1} << 20;

constexpr char kNotFoundBody[] = "404 page not found\n";
constexpr char kTextPlain[] = "text/plain; charset=utf-8";

struct Case {
  Case(std::string name_in, std::string method_in, std::string path_in, std::string body_in = {},
       unsigned status_in = 200, std::optional<std::string> exact_body_in = std::nullopt,
       std::optional<std::string> exact_content_type_in = std::nullopt)
      : name(std::move(name_in)), method(std::move(method_in)), path(std::move(path_in)),
        body(std::move(body_in)), status(status_in), exact_body(std::move(exact_body_in)),
        exact_content_type(std::move(exact_content_type_in)) {}

  std::string name;
  std::string method;
  std::string path;
  std::string body;
  unsigned status = 200;
  std::optional<std::string> exact_body;          // upstream-exact
  std::optional<std::string> exact_content_type;  // upstream-exact; "" = no header
  bool code3 = false;                             // a util.Response with code 3
  std::string location;                           // for 301
};

struct Service {
  std::string name;  // "pump" | "drainer"
  Target* target;
  std::string own_id;
};

std::string StateMessagePrefix(const Service& s) {
  return s.name == "pump" ? "invalide" : "invalid";
}

Case StateCase(const Service& s, std::string name, const std::string& node_path,
               const std::string& node, const std::string& action_path, const std::string& action) {
  Case c{std::move(name), "PUT", "/state/" + node_path + "/" + action_path};
  c.code3 = true;
  const std::string message =
      node != s.own_id ? StateMessagePrefix(s) + " nodeID " + node + ", this pump's nodeID is " + s.own_id
                       : StateMessagePrefix(s) + " action " + action;
  c.exact_body = ErrorResponseBody(message);
  c.exact_content_type = "application/json; charset=UTF-8";
  return c;
}

std::vector<Case> StateCases(const Service& s) {
  const std::string& own = s.own_id;
  const std::string wrong = own + "-not-this-node";
  const std::string long_action(kLongActionBytes, 'x');
  std::vector<Case> cases = {
      StateCase(s, "state-wrong-node", wrong, wrong, "pause", "pause"),
      StateCase(s, "state-wrong-node-stop", wrong, wrong, "stop", "stop"),
      StateCase(s, "state-action-stop", own, own, "stop", "stop"),
      StateCase(s, "state-action-uppercase", own, own, "PAUSE", "PAUSE"),
      StateCase(s, "state-action-long", own, own, long_action, long_action),
      StateCase(s, "state-action-percent-encoded", own, own, "st%6Fp", "stop"),
      StateCase(s, "state-action-utf8", own, own, "paus%C3%A9", "paus\xC3\xA9"),
      StateCase(s, "state-action-trailing-space", own, own, "pause%20", "pause "),
  };
  Case body = StateCase(s, "state-oversized-body", wrong, wrong, "pause", "pause");
  body.body = std::string(kOversizedBodyBytes, 'b');
  cases.push_back(body);
  cases.push_back({"state-missing-action", "PUT", "/state/" + own, "", 404, kNotFoundBody, kTextPlain});
  cases.push_back({"state-empty-action", "PUT", "/state/" + own + "/", "", 404, kNotFoundBody, kTextPlain});
  cases.push_back({"state-extra-segment", "PUT", "/state/" + own + "/pause/x", "", 404, kNotFoundBody, kTextPlain});
  return cases;
}

std::vector<Case> DebugBinlogCases() {
  std::vector<Case> cases;
  const std::pair<const char*, const char*> invalid[] = {
      {"abc", "abc"}, {"0x10", "0x10"}, {"99999999999999999999", "99999999999999999999"},
      {"9223372036854775808", "9223372036854775808"}, {"%201", " 1"}, {"1.5", "1.5"}};
  for (const auto& [raw, decoded] : invalid) {
    cases.push_back({std::string("debug-binlog-ts-") + raw, "GET", std::string("/debug/binlog/") + raw, "",
                     200, std::string("invalid parameter ts: ") + decoded, kTextPlain});
  }
  cases.push_back({"debug-binlog-ts-negative", "GET", "/debug/binlog/-1", "", 200,
                   "fail read binlog by ts: -1: leveldb: not found", kTextPlain});
  cases.push_back({"debug-binlog-ts-max", "GET", "/debug/binlog/9223372036854775807", "", 200,
                   "fail read binlog by ts: 9223372036854775807: leveldb: not found", kTextPlain});
  cases.push_back({"debug-binlog-ts-plus", "GET", "/debug/binlog/+9223372036854775806", "", 200,
                   "fail read binlog by ts: 9223372036854775806: leveldb: not found", kTextPlain});
  return cases;
}

// Every documented path with the methods it does not serve: 405, empty body, no
// Content-Type (gorilla). HEAD is not GET there.
std::vector<Case> MethodCases(SuiteContext& ctx, const Service& s) {
  std::vector<Case> cases;
  for (const EndpointSpec& e : ctx.spec.endpoints) {
    if (e.service != s.name || e.any_method) continue;
    std::string path = e.path;
    if (path.find("{NodeID}") != std::string::npos) path = "/state/" + s.own_id + "/pause";
    if (path.find("{ts}") != std::string::npos) path = "/debug/binlog/1";
    for (const char* method : {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"}) {
      if (e.method == method) continue;
      cases.push_back({e.id.substr(e.id.find('.') + 1) + "-method-" + method, method, path, "",
                       405, "", ""});
    }
  }
  return cases;
}

std::vector<Case> PathCases(const Service& s) {
  std::vector<Case> cases = {
      {"path-unknown", "GET", "/nope", "", 404, kNotFoundBody, kTextPlain},
      {"path-root", "GET", "/", "", 404, kNotFoundBody, kTextPlain},
      {"path-trailing-slash", "GET", "/status/", "", 404, kNotFoundBody, kTextPlain},
      {"path-metrics-trailing-slash", "GET", "/metrics/", "", 404, kNotFoundBody, kTextPlain},
      {"path-status-query", "GET", "/status?x=1", "", 200},
      {"path-status-with-body", "GET", "/status", "ignored", 200},
  };
  Case dbl{"path-double-slash", "GET", "//status", "", 301};
  dbl.location = "/status";
  dbl.exact_body = "<a href=\"/status\">Moved Permanently</a>.\n\n";
  dbl.exact_content_type = "text/html; charset=utf-8";
  Case dot = dbl;
  dot.name = "path-dot-segment";
  dot.path = "/./status";
  cases.push_back(dbl);
  cases.push_back(dot);
  if (s.name == "pump") {
    cases.push_back({"path-debug-binlog-empty-ts", "GET", "/debug/binlog/", "", 404, kNotFoundBody, kTextPlain});
  }
  return cases;
}

std::string Header(const HttpResponse& r, boost::beast::http::field f) {
  auto it = r.find(f);
  return it == r.end() ? std::string() : std::string(it->value());
}

void JudgeCase(SuiteContext& ctx, const Service& s, const Case& c, const Exchange& x) {
  const std::string id = s.name + ".bad-input." + c.name;
  const std::string label = ctx.Label(*s.target);
  const std::string ref = "UPSTREAM.md §1.2, §2.2, §2.4, §10";
  const bool status_ok = x.response && x.response->result_int() == c.status;
  std::string expected = "HTTP " + std::to_string(c.status);
  bool ok = status_ok;
  if (status_ok && c.code3) {
    std::optional<boost::json::value> body = ParseJsonBody(x.response->body());
    ok = body && body->is_object() && body->as_object().if_contains("code") != nullptr &&
         body->at("code") == boost::json::value(3);
    expected += " with a util.Response of code 3 (nothing applied)";
  }
  if (status_ok && !c.location.empty()) {
    ok = Header(*x.response, boost::beast::http::field::location) == c.location;
    expected += ", Location: " + c.location;
  }
  ctx.Record(Level::kPortable, id, label, ok, expected, DescribeResponse(x), ref, &x);
  if (c.exact_body || c.exact_content_type) {
    const bool bytes_ok = x.response && (!c.exact_body || x.response->body() == *c.exact_body) &&
                          (!c.exact_content_type ||
                           ContentType(*x.response) == *c.exact_content_type);
    ctx.Record(Level::kExact, id + ".exact", label, bytes_ok,
               "Content-Type: " + c.exact_content_type.value_or("(any)") + ", body: " +
                   c.exact_body.value_or("(any)"),
               DescribeResponse(x), ref, &x);
  }
}

void CheckStillServing(SuiteContext& ctx, const Service& s, const std::string& after) {
  Exchange x = ctx.Call(*s.target, "GET", "/status");
  ctx.Record(Level::kPortable, s.name + ".bad-input." + after + ".still-serving",
             ctx.Label(*s.target), x.response && x.response->result_int() == 200,
             "GET /status answers 200 after the bad request", DescribeResponse(x),
             "issue 5 §2: the target keeps serving", &x);
}

// ---- raw bytes over TCP ----

struct RawCase {
  std::string name;
  std::string bytes;
  unsigned status = 0;  // 0: the connection closes without a reply (cmux)
  std::optional<TransportError> exact = std::nullopt;
};

std::vector<RawCase> RawCases() {
  const std::string big(kOversizedHeaderBytes, 'a');
  return {
      {"raw-patch-first-request", "PATCH /status HTTP/1.1\r\nHost: x\r\n\r\n", 0, std::nullopt},
      {"raw-garbage", "HELLO\r\n\r\n", 0, std::nullopt},
      {"raw-lowercase-method", "get /status HTTP/1.1\r\nHost: x\r\n\r\n", 0, std::nullopt},
      {"raw-missing-host", "GET /status HTTP/1.1\r\n\r\n", 400,
       BadRequestError("missing required Host header")},
      {"raw-bad-escape", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, BadRequestError()},
      {"raw-oversized-header", "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 431,
       HeaderTooLargeError()},
  };
}

void RunRawCase(SuiteContext& ctx, const Service& s, const RawCase& c) {
  const std::string id = s.name + ".bad-input." + c.name;
  const std::string label = ctx.Label(*s.target);
  const std::string ref = "UPSTREAM.md §1.1 (cmux), Go net/http server errors";
  Result<RawReply> reply = s.target->SendRaw(c.bytes);
  std::string actual = reply.ok() ? (reply->bytes.empty() ? std::string("(no bytes)") : reply->bytes.substr(0, 200)) +
                                        (reply->closed ? ", connection closed" : ", connection open")
                                  : reply.status().ToString();
  unsigned status = 0;
  if (reply.ok() && reply->bytes.rfind("HTTP/1.", 0) == 0 && reply->bytes.size() >= 12) {
    status = static_cast<unsigned>(std::atoi(reply->bytes.substr(9, 3).c_str()));
  }
  const bool ok = reply.ok() && (c.status == 0 ? reply->bytes.empty() && reply->closed : status == c.status);
  Reproducer repro{"printf '%s' " + std::string(c.bytes.size() > 200 ? "'<" + std::to_string(c.bytes.size()) + " bytes, see the suite>'"
                                                                      : "'" + c.bytes + "'") +
                   " | nc " + s.target->Authority().replace(s.target->Authority().rfind(':'), 1, " ")};
  ctx.Record(Level::kPortable, id, label, ok,
             c.status == 0 ? "the connection closed without any reply" : "HTTP " + std::to_string(c.status),
             actual, ref);
  if (!ok && ctx.Enabled(Level::kPortable)) ctx.results.back().reproducer = repro;
  if (c.exact) {
    const bool exact = reply.ok() && reply->bytes == TransportErrorBytes(*c.exact);
    ctx.Record(Level::kExact, id + ".exact", label, exact, TransportErrorBytes(*c.exact), actual, ref);
  }
  CheckStillServing(ctx, s, c.name);
}

void CheckStateUnchanged(SuiteContext& ctx, const Service& s) {
  std::optional<std::string> state;
  if (s.name == "pump") {
    Exchange x = ctx.Call(*s.target, "GET", "/status");
    std::optional<boost::json::value> body = x.response ? ParseJsonBody(x.response->body()) : std::nullopt;
    auto records = body ? PumpRecords(*body) : std::map<std::string, boost::json::object>();
    if (records.count(s.own_id)) state = JsonText(records[s.own_id].at("state"));
  } else {
    Exchange x = ctx.Call(*ctx.targets.pumps.front(), "GET", "/drainers");
    std::optional<boost::json::value> body = x.response ? ParseJsonBody(x.response->body()) : std::nullopt;
    for (const boost::json::value& r : body && body->is_array() ? body->as_array() : boost::json::array()) {
      if (r.is_object() && r.as_object().if_contains("nodeId") && r.at("nodeId") == boost::json::value(s.own_id)) {
        state = JsonText(r.at("state"));
      }
    }
  }
  ctx.Record(Level::kPortable, s.name + ".bad-input.no-state-change", ctx.Label(*s.target),
             state == "\"online\"", "still \"online\" after every refused /state request",
             state.value_or("(record not found)"), "UPSTREAM.md §2.2 (no state change)");
}

void RunService(SuiteContext& ctx, const Service& s) {
  std::vector<Case> cases = PathCases(s);
  if (!s.own_id.empty()) {
    for (Case& c : StateCases(s)) cases.push_back(std::move(c));
    for (Case& c : MethodCases(ctx, s)) cases.push_back(std::move(c));
  } else {
    ctx.Skip(Level::kPortable, s.name + ".bad-input.state-wrong-node", ctx.Label(*s.target),
             "the node's own id could not be discovered");
  }
  if (s.name == "pump") {
    for (Case& c : DebugBinlogCases()) cases.push_back(std::move(c));
  }
  for (const Case& c : cases) {
    JudgeCase(ctx, s, c, ctx.Call(*s.target, c.method, c.path, c.body));
    CheckStillServing(ctx, s, c.name);
  }
  for (const RawCase& c : RawCases()) {
    if (!s.target->SupportsRawBytes()) {
      ctx.Skip(Level::kPortable, s.name + ".bad-input." + c.name, ctx.Label(*s.target),
               "raw bytes need a TCP target");
      continue;
    }
    RunRawCase(ctx, s, c);
  }
  if (!s.own_id.empty()) CheckStateUnchanged(ctx, s);
}

}  // namespace

void RunBadInputChecks(SuiteContext& ctx) {
  if (!ctx.Enabled(Level::kPortable)) return;
  Target& pump = *ctx.targets.pumps.front();
  RunService(ctx, Service{"pump", &pump, DiscoverPumpNodeId(ctx, pump).value_or("")});
  if (ctx.targets.drainer != nullptr) {
    RunService(ctx, Service{"drainer", ctx.targets.drainer, DiscoverDrainerNodeId(ctx).value_or("")});
  }
}

}  // namespace tidb_binlog::conformance
