#include "conformance/mutants.h"

#include <memory>
#include <vector>

#include <boost/json/object.hpp>

#include "conformance/suite_internal.h"
#include "reference/core/go_json.h"

namespace tidb_binlog::conformance {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr Mutant kMutants[] = {
    {MutantKind::kNodeIdKeyRenamed, "nodeID-for-nodeId", "pump", true, "pump.status.shape"},
    {MutantKind::kEmptyArrayForNull, "empty-array-for-null", "pump", false, "pump.drainers.shape"},
    {MutantKind::kMissingTrailingNewline, "missing-trailing-newline", "pump", true,
     "pump.status.body-bytes"},
    {MutantKind::kCode200OnError, "code-200-on-error", "pump", true,
     "pump.bad-input.state-action-stop"},
    {MutantKind::kWrongContentType, "wrong-content-type", "drainer", true,
     "drainer.commit-ts.content-type"},
    {MutantKind::kKeysOutOfOrder, "keys-out-of-order", "drainer", true, "drainer.status.key-order"},
    {MutantKind::kServerErrorOnBadInput, "500-on-bad-input", "pump", true,
     "pump.bad-input.path-unknown"},
    {MutantKind::kCrashAfterBadRequest, "crash-after-bad-request", "pump", true,
     "pump.bad-input.path-unknown.still-serving"},
};

std::string Path(const HttpRequest& r) {
  std::string target(r.target());
  return target.substr(0, target.find('?'));
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void SetBody(HttpResponse& response, std::string body) {
  response.body() = std::move(body);
  response.prepare_payload();
}

void ReverseKeys(HttpResponse& response) {
  std::optional<json::value> body = ParseJsonBody(response.body());
  if (!body || !body->is_object()) return;
  json::object reversed;
  const json::object& o = body->as_object();
  for (auto it = o.end(); it != o.begin();) {
    --it;
    reversed.emplace(it->key(), it->value());
  }
  SetBody(response, EncoderJsonBody(reversed));
}

void Mutate(MutantKind kind, const HttpRequest& request, HttpResponse& response) {
  const std::string path = Path(request);
  std::string body = response.body();
  switch (kind) {
    case MutantKind::kNodeIdKeyRenamed:
      if (path != "/status") return;
      ReplaceAll(body, "\"nodeId\":", "\"nodeID\":");
      break;
    case MutantKind::kEmptyArrayForNull:
      if (path != "/drainers" || body != "null\n") return;
      body = "[]\n";
      break;
    case MutantKind::kMissingTrailingNewline:
      if (path != "/status" || body.empty() || body.back() != '\n') return;
      body.pop_back();
      break;
    case MutantKind::kCode200OnError:
      if (path.rfind("/state/", 0) != 0) return;
      ReplaceAll(body, "\"code\": 3,", "\"code\": 200,");
      break;
    case MutantKind::kWrongContentType:
      if (path == "/commit_ts") response.set(http::field::content_type, "text/html; charset=utf-8");
      return;
    case MutantKind::kKeysOutOfOrder:
      if (path == "/status") ReverseKeys(response);
      return;
    case MutantKind::kServerErrorOnBadInput:
      if (response.result() != http::status::not_found) return;
      response.result(http::status::internal_server_error);
      body = "internal error\n";
      break;
    case MutantKind::kCrashAfterBadRequest:
      return;  // handled by the wrapper: it needs state
  }
  SetBody(response, std::move(body));
}

}  // namespace

std::span<const Mutant> AllMutants() { return kMutants; }

InProcessHandler MakeMutantHandler(const Mutant& mutant, InProcessHandler inner) {
  auto crashed = std::make_shared<bool>(false);
  const MutantKind kind = mutant.kind;
  return [kind, inner = std::move(inner), crashed](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (*crashed) return std::nullopt;
    std::optional<HttpResponse> response = inner(request);
    if (!response) return response;
    if (kind == MutantKind::kCrashAfterBadRequest) {
      *crashed = response->result() == http::status::not_found;
      return response;
    }
    Mutate(kind, request, *response);
    return response;
  };
}

}  // namespace tidb_binlog::conformance
