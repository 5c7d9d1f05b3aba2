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

// A listed child's record decoded, annotated as upstream's listing annotates it.
Result<NodeStatus> DecodeListedRecord(std::string_view id,
                                      const std::optional<std::string>& value) {
  return DecodeRecord(value, "error unmarshal NodeStatus with nodeID(" + std::string(id) +
                                 "), node value(" + value.value_or("") + ")");
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
  for (const auto& [key, entry] : kv_) keys.push_back(key);
  return keys;
}

Status MemoryRegistry::UpdateNode(NodeKind kind, const NodeStatus& status) {
  BINLOG_RETURN_IF_ERROR(ValidateRegistryNodeId(status.node_id));
  std::string key = RegistryNodeKey(kind, status.node_id);
  Entry entry = MakeEntry(NodeStatusToRegistryValue(status));
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  kv_.insert_or_assign(std::move(key), std::move(entry));
  return Status::Ok();
}

MemoryRegistry::Entry MemoryRegistry::MakeEntry(std::string value) {
  Result<NodeStatus> parsed = ParseNodeStatus(value);
  Entry entry{std::move(value), std::nullopt};
  if (parsed.ok()) entry.parsed = std::move(parsed).value();
  return entry;
}

std::optional<Result<std::vector<NodeStatus>>> MemoryRegistry::ListFlatLocked(
    const std::string& prefix) const {
  std::vector<NodeStatus> nodes;
  for (auto it = kv_.lower_bound(prefix); it != kv_.end() && it->first.starts_with(prefix);
       ++it) {
    std::string_view id = std::string_view(it->first).substr(prefix.size());
    if (id.find('/') != std::string_view::npos) return std::nullopt;
    const Entry& entry = it->second;
    if (!entry.parsed.has_value()) {
      // The first invalid child in name order, as the general path would report it.
      return Result<std::vector<NodeStatus>>(DecodeListedRecord(id, entry.value).status());
    }
    nodes.push_back(*entry.parsed);
  }
  return Result<std::vector<NodeStatus>>(std::move(nodes));
}

Result<std::vector<NodeStatus>> MemoryRegistry::ListNodes(NodeKind kind) {
  const std::string prefix = RegistryKindPrefix(kind) + "/";
  // Direct children by name: their own value, or nullopt for a child that only has
  // nested keys (a directory in upstream's etcd tree).
  std::map<std::string, std::optional<std::string>> children;
  {
    std::lock_guard lock(mu_);
    BINLOG_RETURN_IF_ERROR(InjectedFault());
    if (auto flat = ListFlatLocked(prefix)) return std::move(*flat);
    for (auto it = kv_.lower_bound(prefix); it != kv_.end() && it->first.starts_with(prefix);
         ++it) {
      std::string_view rest = std::string_view(it->first).substr(prefix.size());
      size_t slash = rest.find('/');
      std::optional<std::string>& child = children[std::string(rest.substr(0, slash))];
      if (slash == std::string_view::npos) child = it->second.value;
    }
  }
  std::vector<NodeStatus> nodes;
  nodes.reserve(children.size());
  for (const auto& [id, value] : children) {
    Result<NodeStatus> node = DecodeListedRecord(id, value);
    if (!node.ok()) return node.status();
    nodes.push_back(std::move(node).value());
  }
  return nodes;
}

Result<NodeStatus> MemoryRegistry::GetNode(NodeKind kind, std::string_view node_id) {
  BINLOG_RETURN_IF_ERROR(ValidateRegistryNodeId(node_id));
  std::string key = RegistryNodeKey(kind, node_id);
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  auto it = kv_.find(key);
  if (it == kv_.end()) return KeyNotFound(key);
  if (it->second.parsed.has_value()) return *it->second.parsed;
  return DecodeRecord(it->second.value, "Invalid nodeID(" + std::string(node_id) + ")");
}

Status MemoryRegistry::Put(std::string_view key, std::string value) {
  Entry entry = MakeEntry(std::move(value));
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  kv_.insert_or_assign(std::string(key), std::move(entry));
  return Status::Ok();
}

Result<std::string> MemoryRegistry::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  BINLOG_RETURN_IF_ERROR(InjectedFault());
  auto it = kv_.find(key);
  if (it == kv_.end()) return KeyNotFound(key);
  return it->second.value;
}

}  // namespace tidb_binlog
