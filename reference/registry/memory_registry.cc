#include "reference/registry/memory_registry.h"

#include <optional>
#include <utility>

namespace tidb_binlog {
namespace {

// pingcap/errors.NotFoundf("key %s in etcd", key), as upstream's etcd client reports it.
Status KeyNotFound(std::string_view key) {
  return Status::NotFound("key " + std::string(key) + " in etcd not found");
}

// Decodes a stored record; `context` is upstream's annotation for the call site.
Result<NodeStatus> DecodeRecord(const std::optional<std::string>& value,
                                const std::string& context) {
  // A directory child without a value is what json.Unmarshal(nil) rejects upstream.
  if (!value.has_value()) {
    return Status::Corruption("unexpected end of JSON input").Annotate(context);
  }
  Result<NodeStatus> status = ParseNodeStatus(*value);
  if (!status.ok()) {
    return Status(StatusCode::kCorruption, status.status().message()).Annotate(context);
  }
  return status;
}

}  // namespace

Status MemoryRegistry::InjectedFault() {
  if (fail_next_calls_ == 0) return Status::Ok();
  --fail_next_calls_;
  return Status::Unavailable("registry unreachable (injected fault)");
}

void MemoryRegistry::FailNextCalls(int calls) {
  BINLOG_ASSERT(calls >= 0);
  std::lock_guard lock(mu_);
  fail_next_calls_ = calls;
}

std::vector<std::string> MemoryRegistry::Keys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  keys.reserve(kv_.size());
  for (const auto& [key, value] : kv_) keys.push_back(key);
  return keys;
}

Status MemoryRegistry::UpdateNode(NodeKind kind, const NodeStatus& status) {
  BINLOG_RETURN_IF_ERROR(ValidateRegistryNodeId(status.node_id));
  std::string key = RegistryNodeKey(kind, status.node_id);
  std::string value = NodeStatusToRegistryValue(status);
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  kv_.insert_or_assign(std::move(key), std::move(value));
  return Status::Ok();
}

Result<std::vector<NodeStatus>> MemoryRegistry::ListNodes(NodeKind kind) {
  const std::string prefix = RegistryKindPrefix(kind) + "/";
  // Direct children by name: their own value, or nullopt for a child that only has
  // nested keys (a directory in upstream's etcd tree).
  std::map<std::string, std::optional<std::string>> children;
  {
    std::lock_guard lock(mu_);
    BINLOG_RETURN_IF_ERROR(InjectedFault());
    for (auto it = kv_.lower_bound(prefix); it != kv_.end() && it->first.starts_with(prefix);
         ++it) {
      std::string_view rest = std::string_view(it->first).substr(prefix.size());
      size_t slash = rest.find('/');
      std::optional<std::string>& child = children[std::string(rest.substr(0, slash))];
      if (slash == std::string_view::npos) child = it->second;
    }
  }
  std::vector<NodeStatus> nodes;
  nodes.reserve(children.size());
  for (const auto& [id, value] : children) {
    Result<NodeStatus> node = DecodeRecord(
        value, "error unmarshal NodeStatus with nodeID(" + id + "), node value(" +
                   value.value_or("") + ")");
    if (!node.ok()) return node.status();
    nodes.push_back(std::move(node).value());
  }
  return nodes;
}

Result<NodeStatus> MemoryRegistry::GetNode(NodeKind kind, std::string_view node_id) {
  BINLOG_RETURN_IF_ERROR(ValidateRegistryNodeId(node_id));
  std::string key = RegistryNodeKey(kind, node_id);
  Result<std::string> value = [&]() -> Result<std::string> {
    std::lock_guard lock(mu_);
    BINLOG_RETURN_IF_ERROR(InjectedFault());
    return GetLocked(key);
  }();
  if (!value.ok()) return value.status();
  return DecodeRecord(*value, "Invalid nodeID(" + std::string(node_id) + ")");
}

Status MemoryRegistry::Put(std::string_view key, std::string value) {
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  kv_.insert_or_assign(std::string(key), std::move(value));
  return Status::Ok();
}

Result<std::string> MemoryRegistry::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  return GetLocked(std::string(key));
}

Result<std::string> MemoryRegistry::GetLocked(const std::string& key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) return KeyNotFound(key);
  return it->second;
}

}  // namespace tidb_binlog
