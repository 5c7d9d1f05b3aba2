// Checks the node record's JSON against upstream's bytes (UPSTREAM.md §2.1, §5.2), decoding
// as Go's json.Unmarshal does, the human form, and the state machine: every (from, to) pair
// of both node kinds against an expected matrix written out here from §5.5.
#include "reference/core/node_status.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "reference/core/go_json.h"
#include "reference/core/tso.h"

namespace tidb_binlog {
namespace {

NodeStatus SpecPump() {
  NodeStatus s;
  s.node_id = "b:8250";
  s.host = "127.0.0.1:8250";
  s.state = NodeState::kOnline;
  s.max_commit_ts = 2;
  s.update_ts = 3;
  return s;
}

constexpr char kSpecPumpJson[] =
    R"({"nodeId":"b:8250","host":"127.0.0.1:8250","state":"online","isAlive":false,"score":0,"label":null,"maxCommitTS":2,"updateTS":3})";

TEST(NodeStateTest, NamesAndParse) {
  EXPECT_STREQ(NodeStateName(NodeState::kOnline), "online");
  EXPECT_STREQ(NodeStateName(NodeState::kPausing), "pausing");
  EXPECT_STREQ(NodeStateName(NodeState::kPaused), "paused");
  EXPECT_STREQ(NodeStateName(NodeState::kClosing), "closing");
  EXPECT_STREQ(NodeStateName(NodeState::kOffline), "offline");
  for (NodeState s : kAllNodeStates) EXPECT_EQ(*ParseNodeState(NodeStateName(s)), s);
  Result<NodeState> bad = ParseNodeState("Online");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "state Online is illegal");
}

TEST(NodeStatusJsonTest, RegistryValueMatchesUpstream) {
  EXPECT_EQ(NodeStatusToRegistryValue(SpecPump()), kSpecPumpJson);
}

TEST(NodeStatusJsonTest, LabelsPrintSortedInsideLabelObject) {
  NodeStatus s = SpecPump();
  s.labels = std::map<std::string, std::string>{{"zone", "z<1>"}, {"dc", "a"}};
  s.is_alive = true;
  s.score = -4;
  EXPECT_EQ(NodeStatusToRegistryValue(s),
            R"({"nodeId":"b:8250","host":"127.0.0.1:8250","state":"online","isAlive":true,"score":-4,"label":{"labels":{"dc":"a","zone":"z\u003c1\u003e"}},"maxCommitTS":2,"updateTS":3})");
}

TEST(NodeStatusJsonTest, ParseRoundTrip) {
  Result<NodeStatus> parsed = ParseNodeStatus(kSpecPumpJson);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, SpecPump());
  NodeStatus labelled = SpecPump();
  labelled.labels = std::map<std::string, std::string>{{"a", "1"}};
  labelled.state = NodeState::kClosing;
  labelled.max_commit_ts = 412361808537191540;
  EXPECT_EQ(*ParseNodeStatus(NodeStatusToRegistryValue(labelled)), labelled);
}

TEST(NodeStatusJsonTest, ParseAcceptsWhatGoAccepts) {
  // Unknown keys ignored, missing keys zero, null leaves zero, case-insensitive keys, last
  // duplicate wins, whitespace anywhere.
  Result<NodeStatus> parsed = ParseNodeStatus(
      R"( { "NODEID": "n1", "extra": [1, {"x": 2}], "state": "paused", "score": null,
            "label": null, "MaxCommitTs": 7, "maxCommitTS": 8 } )");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->node_id, "n1");
  EXPECT_EQ(parsed->host, "");
  EXPECT_EQ(parsed->state, NodeState::kPaused);
  EXPECT_FALSE(parsed->is_alive);
  EXPECT_EQ(parsed->score, 0);
  EXPECT_FALSE(parsed->labels.has_value());
  EXPECT_EQ(parsed->max_commit_ts, 8);
  EXPECT_EQ(parsed->update_ts, 0);
  Result<NodeStatus> duplicate = ParseNodeStatus(R"({"state":"online","state":"paused"})");
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(duplicate->state, NodeState::kPaused);
  Result<NodeStatus> empty_label = ParseNodeStatus(R"({"state":"online","label":{}})");
  ASSERT_TRUE(empty_label.ok());
  EXPECT_EQ(empty_label->labels, std::make_optional(std::map<std::string, std::string>{}));
}

void ExpectRejected(const std::string& json, const std::string& message) {
  Result<NodeStatus> parsed = ParseNodeStatus(json);
  ASSERT_FALSE(parsed.ok()) << json;
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), message) << json;
}

TEST(NodeStatusJsonTest, ParseRejectsWithClearMessages) {
  Result<NodeStatus> invalid = ParseNodeStatus("{\"state\":");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.status().message().rfind("node status is not valid JSON: ", 0), 0u);
  ExpectRejected("[]", "json: cannot unmarshal array into Go value of type node.Status");
  ExpectRejected(R"({"state":"online","score":"1"})",
                 "json: cannot unmarshal string into Go struct field Status.score of type int64");
  ExpectRejected(R"({"state":"online","updateTS":1.5})",
                 "json: cannot unmarshal number into Go struct field Status.updateTS of type "
                 "int64");
  ExpectRejected(R"({"state":"online","maxCommitTS":18446744073709551615})",
                 "json: cannot unmarshal number 18446744073709551615 into Go struct field "
                 "Status.maxCommitTS of type int64");
  ExpectRejected(R"({"state":"online","isAlive":0})",
                 "json: cannot unmarshal number into Go struct field Status.isAlive of type bool");
  ExpectRejected(R"({"state":"online","nodeId":5})",
                 "json: cannot unmarshal number into Go struct field Status.nodeId of type string");
  ExpectRejected(R"({"state":"online","label":{"labels":{"a":1}}})",
                 "json: cannot unmarshal number into Go struct field Status.label.labels of type "
                 "string");
  ExpectRejected(R"({"state":"up"})",
                 "node status state \"up\" is not one of online, pausing, paused, closing, "
                 "offline");
  ExpectRejected(R"({"nodeId":"n"})", "node status has no state");
}

TEST(NodeStatusStringTest, HumanForm) {
  NodeStatus s = SpecPump();
  s.max_commit_ts = 5;
  // 2019-04-28 09:29:57 UTC = 1556443797 s; the 999 ms are dropped.
  s.update_ts = ComposeTs(1556443797999, 3);
  EXPECT_EQ(NodeStatusString(s),
            "{NodeID: b:8250, Addr: 127.0.0.1:8250, State: online, MaxCommitTS: 5, "
            "UpdateTime: 2019-04-28 09:29:57 +0000 UTC}");
  s.update_ts = 0;
  s.state = NodeState::kOffline;
  EXPECT_EQ(NodeStatusString(s),
            "{NodeID: b:8250, Addr: 127.0.0.1:8250, State: offline, MaxCommitTS: 5, "
            "UpdateTime: 1970-01-01 00:00:00 +0000 UTC}");
}

// "from>to" for every legal transition, written out from UPSTREAM.md §5.5.
const std::set<std::string> kPumpLegal = {
    "offline>online", "paused>online",  "online>online",   "pausing>online", "closing>online",
    "online>offline", "online>pausing", "pausing>paused",  "online>paused",  "online>closing",
    "closing>offline", "paused>paused", "offline>offline",
};
const std::set<std::string> kDrainerLegal = {
    "online>online",  "pausing>online", "paused>online",   "closing>online", "offline>online",
    "online>pausing", "pausing>paused", "online>closing",  "closing>offline", "online>paused",
};

TEST(NodeTransitionTest, EveryPairForBothKinds) {
  for (NodeKind kind : {NodeKind::kPump, NodeKind::kDrainer}) {
    const std::set<std::string>& legal = kind == NodeKind::kPump ? kPumpLegal : kDrainerLegal;
    for (NodeState from : kAllNodeStates) {
      for (NodeState to : kAllNodeStates) {
        const std::string pair = std::string(NodeStateName(from)) + ">" + NodeStateName(to);
        EXPECT_EQ(IsLegalTransition(kind, from, to), legal.count(pair) == 1)
            << NodeKindName(kind) << " " << pair;
      }
    }
  }
}

TEST(NodeTransitionTest, TableHasNoDuplicatesAndEveryRowSaysWhy) {
  std::set<std::tuple<NodeKind, NodeState, NodeState>> seen;
  for (const NodeTransition& t : LegalNodeTransitions()) {
    EXPECT_TRUE(seen.insert({t.kind, t.from, t.to}).second);
    EXPECT_GT(std::string(t.trigger).size(), 10u);
  }
  EXPECT_EQ(seen.size(), kPumpLegal.size() + kDrainerLegal.size());
}

// PUT /state: every branch of the decision, for both kinds, with upstream's exact texts.
struct ActionCase {
  NodeKind kind;
  NodeState current;
  std::string node_id;  // the request's; the node's own id is "self"
  std::string action;
  std::optional<NodeState> next;
  std::string message;
};

const ActionCase kActionCases[] = {
    // 1. Another node's id comes first, whatever the state and action.
    {NodeKind::kPump, NodeState::kOnline, "other", "pause", std::nullopt,
     "invalide nodeID other, this pump's nodeID is self"},
    {NodeKind::kPump, NodeState::kPaused, "other", "bogus", std::nullopt,
     "invalide nodeID other, this pump's nodeID is self"},
    {NodeKind::kDrainer, NodeState::kOnline, "other", "pause", std::nullopt,
     "invalid nodeID other, this pump's nodeID is self"},
    {NodeKind::kDrainer, NodeState::kClosing, "", "bogus", std::nullopt,
     "invalid nodeID , this pump's nodeID is self"},
    // 2. Then the state, before the action is looked at.
    {NodeKind::kPump, NodeState::kPausing, "self", "close", std::nullopt,
     "this pump's state is pausing, apply close failed!"},
    {NodeKind::kPump, NodeState::kOffline, "self", "bogus", std::nullopt,
     "this pump's state is offline, apply bogus failed!"},
    {NodeKind::kDrainer, NodeState::kPaused, "self", "pause", std::nullopt,
     "this pump's state is paused, apply pause failed!"},
    {NodeKind::kDrainer, NodeState::kClosing, "self", "bogus", std::nullopt,
     "this pump's state is closing, apply bogus failed!"},
    // 3. Then the action: exactly "pause" or "close".
    {NodeKind::kPump, NodeState::kOnline, "self", "Pause", std::nullopt,
     "invalide action Pause"},
    {NodeKind::kPump, NodeState::kOnline, "self", "", std::nullopt, "invalide action "},
    {NodeKind::kDrainer, NodeState::kOnline, "self", "resume", std::nullopt,
     "invalid action resume"},
    // Accepted.
    {NodeKind::kPump, NodeState::kOnline, "self", "pause", NodeState::kPausing,
     "apply action pause success!"},
    {NodeKind::kPump, NodeState::kOnline, "self", "close", NodeState::kClosing,
     "apply action close success!"},
    {NodeKind::kDrainer, NodeState::kOnline, "self", "pause", NodeState::kPausing,
     "apply action pause success!"},
    {NodeKind::kDrainer, NodeState::kOnline, "self", "close", NodeState::kClosing,
     "apply action close success!"},
};

TEST(NodeActionTest, EveryBranchForBothKinds) {
  for (const ActionCase& c : kActionCases) {
    const NodeActionDecision decision =
        DecideNodeAction(c.kind, "self", c.current, c.node_id, c.action);
    EXPECT_EQ(decision.next, c.next) << c.message;
    EXPECT_EQ(decision.message, c.message);
  }
}

TEST(NodeActionTest, OnlyOnlineNodesAcceptAndTheirMovesAreLegal) {
  for (NodeKind kind : {NodeKind::kPump, NodeKind::kDrainer}) {
    for (NodeState current : kAllNodeStates) {
      for (std::string_view action : {"pause", "close"}) {
        const NodeActionDecision decision = DecideNodeAction(kind, "self", current, "self", action);
        EXPECT_EQ(decision.next.has_value(), current == NodeState::kOnline);
        if (decision.next.has_value()) {
          EXPECT_TRUE(IsLegalTransition(kind, current, *decision.next));
        }
      }
    }
  }
}

}  // namespace
}  // namespace tidb_binlog
