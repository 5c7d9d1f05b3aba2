// HttpServer: serves a Router over HTTP/1.x on a TCP port with Boost.Beast, behaving on the
// wire as upstream TiDB-Binlog's cmux + Go net/http server does (UPSTREAM.md §1.1).
//
// It only moves bytes; every response comes from the Router. What it adds:
//   * cmux sniffing: the first bytes of a connection must start with OPTIONS, GET, HEAD, POST,
//     PUT, DELETE, TRACE or CONNECT, else the connection is closed without any reply (a
//     PATCH first request gets no bytes; later requests on the connection go to the Router);
//   * keep-alive and pipelining: requests on a connection are answered in order; at most
//     kPipelinedResponsesMax responses wait to be written before reading pauses;
//   * `Date` (from the wall clock, IMF-fixdate) and Go's Connection rules (go_http.h);
//   * Go's server-level refusals, as the exact raw bytes Go writes (no Date, no
//     Content-Length), followed by closing the connection: a request Beast cannot parse ->
//     400; a header over kRequestHeaderBytesMax -> 431 (as Go; not 400); an unknown
//     Transfer-Encoding -> 501; a missing/duplicate/malformed Host -> 400 with Go's detail;
//   * bodies: upstream's handlers never read a body, so Go answers as usual and, when 256 KiB
//     or more of body is left unread, adds "Connection: close" and closes. We do the same:
//     a body of kRequestBodyBytesMax bytes or more (or one announced with "Expect:
//     100-continue") is not read, the request is routed without it, and the reply carries
//     "Connection: close". No 413: Go never sends one here;
//   * a read timeout (the pump's cmux drops a connection silent for 10 s while sniffing; Go
//     itself has none afterwards, we keep one for every read as a guard against idle
//     connections piling up) and a write timeout against clients that stop reading;
//   * graceful Stop();
//   * optionally, the other half of cmux: with `on_http2_connection` set, a connection whose
//     first bytes are the HTTP/2 client preface is handed over, preface unread, to whoever
//     serves gRPC on the same port (the pump). The sniffing then peeks (recv MSG_PEEK) instead
//     of reading, so the bytes stay in the socket; without the hook nothing changes and such
//     a connection is refused like any other non-HTTP/1 bytes.
//
// Threading: the caller owns the io_context and runs it on one or more threads; each
// connection runs on its own strand. Start(), Stop(), port() and ConnectionCount() may be
// called from any thread. Handlers and the on_request hook run on io_context threads and must
// be thread-safe when more than one thread runs it. Whatever handlers reference must outlive
// the io_context's run, since connections may still be finishing after ~HttpServer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "reference/core/status.h"
#include "reference/http/router.h"

namespace tidb_binlog {

// Go's limit on request line + header fields: http.DefaultMaxHeaderBytes (1 MiB) plus the
// 4096 bytes of slack net/http allows before it answers 431.
inline constexpr std::size_t kRequestHeaderBytesMax = (std::size_t{1} << 20) + 4096;
// Bodies this large or larger are not read (the connection closes after the reply): Go's
// maxPostHandlerReadBytes, the most net/http discards of a body a handler ignored.
inline constexpr std::size_t kRequestBodyBytesMax = std::size_t{256} << 10;
// Responses waiting to be written per connection before we stop reading pipelined requests.
inline constexpr std::size_t kPipelinedResponsesMax = 16;
static_assert(kPipelinedResponsesMax >= 1, "a connection must be able to hold one response");
// The pump's cmux sniffing timeout; used for every read of a request.
inline constexpr std::chrono::milliseconds kDefaultReadTimeout = std::chrono::seconds(10);
// How long a client may take to accept a response.
inline constexpr std::chrono::milliseconds kDefaultWriteTimeout = std::chrono::seconds(10);

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // "" listens on all interfaces, as Go's ":port"
  std::uint16_t port = 0;          // 0: an ephemeral port, see HttpServer::port()
  std::chrono::milliseconds read_timeout = kDefaultReadTimeout;
  std::chrono::milliseconds write_timeout = kDefaultWriteTimeout;
  // Called once per routed request, after the response is final and before it is written
  // (e.g. to count requests for metrics). Not called for connections refused by sniffing or
  // for requests refused with a raw Go error.
  std::function<void(const HttpRequest&, const HttpResponse&)> on_request;
  // Called with the socket of a connection whose first bytes are the HTTP/2 client preface
  // (RFC 9113 §3.4, kHttp2ClientPreface), still unread; the callee owns the fd from then on
  // and must close it. Runs on an io_context thread and must not block. Unset: refused.
  std::function<void(int fd)> on_http2_connection;
};

// What an HTTP/2 client sends first ("prior knowledge", as gRPC does over plaintext).
inline constexpr char kHttp2ClientPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// While the first bytes are a strict prefix of the preface, the socket is peeked again this
// often (a peek leaves the bytes in the socket, so waiting for readability would return at
// once); bounded by the read timeout like any sniffing.
inline constexpr std::chrono::milliseconds kPrefacePeekInterval(5);

class HttpServer {
 public:
  // Binds and listens (SO_REUSEADDR, as Go), then accepts on `io`. Fails with IoError when the
  // address cannot be resolved or bound.
  static Result<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io, Router router,
                                                   HttpServerOptions options);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop()

  // The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const { return port_; }

  // Stops accepting; connections idle or mid-way through reading a request are closed;
  // responses already computed are written (with "Connection: close") and then their
  // connections close. Returns at once; the io_context's run() returns when all is done
  // (if nothing else keeps it busy). Idempotent.
  void Stop();

  // Open connections (accepted and not yet closed).
  std::size_t ConnectionCount() const;

  struct State;
  class Listener;

 private:
  HttpServer(std::shared_ptr<State> state, std::shared_ptr<Listener> listener,
             std::uint16_t port);

  std::shared_ptr<State> state_;
  std::shared_ptr<Listener> listener_;
  std::uint16_t port_;
};

}  // namespace tidb_binlog
