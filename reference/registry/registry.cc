#include "reference/registry/registry.h"

namespace tidb_binlog {

std::string RegistryKindPrefix(NodeKind kind) {
  // pkg/node: the kind directories are "pumps" and "drainers".
  return std::string(kRegistryRootPrefix) + "/" + NodeKindName(kind) + "s";
}

Status ValidateRegistryNodeId(std::string_view node_id) {
  if (node_id.empty() || node_id == "." || node_id == "..") {
    return Status::InvalidArgument("invalid node id \"" + std::string(node_id) +
                                   "\": it cannot name a registry key");
  }
  if (node_id.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("invalid node id \"" + std::string(node_id) +
                                   "\": node ids must not contain '/'");
  }
  return Status::Ok();
}

std::string RegistryNodeKey(NodeKind kind, std::string_view node_id) {
  BINLOG_ASSERT(ValidateRegistryNodeId(node_id).ok());
  return RegistryKindPrefix(kind) + "/" + std::string(node_id);
}

}  // namespace tidb_binlog
