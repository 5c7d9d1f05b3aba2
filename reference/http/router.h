// Router: upstream TiDB-Binlog's HTTP routing, byte for byte — Go's http.DefaultServeMux in
// front of a gorilla/mux 1.8.0 router (UPSTREAM.md §1.1, §1.2).
//
// What a request gets, in the order Go decides it:
//   * a target Go cannot parse (bad %-escape, not origin/absolute form) -> the plain
//     "400 Bad Request" reply Go's server writes (TransportErrorResponse);
//   * "OPTIONS *" -> 200 with Content-Length 0; any other method with "*" -> 400 with
//     "Connection: close" and an empty body (ServeMux);
//   * a non-canonical path (`//status`, `/./status`, `/a/../status`) -> 301 to the cleaned
//     path plus the query (Location; for GET an HTML body, for HEAD only its Content-Type);
//     CONNECT paths are not cleaned by ServeMux but by gorilla, whose 301 has no body;
//   * a route whose pattern matches the percent-DECODED path and whose method is exactly the
//     request's (HEAD is not GET, "put" is not PUT) -> its handler (first match wins);
//   * a path some route matches with another method -> 405, empty body, Content-Length 0,
//     no Content-Type;
//   * otherwise -> 404 "404 page not found\n", text/plain; charset=utf-8, nosniff.
// The query string never takes part in matching. `{name}` matches one non-empty segment of
// the decoded path, so `/state/a%2Fb/pause` has four segments and is a 404, and a trailing
// slash (`/status/`) is a 404.
//
// For HEAD requests the body is dropped and Content-Length kept, as Go does (no
// Content-Length at all when the body was empty). Route() never reads a clock: the response
// carries Content-Length but no `Date`; the server adds it (StampDate in go_http.h).
//
// Not reproduced: net/http/pprof's /debug/pprof/ routes (and ServeMux's /tree -> /tree/
// redirect that comes with them), and the chunked encoding Go uses for bodies over 2048 bytes
// (we always send Content-Length; the payload is identical).
//
// Thread-safety: Add*() during set-up only; Route() is const and safe to call from many
// threads at once. Handlers must be safe to call concurrently if the server runs several
// threads.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/http/http_types.h"

namespace tidb_binlog {

using Handler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

class Router {
 public:
  Router() = default;

  // Serves `pattern` ("/status", "/state/{nodeID}/{action}") for `method` only. The pattern
  // must be rooted, clean, without a trailing slash, with `{name}` only as whole segments.
  void Add(boost::beast::http::verb method, std::string pattern, Handler handler);

  // Serves `pattern` for every method, including ones Beast has no verb for (promhttp on
  // /metrics).
  void AddAnyMethod(std::string pattern, Handler handler);

  HttpResponse Route(const HttpRequest& request) const;

 private:
  struct Segment {
    bool is_variable = false;
    std::string text;  // the literal, or the variable's name
  };
  struct RouteEntry {
    bool any_method = false;
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    std::vector<Segment> segments;
    Handler handler;
  };

  void AddRoute(RouteEntry route, std::string_view pattern);
  HttpResponse Dispatch(const HttpRequest& request, const std::string& path) const;
  static bool MatchPath(const RouteEntry& route, const std::vector<std::string_view>& segments,
                        PathParams* params);

  std::vector<RouteEntry> routes_;
};

}  // namespace tidb_binlog
