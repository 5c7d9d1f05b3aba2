// The reference Drainer's HTTP API (UPSTREAM.md §3, §4, §10) as plain functions of (request,
// node state) -> response: no sockets, no clock of its own. The runtime's Beast server, the
// simulator and the conformance suite all call MakeDrainerRouter(node, clock).Route(request).
//
// Routes, as upstream's gorilla router (drainer registers /metrics inside it too):
//   GET  /status                   encoder JSON {"PumpPos","Synced","LastTS","TsMap":""}
//                                  (DrainerNode::HttpStatus; null/false/0 before the first
//                                  successful pump refresh)
//   GET  /commit_ts                render JSON `get drainer's latest ts success!` with
//                                  data {"ts": checkpoint ts}
//   PUT  /state/{nodeID}/{action}  render JSON util.Response (DrainerNode::ApplyAction)
//   any  /metrics                  Prometheus text (DrainerNode::ExposeMetrics)
// 404, 405 and 301 come from the Router (reference/http/router.h).
//
// The Synced rule of /status depends on the time of the request, which the node cannot
// read: the driver passes its clock (wall clock in the runtime, virtual time in the
// simulator) to MakeDrainerRouter.
//
// Thread safety: the handlers only call the node's thread-safe methods; the returned Router
// refers to `node` (and the clock), which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "reference/drainer/drainer_node.h"
#include "reference/http/http_types.h"
#include "reference/http/router.h"

namespace tidb_binlog {

// The driver's current time in milliseconds (the same clock it hands the node).
using DrainerClock = std::function<int64_t()>;

// The drainer's full route table.
Router MakeDrainerRouter(DrainerNode& node, DrainerClock now_ms);

// The handlers, one per route (exposed for tests and in-process callers).
HttpResponse HandleDrainerStatus(DrainerNode& node, int64_t now_ms);
HttpResponse HandleDrainerCommitTs(DrainerNode& node);
HttpResponse HandleDrainerApplyAction(DrainerNode& node, std::string_view node_id,
                                      std::string_view action);
HttpResponse HandleDrainerMetrics(DrainerNode& node);

}  // namespace tidb_binlog
