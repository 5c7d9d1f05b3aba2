// Internal to reference/grpc (the clients' .cc files): conversions between gRPC's C++ types
// and the gRPC-free ones the clients' headers expose (RpcStatus, pump_client.h). Includes
// gRPC's headers, so no public header may include it.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>

#include <grpcpp/support/status.h>

#include "reference/grpc/pump_client.h"

namespace tidb_binlog::grpc_internal {

inline RpcStatus FromGrpc(const grpc::Status& status) {
  return RpcStatus{static_cast<int>(status.error_code()), status.error_message()};
}

inline std::chrono::system_clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

}  // namespace tidb_binlog::grpc_internal
