#include "reference/http/server.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "reference/http/go_http.h"

namespace tidb_binlog {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;

// Bytes asked of the socket per read while sniffing the first request.
constexpr std::size_t kSniffReadBytes = 4096;
// Bytes discarded per read while lingering before a close.
constexpr std::size_t kLingerReadBytes = 4096;
// After an error reply or an unread body, keep reading (and discarding) for at most this long
// before closing, so that the client reads our reply instead of a connection reset
// (net/http's rstAvoidanceDelay).
constexpr std::chrono::milliseconds kLingerTime(500);
// Pause before accepting again after accept() failed (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetryDelay(50);

// The Date value for now, formatted at most once per second per thread.
std::string CurrentHttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached = FormatHttpDate(now);
  }
  return cached;
}

}  // namespace

class Session;

// What the listener and every connection share. Outlives HttpServer while connections finish.
struct HttpServer::State {
  State(Router r, HttpServerOptions o) : router(std::move(r)), options(std::move(o)) {}

  // False when the server is stopping: the connection must close at once.
  bool Register(std::uint64_t* id, std::weak_ptr<Session> session) {
    std::lock_guard lock(mu);
    if (stopping) return false;
    *id = next_id++;
    sessions.emplace(*id, std::move(session));
    return true;
  }
  void Unregister(std::uint64_t id) {
    std::lock_guard lock(mu);
    sessions.erase(id);
  }
  bool IsStopping() const {
    std::lock_guard lock(mu);
    return stopping;
  }

  const Router router;
  const HttpServerOptions options;
  mutable std::mutex mu;
  bool stopping = false;                                      // guarded by mu
  std::uint64_t next_id = 1;                                  // guarded by mu
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;   // guarded by mu
};

namespace {

// What to do with the connection once a queued reply is written.
enum class After { kKeepOpen, kClose, kLingerClose };

struct Outgoing {
  std::optional<HttpResponse> response;  // a routed reply, or
  std::string raw;                       // Go's raw error bytes
  After after = After::kKeepOpen;
};

}  // namespace

// One connection, in the shape of Beast's advanced server example: every step runs on the
// connection's strand; every OnX first looks at the error code.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::State> state)
      : stream_(std::move(socket)), peek_timer_(stream_.get_executor()), state_(std::move(state)) {}
  ~Session() {
    if (id_ != 0) state_->Unregister(id_);
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->state_->Register(&self->id_, self->weak_from_this())) {
        self->DoClose();
        return;
      }
      if (self->state_->options.on_http2_connection) {
        self->StartPeek();
      } else {
        self->DoSniff();
      }
    });
  }

  void Stop() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->OnStop(); });
  }

 private:
  // ---- cmux: the first bytes decide whether this is HTTP/1.x at all ----
  void DoSniff() {
    reading_ = true;
    stream_.expires_after(state_->options.read_timeout);
    stream_.async_read_some(buffer_.prepare(kSniffReadBytes),
                            beast::bind_front_handler(&Session::OnSniff, shared_from_this()));
  }

  void OnSniff(error_code ec, std::size_t bytes) {
    reading_ = false;
    if (ec || closed_) return DoClose();
    buffer_.commit(bytes);
    auto data = buffer_.data();
    std::string_view first(static_cast<const char*>(data.data()), data.size());
    switch (SniffFirstBytes(first)) {
      case SniffVerdict::kHttp: return DoRead();
      case SniffVerdict::kNeedMore: return DoSniff();
      case SniffVerdict::kReject: return DoClose();  // cmux: no reply at all
    }
  }

  // ---- the HTTP/2 hand-over: peek (the bytes stay in the socket for gRPC), then decide ----
  void StartPeek() {
    peeking_ = true;
    peek_deadline_ = std::chrono::steady_clock::now() + state_->options.read_timeout;
    DoPeekWait();
  }

  // Waits until the socket is readable, or closes at the sniffing deadline.
  void DoPeekWait() {
    ArmPeekTimer(peek_deadline_);
    reading_ = true;
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        beast::bind_front_handler(&Session::OnPeekReady, shared_from_this()));
  }

  void ArmPeekTimer(std::chrono::steady_clock::time_point at) {
    peek_timer_.expires_at(at);  // cancels the previous wait, whose handler sees an error
    peek_timer_.async_wait(beast::bind_front_handler(&Session::OnPeekTimer, shared_from_this()));
  }

  void OnPeekTimer(error_code ec) {
    if (ec || closed_ || !peeking_) return;
    // Nothing decisive before the deadline: dropped, as cmux drops a silent connection.
    if (std::chrono::steady_clock::now() >= peek_deadline_) return DoClose();
    Peek();  // the next look at a partial preface
  }

  void OnPeekReady(error_code ec) {
    reading_ = false;
    if (closed_ || !peeking_) return;
    if (ec) return DoClose();
    Peek();
  }

  void Peek() {
    static constexpr std::string_view kPreface(kHttp2ClientPreface,
                                               sizeof(kHttp2ClientPreface) - 1);
    std::array<char, kPreface.size()> bytes;
    const ssize_t n = ::recv(stream_.socket().native_handle(), bytes.data(), bytes.size(),
                             MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return DoPeekWait();
    }
    if (n <= 0) return EndPeek();  // end of stream or an error: the read reports it as usual
    const std::string_view first(bytes.data(), static_cast<std::size_t>(n));
    if (first == kPreface) return HandOver();
    if (kPreface.starts_with(first)) {
      return ArmPeekTimer(std::min(peek_deadline_,
                                   std::chrono::steady_clock::now() + kPrefacePeekInterval));
    }
    EndPeek();
  }

  // Not HTTP/2: sniff for HTTP/1.x exactly as without the hook.
  void EndPeek() {
    peeking_ = false;
    peek_timer_.cancel();
    DoSniff();
  }

  void HandOver() {
    peeking_ = false;
    peek_timer_.cancel();
    error_code ec;
    const int fd = stream_.socket().release(ec);
    if (ec) return DoClose();
    closed_ = true;  // the socket is no longer ours
    state_->options.on_http2_connection(fd);
  }

  // ---- reading requests ----
  void DoRead() {
    if (read_done_ || reading_ || closed_ || queue_.size() >= kPipelinedResponsesMax) return;
    parser_.emplace();
    parser_->header_limit(kRequestHeaderBytesMax);
    parser_->body_limit(boost::none);  // Content-Length is judged in OnReadHeader
    reading_ = true;
    stream_.expires_after(state_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(error_code ec, std::size_t) {
    reading_ = false;
    if (closed_) return;
    if (ec) return OnReadError(ec);
    if (auto error = CheckRequest(parser_->get())) return QueueTransportError(*error);
    if (parser_->is_done()) return HandleRequest(/*body_unread=*/false);
    auto length = parser_->content_length();
    bool expects_continue =
        parser_->get().version() >= 11 &&
        beast::iequals(parser_->get()[http::field::expect], "100-continue");
    if ((length && *length >= kRequestBodyBytesMax) || expects_continue) {
      // Go answers without reading such a body and closes afterwards.
      return HandleRequest(/*body_unread=*/true);
    }
    parser_->body_limit(kRequestBodyBytesMax - 1);  // bounds chunked bodies
    reading_ = true;
    stream_.expires_after(state_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnReadBody, shared_from_this()));
  }

  void OnReadBody(error_code ec, std::size_t) {
    reading_ = false;
    if (closed_) return;
    if (ec) return OnReadError(ec);
    HandleRequest(/*body_unread=*/false);
  }

  void OnReadError(error_code ec) {
    read_done_ = true;
    if (ec == http::error::end_of_stream) return MaybeFinish();  // the client is done: normal
    if (ec == http::error::header_limit) return QueueTransportError(HeaderTooLargeError());
    if (ec == http::error::body_limit) return HandleRequest(/*body_unread=*/true);
    if (ec == http::error::bad_transfer_encoding) {
      return QueueTransportError(UnsupportedTransferEncodingError());
    }
    // A request cut short, a timeout or a socket error: Go replies nothing and closes (after
    // writing the replies already due).
    if (ec.category() != http::make_error_code(http::error::bad_target).category() ||
        ec == http::error::partial_message) {
      return MaybeFinish();
    }
    QueueTransportError(BadRequestError());  // any other parse error
  }

  // ---- answering ----
  void HandleRequest(bool body_unread) {
    HttpRequest request = parser_->release();
    parser_.reset();
    HttpResponse response = state_->router.Route(request);
    StampDate(CurrentHttpDate(), response);
    // Checked after routing, as Go decides keep-alive when the handler has returned: a reply
    // finished after Stop() says "Connection: close".
    stopping_ = stopping_ || state_->IsStopping();
    const bool keep_open = ApplyConnectionRules(request, body_unread || stopping_, response);
    if (state_->options.on_request) state_->options.on_request(request, response);
    Outgoing out;
    out.response.emplace(std::move(response));
    out.after = keep_open ? After::kKeepOpen : body_unread ? After::kLingerClose : After::kClose;
    if (!keep_open) read_done_ = true;
    Enqueue(std::move(out));
    DoRead();  // pipelining: read the next request while this one is written
  }

  void QueueTransportError(const TransportError& error) {
    read_done_ = true;
    Outgoing out;
    out.raw = TransportErrorBytes(error);
    out.after = After::kLingerClose;
    Enqueue(std::move(out));
  }

  void Enqueue(Outgoing out) {
    BINLOG_ASSERT(queue_.size() < kPipelinedResponsesMax);
    queue_.push_back(std::move(out));
    DoWrite();
  }

  // ---- writing ----
  void DoWrite() {
    if (writing_ || queue_.empty() || closed_) return;
    writing_ = true;
    stream_.expires_after(state_->options.write_timeout);
    Outgoing& out = queue_.front();  // deque: stays put while more replies are queued
    auto on_write = beast::bind_front_handler(&Session::OnWrite, shared_from_this());
    if (out.response) {
      http::async_write(stream_, *out.response, std::move(on_write));
    } else {
      net::async_write(stream_, net::buffer(out.raw), std::move(on_write));
    }
  }

  void OnWrite(error_code ec, std::size_t) {
    writing_ = false;
    if (closed_) return;
    if (ec) return DoClose();
    After after = queue_.front().after;
    queue_.pop_front();
    if (after == After::kClose) return DoClose();
    if (after == After::kLingerClose) return DoLingerClose();
    DoWrite();
    DoRead();  // resumes reading if a full queue had paused it
    MaybeFinish();
  }

  // ---- closing ----
  // Closes once nothing is left to read or write.
  void MaybeFinish() {
    if (read_done_ && !writing_ && queue_.empty()) DoClose();
  }

  void OnStop() {
    stopping_ = true;
    read_done_ = true;
    MaybeFinish();  // otherwise OnWrite closes after the last queued reply
  }

  void DoLingerClose() {
    if (closed_) return;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lingering_ = true;
    stream_.expires_after(kLingerTime);
    DoLingerRead();
  }

  void DoLingerRead() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kLingerReadBytes),
                            beast::bind_front_handler(&Session::OnLingerRead, shared_from_this()));
  }

  void OnLingerRead(error_code ec, std::size_t) {
    if (closed_) return;
    if (ec) return DoClose();  // EOF, timeout or reset: done either way
    DoLingerRead();
  }

  void DoClose() {
    if (closed_) return;
    closed_ = true;
    peek_timer_.cancel();
    error_code ignored;
    if (!lingering_) stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();  // cancels a pending read; its handler sees closed_
  }

  beast::tcp_stream stream_;
  net::steady_timer peek_timer_;  // the HTTP/2 peek's deadline and re-peek interval
  std::chrono::steady_clock::time_point peek_deadline_;
  std::shared_ptr<HttpServer::State> state_;
  std::uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Outgoing> queue_;  // at most kPipelinedResponsesMax
  bool reading_ = false;
  bool writing_ = false;
  bool read_done_ = false;  // no further request will be read
  bool stopping_ = false;
  bool lingering_ = false;
  bool peeking_ = false;  // deciding between HTTP/2 (hand-over) and HTTP/1.x
  bool closed_ = false;
};

class HttpServer::Listener : public std::enable_shared_from_this<HttpServer::Listener> {
 public:
  Listener(net::io_context& io, std::shared_ptr<State> state)
      : io_(io), acceptor_(net::make_strand(io)), retry_timer_(acceptor_.get_executor()),
        state_(std::move(state)) {}

  Status Open(const tcp::endpoint& endpoint) {
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError("listen tcp " + endpoint.address().to_string() + ":" +
                             std::to_string(endpoint.port()) + ": " + ec.message());
    }
    return Status::Ok();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void DoAccept() {
    acceptor_.async_accept(net::make_strand(io_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
  }

 private:
  void OnAccept(error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->DoAccept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // Go's TCP default
    std::make_shared<Session>(std::move(socket), state_)->Start();
    DoAccept();
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<State> state_;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(net::io_context& io, Router router,
                                                      HttpServerOptions options) {
  std::string host = options.host.empty() ? "0.0.0.0" : options.host;
  std::string port = std::to_string(options.port);
  error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::IoError("listen tcp " + host + ":" + port + ": " +
                           (ec ? ec.message() : std::string("no address")));
  }
  auto state = std::make_shared<State>(std::move(router), std::move(options));
  auto listener = std::make_shared<Listener>(io, state);
  BINLOG_RETURN_IF_ERROR(listener->Open(*endpoints.begin()));
  std::uint16_t bound_port = listener->port();
  listener->DoAccept();
  return std::unique_ptr<HttpServer>(new HttpServer(state, listener, bound_port));
}

HttpServer::HttpServer(std::shared_ptr<State> state, std::shared_ptr<Listener> listener,
                       std::uint16_t port)
    : state_(std::move(state)), listener_(std::move(listener)), port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  std::vector<std::weak_ptr<Session>> sessions;
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    for (const auto& [id, session] : state_->sessions) sessions.push_back(session);
  }
  listener_->Stop();
  for (const auto& weak : sessions) {
    if (auto session = weak.lock()) session->Stop();
  }
}

std::size_t HttpServer::ConnectionCount() const {
  std::lock_guard lock(state_->mu);
  return state_->sessions.size();
}

}  // namespace tidb_binlog
