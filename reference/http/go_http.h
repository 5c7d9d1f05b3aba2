// The parts of Go's net/http (1.19) and cmux 0.1.5 that decide bytes on the wire before or
// after upstream's handlers run: request-target parsing, path cleaning and the redirect URL,
// server-level request checks and their raw error replies, cmux's first-bytes sniffing, and
// the final touches to a response (Date, HEAD, Connection).
//
// Why hand-written: upstream's observable behaviour comes from these Go rules, not from any
// RFC; Boost.URL and Beast implement the RFCs, which differ in the corners users hit
// (`//status` redirects, `%2F` splitting a segment, 400 bodies, HEAD without Content-Length).
//
// Pure functions: no clock, no sockets; the server (server.h) and in-process callers
// (simulator, conformance suite) share them. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/http/http_types.h"

namespace tidb_binlog {

// ---- request target and path ----

// The parts of a request target Go's url.ParseRequestURI gives the muxes.
struct RequestTarget {
  bool asterisk = false;   // the target was "*" (OPTIONS * / ServeMux's 400)
  std::string path;        // percent-decoded path; "" for authority-form or opaque targets
  std::string raw_query;   // after the first '?', not decoded
};

// Parses `target` as Go's http.ReadRequest does (origin form "/p?q", absolute form
// "scheme://host/p", "*", and for CONNECT the authority form "host:port"). nullopt where Go
// fails the request with a plain "400 Bad Request": a bad %-escape, or a target that is none
// of these forms.
std::optional<RequestTarget> ParseRequestTarget(std::string_view target, bool is_connect);

// net/http cleanPath: path.Clean on a rooted path, keeping a trailing slash.
std::string CleanPath(std::string_view path);

// url.URL{Path: path}.EscapedPath(): escapes every byte except letters, digits and
// "-_.~$&+,/:;=@" as %XX (upper-case hex).
std::string EscapePath(std::string_view path);

// ---- server-level request checks (before any handler) ----

// A request Go's server refuses before routing. It answers with raw bytes, no Date, no
// Content-Length, and closes the connection.
struct TransportError {
  unsigned status = 400;
  std::string status_line;  // "400 Bad Request: missing required Host header"
  std::string body;         // "400 Bad Request: missing required Host header"
};

TransportError BadRequestError(std::string_view detail = {});  // 400 [": detail"]
TransportError HeaderTooLargeError();                           // 431
TransportError UnsupportedTransferEncodingError();              // 501

// The checks Go makes on a parsed request: HTTP major version 1 (else 505 "unsupported
// protocol version"), a request target it can parse, and for HTTP/1.1 exactly one valid Host
// header (except CONNECT).
std::optional<TransportError> CheckRequest(const HttpRequest& request);

// The exact bytes Go writes for `error`:
// "HTTP/1.1 <status_line>\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n<body>".
std::string TransportErrorBytes(const TransportError& error);

// The same reply as a message, for in-process callers that have no byte stream.
HttpResponse TransportErrorResponse(const TransportError& error);

// ---- cmux ----

enum class SniffVerdict {
  kHttp,      // starts with one of cmux.HTTP1Fast's methods: serve as HTTP/1.x
  kNeedMore,  // a strict prefix of such a method: read more bytes
  kReject,    // matches nothing: cmux closes the connection without any reply
};

// cmux.HTTP1Fast(): the connection's first bytes must begin with OPTIONS, GET, HEAD, POST,
// PUT, DELETE, TRACE or CONNECT (a byte prefix match: "GETX" passes, "PATCH" and "get" don't).
SniffVerdict SniffFirstBytes(std::string_view first_bytes);

// ---- the response on the wire ----

// IMF-fixdate (RFC 7231), as Go's Date header: "Mon, 02 Jan 2006 15:04:05 GMT".
std::string FormatHttpDate(std::int64_t unix_seconds);

// Adds `Date` where Go puts it: before Content-Length (after headers the handler set), or
// last when there is no Content-Length.
void StampDate(std::string_view date, HttpResponse& response);

// Applies Go's connection rules to a routed response for `request` and returns whether the
// connection stays open afterwards. An HTTP/1.0 request gets an "HTTP/1.0" status line and a
// close (Go keeps a 1.0 connection only for HEAD with "Connection: keep-alive", and then says
// so); an HTTP/1.1 request asking for close, a response saying "Connection: close", or
// `force_close` (the server is not reading the rest of the request) closes, and a 1.1
// response then carries "Connection: close" last.
bool ApplyConnectionRules(const HttpRequest& request, bool force_close, HttpResponse& response);

}  // namespace tidb_binlog
