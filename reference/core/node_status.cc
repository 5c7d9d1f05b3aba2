#include "reference/core/node_status.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "reference/core/go_json.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

using S = NodeState;

// Every state change upstream's own code makes, one row each (UPSTREAM.md §5.5).
constexpr NodeTransition kTransitions[] = {
    // Pump (pump/server.go, pump/node.go).
    {NodeKind::kPump, S::kOffline, S::kOnline,
     "process start after offline (or no record): register online, then Notify every "
     "online drainer"},
    {NodeKind::kPump, S::kPaused, S::kOnline, "process start after a pause: register online"},
    {NodeKind::kPump, S::kOnline, S::kOnline,
     "process start over a stale online record (crash); every heartbeat re-writes online"},
    {NodeKind::kPump, S::kPausing, S::kOnline,
     "process start over a pausing record left by a crash"},
    {NodeKind::kPump, S::kClosing, S::kOnline,
     "process start over a closing record left by a crash"},
    {NodeKind::kPump, S::kOnline, S::kOffline,
     "process start: notifying the online drainers failed, re-registered offline"},
    {NodeKind::kPump, S::kOnline, S::kPausing, "PUT /state/<id>/pause (binlogctl pause-pump)"},
    {NodeKind::kPump, S::kPausing, S::kPaused, "the pause completes: Close writes paused"},
    {NodeKind::kPump, S::kOnline, S::kPaused, "SIGINT/SIGTERM/SIGHUP/SIGQUIT: Close writes paused"},
    {NodeKind::kPump, S::kOnline, S::kClosing, "PUT /state/<id>/close (binlogctl offline-pump)"},
    {NodeKind::kPump, S::kClosing, S::kOffline,
     "the close completes once every non-offline drainer caught up: Close writes offline"},
    {NodeKind::kPump, S::kPaused, S::kPaused,
     "Close with an unexpected in-memory state re-writes it unchanged (with a warning)"},
    {NodeKind::kPump, S::kOffline, S::kOffline,
     "Close after a failed start re-writes offline unchanged (with a warning)"},
    // Drainer (drainer/server.go).
    {NodeKind::kDrainer, S::kOnline, S::kOnline,
     "process start over a stale online record (crash); every heartbeat re-writes online"},
    {NodeKind::kDrainer, S::kPausing, S::kOnline, "process start: register online"},
    {NodeKind::kDrainer, S::kPaused, S::kOnline, "process start: register online"},
    {NodeKind::kDrainer, S::kClosing, S::kOnline, "process start: register online"},
    {NodeKind::kDrainer, S::kOffline, S::kOnline, "process start: register online"},
    {NodeKind::kDrainer, S::kOnline, S::kPausing,
     "PUT /state/<id>/pause (binlogctl pause-drainer)"},
    {NodeKind::kDrainer, S::kPausing, S::kPaused, "the pause completes: Close writes paused"},
    {NodeKind::kDrainer, S::kOnline, S::kClosing,
     "PUT /state/<id>/close (binlogctl offline-drainer)"},
    {NodeKind::kDrainer, S::kClosing, S::kOffline,
     "the close completes: Close writes offline first, without waiting"},
    {NodeKind::kDrainer, S::kOnline, S::kPaused,
     "signal, or a fatal error (syncer, 20 heartbeat failures, collector): Close writes paused"},
};

// The Go struct field a JSON key decodes into.
enum class Field { kNone, kNodeId, kHost, kState, kIsAlive, kScore, kLabel, kMaxCommitTs, kUpdateTs };

struct FieldKey {
  const char* key;
  Field field;
};

constexpr FieldKey kFieldKeys[] = {
    {"nodeId", Field::kNodeId},   {"host", Field::kHost},
    {"state", Field::kState},     {"isAlive", Field::kIsAlive},
    {"score", Field::kScore},     {"label", Field::kLabel},
    {"maxCommitTS", Field::kMaxCommitTs}, {"updateTS", Field::kUpdateTs},
};

bool EqualFoldAscii(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

// Go matches the exact key first, then case-insensitively.
Field MatchField(std::string_view key) {
  for (const FieldKey& k : kFieldKeys) {
    if (key == k.key) return k.field;
  }
  for (const FieldKey& k : kFieldKeys) {
    if (EqualFoldAscii(key, k.key)) return k.field;
  }
  return Field::kNone;
}

const char* JsonKindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::bool_: return "bool";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "number";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
    case boost::json::kind::null: return "null";
  }
  return "value";
}

// Go's UnmarshalTypeError text.
Status TypeError(const boost::json::value& v, const std::string& path, const char* go_type) {
  std::string value = JsonKindName(v);
  if (v.is_uint64()) {
    value.push_back(' ');
    value.append(std::to_string(v.get_uint64()));
  }
  return Status::InvalidArgument("json: cannot unmarshal " + value +
                                 " into Go struct field Status." + path + " of type " +
                                 go_type);
}

Status DecodeString(const boost::json::value& v, const std::string& path, std::string* out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_string()) return TypeError(v, path, "string");
  *out = std::string(v.get_string());
  return Status::Ok();
}

Status DecodeInt64(const boost::json::value& v, const std::string& path, int64_t* out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_int64()) return TypeError(v, path, "int64");  // uint64 kind: > INT64_MAX
  *out = v.get_int64();
  return Status::Ok();
}

Status DecodeBool(const boost::json::value& v, const std::string& path, bool* out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_bool()) return TypeError(v, path, "bool");
  *out = v.get_bool();
  return Status::Ok();
}

Status DecodeLabel(const boost::json::value& v,
                   std::optional<std::map<std::string, std::string>>* out) {
  if (v.is_null()) {
    out->reset();
    return Status::Ok();
  }
  if (!v.is_object()) return TypeError(v, "label", "node.Label");
  std::map<std::string, std::string> labels;
  for (const auto& member : v.get_object()) {
    if (!EqualFoldAscii(member.key(), "labels")) continue;
    const boost::json::value& map = member.value();
    labels.clear();
    if (map.is_null()) continue;
    if (!map.is_object()) return TypeError(map, "label.labels", "map[string]string");
    for (const auto& entry : map.get_object()) {
      std::string value;
      BINLOG_RETURN_IF_ERROR(DecodeString(entry.value(), "label.labels", &value));
      labels[std::string(entry.key())] = std::move(value);
    }
  }
  *out = std::move(labels);
  return Status::Ok();
}

Status DecodeMember(Field field, const boost::json::value& v, NodeStatus* status,
                    std::optional<std::string>* state) {
  switch (field) {
    case Field::kNone: return Status::Ok();
    case Field::kNodeId: return DecodeString(v, "nodeId", &status->node_id);
    case Field::kHost: return DecodeString(v, "host", &status->host);
    case Field::kState: {
      std::string name;
      BINLOG_RETURN_IF_ERROR(DecodeString(v, "state", &name));
      *state = std::move(name);
      return Status::Ok();
    }
    case Field::kIsAlive: return DecodeBool(v, "isAlive", &status->is_alive);
    case Field::kScore: return DecodeInt64(v, "score", &status->score);
    case Field::kLabel: return DecodeLabel(v, &status->labels);
    case Field::kMaxCommitTs: return DecodeInt64(v, "maxCommitTS", &status->max_commit_ts);
    case Field::kUpdateTs: return DecodeInt64(v, "updateTS", &status->update_ts);
  }
  return Status::Ok();
}

// Go's default time.Time format for a UTC time: "2006-01-02 15:04:05 +0000 UTC".
std::string GoUtcTimeString(int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds time{seconds{unix_seconds}};
  const sys_days day = floor<days>(time);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> clock{time - day};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u %02ld:%02ld:%02ld +0000 UTC",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(clock.hours().count()),
                static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()));
  return buf;
}

}  // namespace

const char* NodeStateName(NodeState state) {
  switch (state) {
    case NodeState::kOnline: return "online";
    case NodeState::kPausing: return "pausing";
    case NodeState::kPaused: return "paused";
    case NodeState::kClosing: return "closing";
    case NodeState::kOffline: return "offline";
  }
  BINLOG_ASSERT(false && "unknown NodeState");
  return "";
}

Result<NodeState> ParseNodeState(std::string_view name) {
  for (NodeState state : kAllNodeStates) {
    if (name == NodeStateName(state)) return state;
  }
  return Status::InvalidArgument("state " + std::string(name) + " is illegal");
}

const char* NodeKindName(NodeKind kind) {
  return kind == NodeKind::kPump ? "pump" : "drainer";
}

boost::json::value NodeStatusToJson(const NodeStatus& status) {
  boost::json::object o;
  o["nodeId"] = status.node_id;
  o["host"] = status.host;
  o["state"] = NodeStateName(status.state);
  o["isAlive"] = status.is_alive;
  o["score"] = status.score;
  if (status.labels.has_value()) {
    o["label"] = boost::json::object{{"labels", SortedKeyObject(*status.labels)}};
  } else {
    o["label"] = nullptr;
  }
  o["maxCommitTS"] = status.max_commit_ts;
  o["updateTS"] = status.update_ts;
  return o;
}

std::string NodeStatusToRegistryValue(const NodeStatus& status) {
  return GoJsonCompact(NodeStatusToJson(status));
}

Result<NodeStatus> ParseNodeStatus(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec) return Status::InvalidArgument("node status is not valid JSON: " + ec.message());
  if (!v.is_object()) {
    return Status::InvalidArgument(std::string("json: cannot unmarshal ") + JsonKindName(v) +
                                   " into Go value of type node.Status");
  }
  NodeStatus status;
  std::optional<std::string> state;
  for (const auto& member : v.get_object()) {
    BINLOG_RETURN_IF_ERROR(DecodeMember(MatchField(member.key()), member.value(), &status, &state));
  }
  if (!state.has_value()) return Status::InvalidArgument("node status has no state");
  Result<NodeState> parsed = ParseNodeState(*state);
  if (!parsed.ok()) {
    return Status::InvalidArgument("node status state \"" + *state +
                                   "\" is not one of online, pausing, paused, closing, "
                                   "offline");
  }
  status.state = *parsed;
  return status;
}

std::string NodeStatusString(const NodeStatus& status) {
  return "{NodeID: " + status.node_id + ", Addr: " + status.host +
         ", State: " + NodeStateName(status.state) +
         ", MaxCommitTS: " + std::to_string(status.max_commit_ts) +
         ", UpdateTime: " + GoUtcTimeString(TsoToRoughTimeSeconds(status.update_ts)) + "}";
}

std::span<const NodeTransition> LegalNodeTransitions() { return kTransitions; }

bool IsLegalTransition(NodeKind kind, NodeState from, NodeState to) {
  return std::any_of(std::begin(kTransitions), std::end(kTransitions),
                     [&](const NodeTransition& t) {
                       return t.kind == kind && t.from == from && t.to == to;
                     });
}

NodeActionDecision DecideNodeAction(NodeKind kind, std::string_view own_node_id,
                                    NodeState current, std::string_view node_id,
                                    std::string_view action) {
  // Upstream's pump spells it "invalide"; its drainer fixed the spelling but kept "pump".
  const std::string invalid = kind == NodeKind::kPump ? "invalide" : "invalid";
  const std::string action_text(action);
  if (node_id != own_node_id) {
    return {std::nullopt, invalid + " nodeID " + std::string(node_id) +
                              ", this pump's nodeID is " + std::string(own_node_id)};
  }
  if (current != NodeState::kOnline) {
    return {std::nullopt, std::string("this pump's state is ") + NodeStateName(current) +
                              ", apply " + action_text + " failed!"};
  }
  std::optional<NodeState> next;
  if (action == "pause") {
    next = NodeState::kPausing;
  } else if (action == "close") {
    next = NodeState::kClosing;
  } else {
    return {std::nullopt, invalid + " action " + action_text};
  }
  return {next, "apply action " + action_text + " success!"};
}

}  // namespace tidb_binlog
