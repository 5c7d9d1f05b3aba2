#include "reference/drainer/drainer_http.h"

#include <utility>

#include "reference/core/api_response.h"
#include "reference/core/assert.h"

namespace tidb_binlog {

namespace http = boost::beast::http;

HttpResponse HandleDrainerStatus(DrainerNode& node, int64_t now_ms) {
  const DrainerHttpStatus status = node.HttpStatus(now_ms);
  return EncoderJsonResponse(DrainerStatusBody(status.pump_pos, status.synced, status.last_ts));
}

HttpResponse HandleDrainerCommitTs(DrainerNode& node) {
  return RenderJsonResponse(CommitTsBody(node.CheckpointTs()));
}

HttpResponse HandleDrainerApplyAction(DrainerNode& node, std::string_view node_id,
                                      std::string_view action) {
  const DrainerActionResult result = node.ApplyAction(node_id, action);
  return RenderJsonResponse(result.accepted ? SuccessResponseBody(result.message)
                                            : ErrorResponseBody(result.message));
}

HttpResponse HandleDrainerMetrics(DrainerNode& node) {
  return MetricsResponse(node.ExposeMetrics());
}

Router MakeDrainerRouter(DrainerNode& node, DrainerClock now_ms) {
  BINLOG_ASSERT(now_ms != nullptr);
  Router router;
  router.Add(http::verb::get, "/status",
             [&node, now_ms = std::move(now_ms)](const HttpRequest&, const PathParams&) {
               return HandleDrainerStatus(node, now_ms());
             });
  router.Add(http::verb::get, "/commit_ts", [&node](const HttpRequest&, const PathParams&) {
    return HandleDrainerCommitTs(node);
  });
  router.Add(http::verb::put, "/state/{nodeID}/{action}",
             [&node](const HttpRequest&, const PathParams& params) {
               return HandleDrainerApplyAction(node, params.Get("nodeID"),
                                               params.Get("action"));
             });
  router.AddAnyMethod("/metrics", [&node](const HttpRequest&, const PathParams&) {
    return HandleDrainerMetrics(node);
  });
  return router;
}

}  // namespace tidb_binlog
