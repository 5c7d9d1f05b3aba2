// A pump's or drainer's registry record (UPSTREAM.md §5.2), its JSON form as upstream writes
// it into etcd and into HTTP bodies, and the node state machine (§5.5).
//
// What this is for: encoding and decoding the record exactly as Go's encoding/json does for
// upstream's node.Status, and answering "may a node of this kind go from state A to state
// B?" for the nodes themselves, the simulator's invariant checkers and the conformance suite.
// Also the one `PUT /state` decision both nodes share (DecideNodeAction).
// Not for: storing records (reference/registry) or deciding when a node transitions on its
// own (pump, drainer).
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "reference/core/status.h"

namespace tidb_binlog {

enum class NodeState { kOnline, kPausing, kPaused, kClosing, kOffline };

// Every state, in declaration order (for tables and exhaustive tests).
inline constexpr NodeState kAllNodeStates[] = {NodeState::kOnline, NodeState::kPausing,
                                               NodeState::kPaused, NodeState::kClosing,
                                               NodeState::kOffline};

// "online", "pausing", "paused", "closing", "offline".
const char* NodeStateName(NodeState state);

// The inverse of NodeStateName (exact, case-sensitive, as upstream compares); kInvalidArgument
// for anything else, with binlogctl's text `state <s> is illegal`.
Result<NodeState> ParseNodeState(std::string_view name);

enum class NodeKind { kPump, kDrainer };

// "pump", "drainer" (as in the registry path /tidb-binlog/v1/<kind>s/).
const char* NodeKindName(NodeKind kind);

// upstream node.Status. JSON keys in order: nodeId, host, state, isAlive, score, label,
// maxCommitTS, updateTS.
struct NodeStatus {
  std::string node_id;
  std::string host;  // advertise host:port
  NodeState state = NodeState::kOnline;
  bool is_alive = false;  // upstream always writes false (§5.2)
  int64_t score = 0;      // always 0 upstream
  // Upstream's *Label: nullopt prints `"label":null` (what upstream always writes); a value
  // prints `"label":{"labels":{...}}` with sorted keys.
  std::optional<std::map<std::string, std::string>> labels;
  int64_t max_commit_ts = 0;
  int64_t update_ts = 0;

  bool operator==(const NodeStatus&) const = default;
};

// The record as a JSON object in upstream's key order.
boost::json::value NodeStatusToJson(const NodeStatus& status);

// What upstream writes into etcd: json.Marshal of the record, no trailing newline.
std::string NodeStatusToRegistryValue(const NodeStatus& status);

// Decodes a record as Go's json.Unmarshal does for node.Status: unknown keys ignored,
// missing keys and JSON null leave the zero value, keys matched exactly first and then
// ASCII case-insensitively, the last of duplicate keys wins. kInvalidArgument with a clear
// message for: invalid JSON, a non-object, a value of the wrong type (Go's "cannot
// unmarshal" text), and a state that is missing or not one of the five (upstream would
// carry such a record along; no node we model can be in it). A `label` object without
// `labels` decodes to an empty label map.
Result<NodeStatus> ParseNodeStatus(std::string_view json);

// The human form binlogctl prints: `{NodeID: <id>, Addr: <host>, State: <state>,
// MaxCommitTS: <n>, UpdateTime: <time>}`, time = updateTS >> 18 ms truncated to whole
// seconds, in Go's default time.Time format. Upstream prints the local zone; core has no
// time-zone data, so this prints UTC (`2019-04-28 09:29:57 +0000 UTC`), which equals
// upstream on a host whose local zone is UTC.
std::string NodeStatusString(const NodeStatus& status);

// One legal state change of a node's own record, with what causes it.
struct NodeTransition {
  NodeKind kind;
  NodeState from;
  NodeState to;
  const char* trigger;
};

// Every transition upstream's own pump and drainer code makes (UPSTREAM.md §5.5). Not
// included: `binlogctl update-pump/-drainer` rewriting a record to anything (an operator
// override that a running node undoes at its next heartbeat), and a record first created at
// registration (always `online`).
std::span<const NodeTransition> LegalNodeTransitions();

// True iff LegalNodeTransitions() holds (kind, from, to).
bool IsLegalTransition(NodeKind kind, NodeState from, NodeState to);

// What `PUT /state/{nodeID}/{action}` decides (UPSTREAM.md §2.2 for a pump, §3.3 for a
// drainer): `next` is the state the node moves to when the action is accepted (pausing or
// closing; the node then starts its shutdown sequence), nullopt when it is refused and the
// node does nothing. `message` is upstream's response message either way.
struct NodeActionDecision {
  std::optional<NodeState> next;
  std::string message;
};

// The /state decision of a node of `kind` whose own id is `own_node_id` and whose state is
// `current`, for a request naming `node_id` and `action`. Upstream's checks, in its order,
// with its texts (typos and the drainer's "this pump's" included, as clients match them):
//  1. `node_id` must be the node's own: `invalide nodeID <id>, this pump's nodeID is <own>`
//     (pump), `invalid nodeID <id>, this pump's nodeID is <own>` (drainer);
//  2. the node must be online: `this pump's state is <state>, apply <action> failed!`;
//  3. `action` must be exactly `pause` (-> pausing) or `close` (-> closing):
//     `invalide action <action>` (pump), `invalid action <action>` (drainer).
// Accepted: `apply action <action> success!`.
NodeActionDecision DecideNodeAction(NodeKind kind, std::string_view own_node_id,
                                    NodeState current, std::string_view node_id,
                                    std::string_view action);

}  // namespace tidb_binlog
