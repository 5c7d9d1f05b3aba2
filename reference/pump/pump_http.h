// The reference Pump's HTTP API (UPSTREAM.md §2, §4, §10) as plain functions of (request,
// node state) -> response: no sockets, no clock. The runtime's Beast server, the simulator
// and the conformance suite all call MakePumpRouter(node).Route(request).
//
// Routes, as upstream's gorilla router plus DefaultServeMux:
//   GET  /status                   encoder JSON: every pump record in the registry (offline
//                                  ones too) keyed by node id, a fresh TSO as CommitTS,
//                                  Checkpoint {}, ErrMsg ""; on a registry or TSO error
//                                  status null with the error text; once shutdown began
//                                  ErrMsg "context canceled" (upstream's cancelled context)
//   PUT  /state/{nodeID}/{action}  render JSON util.Response (PumpNode::ApplyAction)
//   GET  /drainers                 encoder JSON array of drainer records (node-id order), or
//                                  `null\n` when there are none, on error and during shutdown
//   GET  /debug/binlog/{ts}        text, no trailing newline (§2.4)
//   POST /debug/gc/trigger         `trigger gc success\n` or `gc is working\n`
//   any  /metrics                  Prometheus text (PumpNode::ExposeMetrics)
// 404, 405 and 301 come from the Router (reference/http/router.h).
//
// Thread safety: the handlers only call the node's thread-safe methods; the returned Router
// refers to `node`, which must outlive it.
#pragma once

#include <cstdint>
#include <string_view>

#include "reference/core/status.h"
#include "reference/http/http_types.h"
#include "reference/http/router.h"
#include "reference/pump/pump_node.h"

namespace tidb_binlog {

// The pump's full route table.
Router MakePumpRouter(PumpNode& node);

// The handlers, one per route (exposed for tests and in-process callers).
HttpResponse HandlePumpStatus(PumpNode& node);
HttpResponse HandlePumpApplyAction(PumpNode& node, std::string_view node_id,
                                   std::string_view action);
HttpResponse HandlePumpDrainers(PumpNode& node);
HttpResponse HandlePumpBinlogByTs(PumpNode& node, std::string_view raw_ts);
HttpResponse HandlePumpTriggerGc(PumpNode& node);
HttpResponse HandlePumpMetrics(PumpNode& node);

// Go's strconv.ParseInt(text, 10, 64): an optional `+`/`-`, then one or more decimal digits
// (no prefixes, no underscores, no spaces), within int64. kInvalidArgument otherwise.
Result<int64_t> ParseGoInt64(std::string_view text);

}  // namespace tidb_binlog
