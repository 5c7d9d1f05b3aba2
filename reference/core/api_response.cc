#include "reference/core/api_response.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "reference/core/go_json.h"

namespace tidb_binlog {

boost::json::value ResponseJson(std::string_view message, int64_t code,
                                const boost::json::value& data) {
  boost::json::object o;
  o["message"] = message;
  o["code"] = code;
  o["data"] = data;
  return o;
}

std::string SuccessResponseBody(std::string_view message, const boost::json::value& data) {
  return RenderJsonBody(ResponseJson(message, kResponseCodeSuccess, data));
}

std::string ErrorResponseBody(std::string_view message) {
  return RenderJsonBody(ResponseJson(message, kResponseCodeOtherError, nullptr));
}

std::string NotFoundResponseBody(std::string_view what) {
  return RenderJsonBody(
      ResponseJson(std::string(what) + " not found", kResponseCodeNotFound, nullptr));
}

std::string CommitTsBody(int64_t checkpoint_ts) {
  return SuccessResponseBody("get drainer's latest ts success!",
                             boost::json::object{{"ts", checkpoint_ts}});
}

namespace {

// HTTPStatus of pump/status.go, in field order. CheckPoint is a pb.Pos that is never set,
// and both its fields are omitempty: always {}.
std::string PumpHttpStatus(boost::json::value status, int64_t commit_ts,
                           std::string_view error) {
  boost::json::object o;
  o["status"] = std::move(status);
  o["CommitTS"] = commit_ts;
  o["Checkpoint"] = boost::json::object();
  o["ErrMsg"] = error;
  return EncoderJsonBody(o);
}

}  // namespace

std::string PumpStatusBody(std::span<const NodeStatus> pumps, int64_t commit_ts) {
  std::map<std::string, boost::json::value> by_id;
  for (const NodeStatus& pump : pumps) by_id[pump.node_id] = NodeStatusToJson(pump);
  return PumpHttpStatus(SortedKeyObject(by_id), commit_ts, "");
}

std::string PumpStatusErrorBody(std::string_view error) {
  return PumpHttpStatus(nullptr, 0, error);
}

std::string DrainersBody(std::span<const NodeStatus> drainers) {
  if (drainers.empty()) return EncoderJsonBody(nullptr);
  boost::json::array array;
  for (const NodeStatus& drainer : drainers) array.push_back(NodeStatusToJson(drainer));
  return EncoderJsonBody(array);
}

std::string DrainerStatusBody(const std::optional<std::map<std::string, int64_t>>& pump_pos,
                              bool synced, int64_t last_ts) {
  boost::json::object o;
  if (pump_pos.has_value()) {
    o["PumpPos"] = SortedKeyObject(*pump_pos);
  } else {
    o["PumpPos"] = nullptr;
  }
  o["Synced"] = synced;
  o["LastTS"] = last_ts;
  o["TsMap"] = "";  // never assigned upstream
  return EncoderJsonBody(o);
}

}  // namespace tidb_binlog
