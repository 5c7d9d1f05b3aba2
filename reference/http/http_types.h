// HTTP request/response types shared by the node handlers, the router, the simulator and the
// conformance suite, plus builders for the three response styles upstream TiDB-Binlog uses
// (UPSTREAM.md §1.3) and for /metrics.
//
// These are Beast message types, so a handler is a pure function that tests and the simulator
// call without a socket. Nothing here reads a clock or touches the network: the `Date` header
// is added by whoever puts the response on the wire (HttpServer, or a simulator with its
// virtual clock) through StampDate() in reference/http/go_http.h.
//
// Builders return status 200 with the body, the Content-Type upstream sends and
// Content-Length. Header order follows Go: a Content-Type the handler sets explicitly (render
// JSON, promhttp) precedes Content-Length; a Content-Type Go sniffs (encoder JSON, plain text)
// follows it, because Go appends sniffed types after Date and Content-Length.
//
// Thread-safety: plain values and free functions; no shared state.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace tidb_binlog {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Content types exactly as upstream sends them (note render's upper-case "UTF-8").
inline constexpr std::string_view kContentTypeTextPlain = "text/plain; charset=utf-8";
inline constexpr std::string_view kContentTypeRenderJson = "application/json; charset=UTF-8";
inline constexpr std::string_view kContentTypeMetrics =
    "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kContentTypeHtml = "text/html; charset=utf-8";
inline constexpr std::string_view kContentTypeOctetStream = "application/octet-stream";

// Path variables of a matched route, by name, percent-decoded ("/state/a%20b/pause" with
// pattern "/state/{nodeID}/{action}" gives nodeID = "a b").
struct PathParams {
  std::map<std::string, std::string, std::less<>> values;

  // The value of `name`, or "" when the route has no such variable.
  std::string_view Get(std::string_view name) const;
};

// `json.NewEncoder(w).Encode(v)` without an explicit Content-Type: `body` is the compact JSON
// including its trailing "\n"; Go sniffs the type (text/plain; charset=utf-8).
HttpResponse EncoderJsonResponse(std::string body);

// unrolled/render JSON with IndentJSON: `body` is the indented JSON including its trailing
// "\n"; Content-Type application/json; charset=UTF-8.
HttpResponse RenderJsonResponse(std::string body);

// fmt.Fprint / Fprintln output, Content-Type sniffed by Go (see SniffContentType).
HttpResponse TextResponse(std::string body);

// promhttp text exposition format 0.0.4.
HttpResponse MetricsResponse(std::string body);

// The Content-Type Go's http.DetectContentType gives the bodies our handlers write: none for
// an empty body, application/octet-stream if the first 512 bytes hold a byte WHATWG calls
// binary data (a path variable echoed back may carry a decoded %00), else text/plain;
// charset=utf-8. The signature table of DetectContentType (HTML, images, archives, BOMs) is
// not reproduced: every sniffed upstream body starts with JSON or fixed ASCII text.
std::string_view SniffContentType(std::string_view body);

}  // namespace tidb_binlog
