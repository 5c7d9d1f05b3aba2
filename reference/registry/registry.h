// Registry: where pumps and drainers publish their status records (UPSTREAM.md §5.1).
//
// Upstream keeps the records in the etcd embedded in PD, under
//   /tidb-binlog/v1/pumps/<nodeID>     and     /tidb-binlog/v1/drainers/<nodeID>
// with the compact JSON of node.Status as the value (NodeStatusToRegistryValue). There is no
// TTL and no lease: keys are never deleted; an offline node stays with state "offline".
// This interface keeps that key space and value format so that an etcd-backed
// implementation can replace MemoryRegistry (memory_registry.h) without callers noticing.
//
// Contract:
//  - UpdateNode writes the record under the key of (kind, status.node_id), creating or
//    replacing it.
//  - ListNodes decodes every direct child of the kind's prefix and fails as a whole
//    (kCorruption) if one of them is not a valid record, as upstream's Nodes() does.
//    Records come back in ascending node-id (key) order; upstream's order is random (a Go
//    map), so sorted is a safe refinement (§11 #10).
//  - GetNode: kNotFound ("key <key> in etcd not found") if absent, kCorruption if invalid.
//  - Node ids containing '/', and the ids "", "." and "..", are refused with
//    kInvalidArgument. Upstream joins ids into keys with Go's path.Join, so such ids land on
//    other or nested keys and break listing (§11 #20); refusing them is our documented
//    deviation.
//  - Put/Get give raw access to the key space (tests, a future binlogctl).
//  - Any call may fail with kUnavailable when the registry cannot be reached.
//
// Not for: deciding node states or liveness (nodes and their drivers do that).
// Thread safety: implementations are safe to call from any thread concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reference/core/node_status.h"
#include "reference/core/status.h"

namespace tidb_binlog {

// Upstream's root prefix; `v1` is the registry version.
inline constexpr std::string_view kRegistryRootPrefix = "/tidb-binlog/v1";

// "/tidb-binlog/v1/pumps" or "/tidb-binlog/v1/drainers" (no trailing slash).
std::string RegistryKindPrefix(NodeKind kind);

// OK if `node_id` can be a registry key component (see the contract above).
Status ValidateRegistryNodeId(std::string_view node_id);

// "<kind prefix>/<node_id>". Requires a valid node id.
std::string RegistryNodeKey(NodeKind kind, std::string_view node_id);

class Registry {
 public:
  virtual ~Registry() = default;

  virtual Status UpdateNode(NodeKind kind, const NodeStatus& status) = 0;
  virtual Result<std::vector<NodeStatus>> ListNodes(NodeKind kind) = 0;
  virtual Result<NodeStatus> GetNode(NodeKind kind, std::string_view node_id) = 0;

  // Raw key access. Get: kNotFound ("key <key> in etcd not found") if absent.
  virtual Status Put(std::string_view key, std::string value) = 0;
  virtual Result<std::string> Get(std::string_view key) = 0;
};

}  // namespace tidb_binlog
