// Target: where the conformance suite sends its requests. Two kinds, one interface, so every
// check runs the same way against a live cluster and against nodes inside the process:
//   * TcpTarget: any base URL (`http://host:port`), one fresh TCP connection per request,
//     Boost.Beast client, bounded by timeouts and a response size limit;
//   * InProcessTarget: calls a handler (a reference Router, or a mutant wrapping one)
//     directly, no sockets. The handler may decline to answer (std::nullopt), which the suite
//     sees as a connection that closed without a reply: that is how a crashed server looks.
// Raw bytes (malformed HTTP, oversized headers) need a byte stream: only TcpTarget has one;
// SupportsRawBytes() says so and the suite skips those cases in process, with the reason.
//
// Thread safety: a Target is used by one thread at a time (the suite is sequential).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reference/core/status.h"
#include "reference/http/http_types.h"

namespace tidb_binlog::conformance {

// Responses larger than this are cut off (a /metrics body is a few tens of KiB).
inline constexpr std::size_t kResponseBodyBytesMax = std::size_t{16} << 20;
// How long one request may take, connect to last byte, before the target counts as hung.
inline constexpr std::chrono::milliseconds kRequestTimeout = std::chrono::seconds(10);

// One request and what came back.
struct Exchange {
  HttpRequest request;
  std::string url;  // base URL + request target, for the curl reproducer
  std::optional<HttpResponse> response;  // nullopt: no reply (refused, closed, timed out)
  std::string error;                     // why there is no reply
};

// The reply to raw bytes: everything the server wrote before closing (or before the read
// limit or timeout).
struct RawReply {
  std::string bytes;
  bool closed = false;  // the server closed the connection
};

class Target {
 public:
  virtual ~Target() = default;
  // "http://127.0.0.1:8250"; in-process targets show the address their node advertises.
  virtual const std::string& base_url() const = 0;
  // host:port of base_url(), as a node's `host` field shows it.
  virtual std::string Authority() const;
  virtual Exchange Send(HttpRequest request) = 0;
  virtual bool SupportsRawBytes() const = 0;
  virtual Result<RawReply> SendRaw(std::string_view bytes) = 0;
};

// A request as curl would send it: HTTP/1.1, Host set to `host`, `body` with its length.
HttpRequest MakeRequest(std::string_view method, std::string_view target, std::string_view host,
                        std::string body = {});

// A TCP target for `base_url` (`http://host:port`, no path). kInvalidArgument for anything
// else (https is not supported yet: TLS targets need client certificates we do not load).
Result<std::unique_ptr<Target>> MakeTcpTarget(std::string_view base_url);

using InProcessHandler = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

// An in-process target answering with `handler`; `base_url` is only shown in reports.
std::unique_ptr<Target> MakeInProcessTarget(std::string base_url, InProcessHandler handler);

}  // namespace tidb_binlog::conformance
