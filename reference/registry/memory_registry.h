// MemoryRegistry: the Registry (registry.h) as an ordered in-process key-value map with
// upstream's keys and values, for the local cluster and the simulator.
//
// Listing works on the key space the way upstream's etcd client builds its directory tree:
// keys below "<kind prefix>/" are grouped by their first path component; a child that has
// no value of its own (only nested keys, as a raw Put of "<prefix>/a/b" makes) fails the
// whole listing, as upstream's does.
//
// Each value is parsed once, when written: listing, which every drainer does on each pump-list
// refresh and the simulator does thousands of times per simulated second at scale, copies
// the parsed records instead of parsing JSON again.
//
// Fault injection (simulator): FailNextCalls(n) makes the next n calls of any method return
// kUnavailable without effect, modelling an unreachable PD/etcd.
//
// Thread safety: every method may be called from any thread concurrently (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/registry/registry.h"

namespace tidb_binlog {

class MemoryRegistry final : public Registry {
 public:
  Status UpdateNode(NodeKind kind, const NodeStatus& status) override;
  Result<std::vector<NodeStatus>> ListNodes(NodeKind kind) override;
  Result<NodeStatus> GetNode(NodeKind kind, std::string_view node_id) override;
  Status Put(std::string_view key, std::string value) override;
  Result<std::string> Get(std::string_view key) override;

  // The next `calls` calls (of any method above) fail with kUnavailable.
  void FailNextCalls(int calls);
  // Every key, ascending (tests and the simulator's checkers).
  std::vector<std::string> Keys() const;

 private:
  // Consumes one injected fault if any is pending. Requires mu_ held.
  Status InjectedFault();
  // ListNodes when no key below the prefix is nested: children are then exactly the keys, in
  // key order. nullopt if a nested key was found (the general path handles it). Requires mu_.
  std::optional<Result<std::vector<NodeStatus>>> ListFlatLocked(const std::string& prefix) const;

  // A stored value and, if it is a valid status record, its parse.
  struct Entry {
    std::string value;
    std::optional<NodeStatus> parsed;
  };
  static Entry MakeEntry(std::string value);

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> kv_;
  int fail_next_calls_ = 0;
};

}  // namespace tidb_binlog
