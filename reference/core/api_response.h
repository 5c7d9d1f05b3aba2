// The JSON bodies of pump's and drainer's HTTP API, byte for byte as upstream writes them
// (UPSTREAM.md §1.4, §2.1-§2.3, §3.1-§3.3).
//
// util.Response bodies ({message, code, data}, in that key order) are rendered in the
// "render JSON" style (2-space indent + "\n"); the status and listing bodies in the
// "encoder JSON" style (compact + "\n"). Handlers choose the HTTP framing (status 200 and
// Content-Type) themselves; this file only makes bodies.
//
// Not for: deciding which message a handler answers (pump, drainer), or HTTP framing (http).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "reference/core/node_status.h"

namespace tidb_binlog {

// util.Response codes (pkg/util/http.go). All are sent with HTTP status 200.
inline constexpr int64_t kResponseCodeSuccess = 200;
inline constexpr int64_t kResponseCodeWrongParameter = 1;  // declared upstream, never sent
inline constexpr int64_t kResponseCodeNotFound = 2;        // NotFoundResponsef, unused by servers
inline constexpr int64_t kResponseCodeOtherError = 3;      // ErrResponsef: every API error

// {"message": message, "code": code, "data": data} as a JSON object in that key order.
boost::json::value ResponseJson(std::string_view message, int64_t code,
                                const boost::json::value& data);

// SuccessResponse(message, data), e.g. `apply action pause success!` with data null.
std::string SuccessResponseBody(std::string_view message,
                                const boost::json::value& data = nullptr);

// ErrResponsef: code 3, data null, e.g. `invalide action stop`.
std::string ErrorResponseBody(std::string_view message);

// NotFoundResponsef: code 2, data null, message `<what> not found`.
std::string NotFoundResponseBody(std::string_view what);

// Drainer GET /commit_ts: success `get drainer's latest ts success!` with data {"ts": ts}.
std::string CommitTsBody(int64_t checkpoint_ts);

// Pump GET /status on success: {"status": {nodeId: record...} (sorted by node id, keyed by
// each record's node_id; later duplicates win), "CommitTS": commit_ts, "Checkpoint": {},
// "ErrMsg": ""} + "\n". An empty list prints `"status":{}`.
std::string PumpStatusBody(std::span<const NodeStatus> pumps, int64_t commit_ts);

// Pump GET /status when listing pumps or getting a TSO failed:
// {"status":null,"CommitTS":0,"Checkpoint":{},"ErrMsg":"<error>"} + "\n".
std::string PumpStatusErrorBody(std::string_view error);

// Pump GET /drainers: the records as a compact array + "\n", in the given order; none (or a
// failed listing) is `null\n`, as upstream's nil slice.
std::string DrainersBody(std::span<const NodeStatus> drainers);

// Drainer GET /status: {"PumpPos": {nodeId: ts} (sorted) or null, "Synced", "LastTS",
// "TsMap": ""} + "\n". Before the first successful pump refresh upstream prints
// PumpPos null, Synced false and LastTS 0: pass std::nullopt, false, 0.
std::string DrainerStatusBody(const std::optional<std::map<std::string, int64_t>>& pump_pos,
                              bool synced, int64_t last_ts);

}  // namespace tidb_binlog
