// Goal: HttpServer behaves on a real socket as upstream's cmux + Go net/http server: keep-alive,
// in-order pipelining, the router's 404/405/301 bytes, Go's raw 400/431 replies and closes,
// cmux dropping a PATCH-first connection, read timeouts, unread large bodies, many concurrent
// connections, and a graceful Stop(). Method: a server on 127.0.0.1 port 0 driven by two
// io_context threads; a Beast/Asio client with raw bytes, every client wait bounded.
#include "reference/http/server.h"

#include <atomic>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;

// Bound on every client wait, so a server bug fails the test instead of hanging it.
constexpr std::chrono::seconds kClientWait(10);
constexpr int kIoThreads = 2;

// A blocking-style client whose every operation gives up after kClientWait.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    error_code ec = Run([&](auto done) {
      socket_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                            [done](error_code e) { done(e); });
    });
    connect_error_ = ec;
  }

  bool connected() const { return !connect_error_; }

  error_code Send(std::string bytes) {
    return Run([&](auto done) {
      net::async_write(socket_, net::buffer(bytes),
                       [done](error_code e, std::size_t) { done(e); });
    });
  }

  // The next response; `head` for a reply to HEAD (no body despite Content-Length).
  std::optional<http::response<http::string_body>> Read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    parser.body_limit(boost::none);
    error_code ec = Run([&](auto done) {
      http::async_read(socket_, buffer_, parser, [done](error_code e, std::size_t) { done(e); });
    });
    if (ec) return std::nullopt;
    return parser.release();
  }

  // Every byte until the server closes; nullopt if it does not close within kClientWait.
  std::optional<std::string> ReadUntilClose() {
    std::string data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.clear();
    error_code ec = Run([&](auto done) {
      net::async_read(socket_, net::dynamic_buffer(data),
                      [done](error_code e, std::size_t) { done(e); });
    });
    if (ec != net::error::eof && ec != net::error::connection_reset) return std::nullopt;
    return data;
  }

 private:
  template <typename Start>
  error_code Run(Start start) {
    std::optional<error_code> result;
    start([&result](error_code ec) { result = ec; });
    io_.restart();
    io_.run_for(kClientWait);
    if (!result) {
      error_code ignored;
      socket_.close(ignored);
      io_.restart();
      io_.run();
      return net::error::timed_out;
    }
    return *result;
  }

  net::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
  error_code connect_error_;
};

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

// The wire bytes with the Date value replaced, for exact comparisons.
std::string MaskDate(const std::string& wire) {
  static const std::regex kDate("Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} "
                                "\\d{2}:\\d{2}:\\d{2} GMT\r\n");
  return std::regex_replace(wire, kDate, "Date: <date>\r\n");
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(HttpServerOptions{}); }

  void TearDown() override {
    server_.reset();  // Stop()
    for (auto& thread : threads_) thread.join();
  }

  void StartServer(HttpServerOptions options) {
    options.on_request = [this](const HttpRequest&, const HttpResponse&) { ++requests_seen_; };
    Router router;
    router.Add(http::verb::get, "/status",
               [](const HttpRequest&, const PathParams&) { return EncoderJsonResponse("{}\n"); });
    router.Add(http::verb::get, "/debug/binlog/{ts}",
               [](const HttpRequest&, const PathParams& params) {
                 return TextResponse("ts " + std::string(params.Get("ts")));
               });
    router.Add(http::verb::post, "/debug/gc/trigger", [](const HttpRequest&, const PathParams&) {
      return TextResponse("trigger gc success\n");
    });
    router.Add(http::verb::get, "/slow", [this](const HttpRequest&, const PathParams&) {
      slow_entered_.set_value();
      slow_release_.get_future().wait();
      return TextResponse("slow\n");
    });
    auto server = HttpServer::Start(io_, std::move(router), std::move(options));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    for (int i = 0; i < kIoThreads; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  std::uint16_t port() const { return server_->port(); }

  net::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::atomic<int> requests_seen_{0};
  std::promise<void> slow_entered_;
  std::promise<void> slow_release_;
};

TEST_F(HttpServerTest, ExactBytesOfARoutedReply) {
  Client client(port());
  ASSERT_FALSE(client.Send(Get("/status", "Connection: close\r\n")));
  auto wire = client.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(MaskDate(*wire),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 3\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{}\n");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Client client(port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(client.Send(Get("/debug/binlog/" + std::to_string(i))));
    auto response = client.Read();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->result(), http::status::ok);
    EXPECT_EQ(response->body(), "ts " + std::to_string(i));
    EXPECT_EQ(response->count(http::field::date), 1u);
    EXPECT_TRUE(response->keep_alive());
  }
  EXPECT_EQ(requests_seen_.load(), 5);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  constexpr int kRequests = 3 * static_cast<int>(kPipelinedResponsesMax);
  Client client(port());
  std::string all;
  for (int i = 0; i < kRequests; ++i) all += Get("/debug/binlog/" + std::to_string(i));
  ASSERT_FALSE(client.Send(all));
  for (int i = 0; i < kRequests; ++i) {
    auto response = client.Read();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->body(), "ts " + std::to_string(i));
  }
}

TEST_F(HttpServerTest, RouterRepliesOverTheWire) {
  Client client(port());
  ASSERT_FALSE(client.Send(Get("/nope") + "POST /status HTTP/1.1\r\nHost: h\r\n\r\n" +
                           Get("//status?x=1") + "HEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n" +
                           "PATCH /status HTTP/1.1\r\nHost: h\r\n\r\n" +
                           Get("/status", "Connection: close\r\n")));
  auto wire = client.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(MaskDate(*wire),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\nDate: <date>\r\nContent-Length: 19\r\n\r\n"
            "404 page not found\n"
            "HTTP/1.1 405 Method Not Allowed\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.1 301 Moved Permanently\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Location: /status?x=1\r\nDate: <date>\r\nContent-Length: 46\r\n\r\n"
            "<a href=\"/status?x=1\">Moved Permanently</a>.\n\n"
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Content-Type-Options: nosniff\r\nDate: <date>\r\nContent-Length: 19\r\n\r\n"
            "HTTP/1.1 405 Method Not Allowed\r\nDate: <date>\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 3\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{}\n");
}

TEST_F(HttpServerTest, MalformedRequestGets400AndCloseWhileOthersKeepWorking) {
  Client other(port());
  ASSERT_FALSE(other.Send(Get("/status")));
  ASSERT_TRUE(other.Read().has_value());

  Client bad(port());
  ASSERT_FALSE(bad.Send("GET /status HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n"));
  EXPECT_EQ(bad.ReadUntilClose(),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Connection: close\r\n\r\n400 Bad Request");

  ASSERT_FALSE(other.Send(Get("/status")));
  auto response = other.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), "{}\n");
}

TEST_F(HttpServerTest, MissingHostGetsGoDetail) {
  Client client(port());
  ASSERT_FALSE(client.Send("GET /status HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client.ReadUntilClose(),
            "HTTP/1.1 400 Bad Request: missing required Host header\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "400 Bad Request: missing required Host header");
}

TEST_F(HttpServerTest, BadPercentEscapeGets400) {
  Client client(port());
  ASSERT_FALSE(client.Send(Get("/state/%zz/pause")));
  auto wire = client.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_TRUE(wire->starts_with("HTTP/1.1 400 Bad Request\r\n")) << *wire;
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndClose) {
  Client client(port());
  std::string huge(kRequestHeaderBytesMax, 'a');
  ASSERT_FALSE(client.Send(Get("/status", "X-Big: " + huge + "\r\n")));
  EXPECT_EQ(client.ReadUntilClose(),
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "431 Request Header Fields Too Large");
}

TEST_F(HttpServerTest, LargeUnreadBodyIsAnsweredThenClosed) {
  Client client(port());
  std::string body(kRequestBodyBytesMax, 'x');
  ASSERT_FALSE(client.Send("POST /debug/gc/trigger HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
  auto wire = client.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(MaskDate(*wire),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 19\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "trigger gc success\n");
}

TEST_F(HttpServerTest, SmallBodyKeepsTheConnection) {
  Client client(port());
  std::string body(1000, 'x');
  ASSERT_FALSE(client.Send("POST /debug/gc/trigger HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body + Get("/status")));
  auto first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->body(), "trigger gc success\n");
  auto second = client.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body(), "{}\n");
}

TEST_F(HttpServerTest, PatchAsFirstRequestIsClosedWithoutAnyBytes) {
  Client client(port());
  ASSERT_FALSE(client.Send("PATCH /status HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(client.ReadUntilClose(), "");
  Client garbage(port());
  ASSERT_FALSE(garbage.Send("hello\r\n\r\n"));
  EXPECT_EQ(garbage.ReadUntilClose(), "");
  EXPECT_EQ(requests_seen_.load(), 0);
}

TEST_F(HttpServerTest, HeadReplyKeepsFraming) {
  Client client(port());
  ASSERT_FALSE(client.Send("HEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n" + Get("/status")));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->result(), http::status::not_found);
  EXPECT_EQ((*head)[http::field::content_length], "19");
  auto next = client.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body(), "{}\n");
}

TEST_F(HttpServerTest, Http10ConnectionClosesAfterReply) {
  Client client(port());
  ASSERT_FALSE(client.Send("GET /status HTTP/1.0\r\n\r\n"));
  auto wire = client.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(MaskDate(*wire),
            "HTTP/1.0 200 OK\r\nDate: <date>\r\nContent-Length: 3\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n{}\n");
}

TEST_F(HttpServerTest, ManyConcurrentConnections) {
  constexpr int kConnections = 300;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<Client>(port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_FALSE(clients[i]->Send(Get("/debug/binlog/" + std::to_string(i)))) << i;
  }
  for (int i = 0; i < kConnections; ++i) {
    auto response = clients[i]->Read();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->body(), "ts " + std::to_string(i));
  }
  EXPECT_EQ(server_->ConnectionCount(), static_cast<std::size_t>(kConnections));
  EXPECT_EQ(requests_seen_.load(), kConnections);
}

TEST_F(HttpServerTest, StopFinishesInFlightRepliesAndClosesIdleConnections) {
  Client idle(port());
  ASSERT_FALSE(idle.Send(Get("/status")));
  ASSERT_TRUE(idle.Read().has_value());
  Client busy(port());
  ASSERT_FALSE(busy.Send(Get("/slow")));
  slow_entered_.get_future().wait();

  server_->Stop();
  EXPECT_EQ(idle.ReadUntilClose(), "");
  Client late(port());
  if (late.connected()) {
    late.Send(Get("/status"));
    auto bytes = late.ReadUntilClose();
    EXPECT_TRUE(!bytes.has_value() || bytes->empty());
  }

  slow_release_.set_value();
  auto wire = busy.ReadUntilClose();
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(MaskDate(*wire),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 5\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nslow\n");
  for (auto& thread : threads_) thread.join();  // run() returns: nothing is left
  threads_.clear();
  EXPECT_EQ(server_->ConnectionCount(), 0u);
}

class HttpServerTimeoutTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.read_timeout = std::chrono::milliseconds(200);
    StartServer(options);
  }
};

TEST_F(HttpServerTimeoutTest, ReadTimeoutClosesSilentAndIdleConnections) {
  Client silent(port());
  EXPECT_EQ(silent.ReadUntilClose(), "");

  Client idle(port());
  ASSERT_FALSE(idle.Send(Get("/status")));
  ASSERT_TRUE(idle.Read().has_value());
  EXPECT_EQ(idle.ReadUntilClose(), "");
}

TEST(HttpServerStartTest, BusyPortIsAnIoError) {
  net::io_context io;
  auto first = HttpServer::Start(io, Router(), HttpServerOptions{});
  ASSERT_TRUE(first.ok());
  HttpServerOptions options;
  options.port = first.value()->port();
  auto second = HttpServer::Start(io, Router(), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace tidb_binlog
