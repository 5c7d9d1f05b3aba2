// Goal: MemoryRegistry stores records under upstream's keys with upstream's JSON values and
// lists/gets them under upstream's rules (UPSTREAM.md §5.1), refuses node ids with '/'
// (§11 #20), injects faults on demand and stays consistent under concurrent use.
// Method: drive the public API and inspect the raw key space with Get/Keys.
#include "reference/registry/memory_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tidb_binlog {
namespace {

NodeStatus Pump(std::string id, NodeState state = NodeState::kOnline, int64_t max_ts = 0) {
  NodeStatus status;
  status.node_id = id;
  status.host = id + ":8250";
  status.state = state;
  status.max_commit_ts = max_ts;
  status.update_ts = 412518831548007863;
  return status;
}

TEST(RegistryKeysTest, UpstreamLayout) {
  EXPECT_EQ(RegistryNodeKey(NodeKind::kPump, "pump-1:8250"), "/tidb-binlog/v1/pumps/pump-1:8250");
  EXPECT_EQ(RegistryNodeKey(NodeKind::kDrainer, "d:8249"), "/tidb-binlog/v1/drainers/d:8249");
}

TEST(MemoryRegistryTest, UpdateWritesCompactJsonUnderUpstreamKey) {
  MemoryRegistry registry;
  NodeStatus pump = Pump("pump-1", NodeState::kPaused, 42);
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, pump).ok());
  Result<std::string> raw = registry.Get("/tidb-binlog/v1/pumps/pump-1");
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, NodeStatusToRegistryValue(pump));
  EXPECT_EQ(*raw,
            "{\"nodeId\":\"pump-1\",\"host\":\"pump-1:8250\",\"state\":\"paused\","
            "\"isAlive\":false,\"score\":0,\"label\":null,\"maxCommitTS\":42,"
            "\"updateTS\":412518831548007863}");
  Result<NodeStatus> got = registry.GetNode(NodeKind::kPump, "pump-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, pump);
  EXPECT_EQ(registry.GetNode(NodeKind::kDrainer, "pump-1").status().message(),
            "key /tidb-binlog/v1/drainers/pump-1 in etcd not found");
}

TEST(MemoryRegistryTest, UpdateReplacesAndKeysAreNeverDeleted) {
  MemoryRegistry registry;
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("p", NodeState::kOnline)).ok());
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("p", NodeState::kOffline)).ok());
  EXPECT_EQ(registry.Keys(), std::vector<std::string>{"/tidb-binlog/v1/pumps/p"});
  EXPECT_EQ(registry.GetNode(NodeKind::kPump, "p")->state, NodeState::kOffline);
}

TEST(MemoryRegistryTest, ListsOneKindSortedByNodeId) {
  MemoryRegistry registry;
  for (const char* id : {"pump-c", "pump-a", "pump-b"}) {
    ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump(id)).ok());
  }
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kDrainer, Pump("drainer-1")).ok());
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_TRUE(pumps.ok());
  std::vector<std::string> ids;
  for (const NodeStatus& node : *pumps) ids.push_back(node.node_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"pump-a", "pump-b", "pump-c"}));
  EXPECT_EQ(registry.ListNodes(NodeKind::kDrainer)->size(), 1u);
  EXPECT_TRUE(MemoryRegistry().ListNodes(NodeKind::kPump)->empty());
}

TEST(MemoryRegistryTest, OneInvalidRecordFailsTheWholeListing) {
  MemoryRegistry registry;
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("good")).ok());
  ASSERT_TRUE(registry.Put("/tidb-binlog/v1/pumps/bad", "{not json").ok());
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_FALSE(pumps.ok());
  EXPECT_EQ(pumps.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(pumps.status().message().starts_with(
      "error unmarshal NodeStatus with nodeID(bad), node value({not json): "))
      << pumps.status().message();
  EXPECT_EQ(registry.GetNode(NodeKind::kPump, "bad").status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(registry.GetNode(NodeKind::kPump, "good").ok());
  EXPECT_TRUE(registry.ListNodes(NodeKind::kDrainer).ok()) << "other kinds are unaffected";
}

// Records are parsed when written; a raw Put over a record replaces its parse too.
TEST(MemoryRegistryTest, ARawPutReplacesTheParsedRecord) {
  MemoryRegistry registry;
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("p")).ok());
  const std::string key = "/tidb-binlog/v1/pumps/p";
  ASSERT_TRUE(registry.Put(key, "{not json").ok());
  EXPECT_FALSE(registry.ListNodes(NodeKind::kPump).ok());
  EXPECT_EQ(registry.GetNode(NodeKind::kPump, "p").status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(registry.Put(key, NodeStatusToRegistryValue(Pump("p", NodeState::kPaused))).ok());
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_TRUE(pumps.ok());
  ASSERT_EQ(pumps->size(), 1u);
  EXPECT_EQ((*pumps)[0].state, NodeState::kPaused);
  EXPECT_EQ(registry.GetNode(NodeKind::kPump, "p")->state, NodeState::kPaused);
}

// With a nested key present, children are still listed by name ("a" < "a-b", although the
// key "a-b" sorts before "a/x").
TEST(MemoryRegistryTest, ChildrenNextToNestedKeysAreListedByName) {
  MemoryRegistry registry;
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("a-b")).ok());
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("a")).ok());
  ASSERT_TRUE(registry.Put("/tidb-binlog/v1/pumps/a/x", "ignored: deeper than a child").ok());
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_TRUE(pumps.ok()) << pumps.status().message();
  ASSERT_EQ(pumps->size(), 2u);
  EXPECT_EQ((*pumps)[0].node_id, "a");
  EXPECT_EQ((*pumps)[1].node_id, "a-b");
}

TEST(MemoryRegistryTest, NestedKeyWithoutValueBreaksListingAsUpstream) {
  // What upstream's path.Join makes of a node id "a/b": a directory "a" with no value.
  MemoryRegistry registry;
  ASSERT_TRUE(registry.Put("/tidb-binlog/v1/pumps/a/b", NodeStatusToRegistryValue(Pump("a/b")))
                  .ok());
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_FALSE(pumps.ok());
  EXPECT_NE(pumps.status().message().find("nodeID(a)"), std::string::npos);
  // A child with its own value ignores deeper keys.
  ASSERT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("a")).ok());
  pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_TRUE(pumps.ok());
  ASSERT_EQ(pumps->size(), 1u);
  EXPECT_EQ((*pumps)[0].node_id, "a");
}

TEST(MemoryRegistryTest, RefusesNodeIdsThatAreNotOneKeyComponent) {
  MemoryRegistry registry;
  for (const char* id : {"a/b", "/a", "", ".", ".."}) {
    Status status = registry.UpdateNode(NodeKind::kPump, Pump(id));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(registry.GetNode(NodeKind::kPump, id).status().code(),
              StatusCode::kInvalidArgument)
        << id;
  }
  EXPECT_NE(registry.UpdateNode(NodeKind::kPump, Pump("a/b")).message().find("'/'"),
            std::string::npos);
  EXPECT_TRUE(registry.Keys().empty());
}

TEST(MemoryRegistryTest, InjectedFaultsFailTheNextCallsWithoutEffect) {
  MemoryRegistry registry;
  registry.FailNextCalls(2);
  EXPECT_EQ(registry.UpdateNode(NodeKind::kPump, Pump("p")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(registry.ListNodes(NodeKind::kPump).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(registry.Keys().empty());
  EXPECT_TRUE(registry.UpdateNode(NodeKind::kPump, Pump("p")).ok());
  EXPECT_TRUE(registry.ListNodes(NodeKind::kPump).ok());
}

TEST(MemoryRegistryTest, ConcurrentUpdatesAndListsStayConsistent) {
  MemoryRegistry registry;
  constexpr int kThreads = 4;
  constexpr int kUpdatesPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < kUpdatesPerThread; ++i) {
        ASSERT_TRUE(registry
                        .UpdateNode(NodeKind::kPump,
                                    Pump("pump-" + std::to_string(t), NodeState::kOnline, i))
                        .ok());
        ASSERT_TRUE(registry.ListNodes(NodeKind::kPump).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  Result<std::vector<NodeStatus>> pumps = registry.ListNodes(NodeKind::kPump);
  ASSERT_TRUE(pumps.ok());
  ASSERT_EQ(pumps->size(), static_cast<size_t>(kThreads));
  for (const NodeStatus& node : *pumps) EXPECT_EQ(node.max_commit_ts, kUpdatesPerThread - 1);
}

}  // namespace
}  // namespace tidb_binlog
