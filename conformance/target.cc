#include "conformance/target.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

namespace tidb_binlog::conformance {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Read granularity for raw replies.
constexpr std::size_t kRawReadChunkBytes = 64 << 10;

class TcpTarget final : public Target {
 public:
  TcpTarget(std::string base_url, std::string host, std::string port)
      : base_url_(std::move(base_url)), host_(std::move(host)), port_(std::move(port)) {}

  const std::string& base_url() const override { return base_url_; }
  bool SupportsRawBytes() const override { return true; }

  Exchange Send(HttpRequest request) override {
    Exchange exchange;
    exchange.url = base_url_ + std::string(request.target());
    request.prepare_payload();
    exchange.request = request;
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      Connect(io, stream);
      http::write(stream, request);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(kResponseBodyBytesMax);
      parser.skip(request.method() == http::verb::head);
      http::read(stream, buffer, parser);
      exchange.response = parser.release();
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    } catch (const boost::system::system_error& e) {
      exchange.error = e.code().message();  // what() carries Asio's source location
    } catch (const std::exception& e) {
      exchange.error = e.what();
    }
    return exchange;
  }

  Result<RawReply> SendRaw(std::string_view bytes) override {
    RawReply reply;
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      Connect(io, stream);
      beast::error_code ec;
      // The server may answer and close before it read everything (oversized headers):
      // a failed write is not the end, the reply is what matters.
      asio::write(stream, asio::buffer(bytes.data(), bytes.size()), ec);
      ReadUntilClosed(stream, &reply);
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("connect ") + base_url_ + ": " + e.what());
    }
    return reply;
  }

 private:
  void Connect(asio::io_context& io, beast::tcp_stream& stream) {
    tcp::resolver resolver(io);
    stream.expires_after(kRequestTimeout);
    stream.connect(resolver.resolve(host_, port_));
  }

  static void ReadUntilClosed(beast::tcp_stream& stream, RawReply* reply) {
    std::string chunk(kRawReadChunkBytes, '\0');
    while (reply->bytes.size() < kResponseBodyBytesMax) {
      beast::error_code ec;
      std::size_t n = stream.read_some(asio::buffer(chunk), ec);
      reply->bytes.append(chunk.data(), n);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        reply->closed = true;
        return;
      }
      if (ec) return;  // timeout: the server keeps the connection open
    }
  }

  std::string base_url_, host_, port_;
};

class InProcessTarget final : public Target {
 public:
  InProcessTarget(std::string base_url, InProcessHandler handler)
      : base_url_(std::move(base_url)), handler_(std::move(handler)) {}

  const std::string& base_url() const override { return base_url_; }
  bool SupportsRawBytes() const override { return false; }

  Exchange Send(HttpRequest request) override {
    Exchange exchange;
    exchange.url = base_url_ + std::string(request.target());
    request.prepare_payload();
    exchange.request = request;
    exchange.response = handler_(request);
    if (!exchange.response) exchange.error = "the in-process server gave no reply";
    return exchange;
  }

  Result<RawReply> SendRaw(std::string_view) override {
    return Status::Unavailable("raw bytes need a socket");
  }

 private:
  std::string base_url_;
  InProcessHandler handler_;
};

}  // namespace

std::string Target::Authority() const {
  const std::string& url = base_url();
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

HttpRequest MakeRequest(std::string_view method, std::string_view target, std::string_view host,
                        std::string body) {
  HttpRequest request;
  request.version(11);
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    request.method_string(method);
  } else {
    request.method(verb);
  }
  request.target(target);
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "binlog-conformance");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

Result<std::unique_ptr<Target>> MakeTcpTarget(std::string_view base_url) {
  boost::system::result<boost::urls::url_view> url = boost::urls::parse_absolute_uri(base_url);
  if (!url) return Status::InvalidArgument("not a URL: " + std::string(base_url));
  if (url->scheme() != "http") {
    return Status::InvalidArgument("only http:// targets are supported: " + std::string(base_url));
  }
  if (!url->encoded_path().empty() && url->encoded_path() != "/") {
    return Status::InvalidArgument("a base URL has no path: " + std::string(base_url));
  }
  std::string port = url->has_port() ? std::string(url->port()) : "80";
  std::string base = "http://" + std::string(url->encoded_host_and_port());
  return std::unique_ptr<Target>(
      std::make_unique<TcpTarget>(base, std::string(url->host()), port));
}

std::unique_ptr<Target> MakeInProcessTarget(std::string base_url, InProcessHandler handler) {
  return std::make_unique<InProcessTarget>(std::move(base_url), std::move(handler));
}

}  // namespace tidb_binlog::conformance
