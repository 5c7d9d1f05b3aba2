// Goal: the HTTP server's HTTP/2 hand-over (HttpServerOptions::on_http2_connection), the
// gRPC half of upstream's cmux: a connection opening with the HTTP/2 client preface reaches the
// hook with the preface still unread, even when the preface arrives in pieces; everything
// else (HTTP/1.x requests, methods sharing the preface's first letter, garbage, silence) is
// treated exactly as without the hook; without the hook the preface is refused as before.
// Method: a server on 127.0.0.1 port 0 run by two io_context threads, plain blocking POSIX
// sockets as clients with receive timeouts, every wait bounded.
#include "reference/http/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;

// Bound on every wait, so a server bug fails the test instead of hanging it.
constexpr std::chrono::seconds kWait(10);
constexpr int kIoThreads = 2;
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kReadChunkBytes = 4096;

// A connected blocking socket whose reads give up after kWait.
class RawSocket {
 public:
  explicit RawSocket(int fd) : fd_(fd) { SetReceiveTimeout(); }
  static RawSocket Connect(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    return RawSocket(fd);
  }
  RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until `count` bytes arrived, the peer closed, or kWait passed.
  std::string ReadUpTo(size_t count) {
    std::string data;
    char chunk[kReadChunkBytes];
    while (data.size() < count) {
      const ssize_t n = ::recv(fd_, chunk, std::min(sizeof(chunk), count - data.size()), 0);
      if (n <= 0) break;
      data.append(chunk, static_cast<size_t>(n));
    }
    return data;
  }
  // Every byte until the peer closes; nullopt if it does not close within kWait.
  std::optional<std::string> ReadUntilClose() {
    std::string data;
    char chunk[kReadChunkBytes];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) return data;
      if (n < 0) return errno == ECONNRESET ? std::optional<std::string>(data) : std::nullopt;
      data.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  void SetReceiveTimeout() {
    timeval timeout{};
    timeout.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(kWait).count();
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

  int fd_;
};

class HttpServerHttp2Test : public ::testing::Test {
 protected:
  void TearDown() override {
    server_.reset();  // Stop()
    for (auto& thread : threads_) thread.join();
  }

  void StartServer(bool with_hook, std::chrono::milliseconds read_timeout = kDefaultReadTimeout) {
    HttpServerOptions options;
    options.read_timeout = read_timeout;
    if (with_hook) {
      options.on_http2_connection = [this](int fd) {
        std::lock_guard lock(mu_);
        handed_over_.push_back(fd);
        cv_.notify_all();
      };
    }
    Router router;
    router.Add(http::verb::get, "/status",
               [](const HttpRequest&, const PathParams&) { return EncoderJsonResponse("{}\n"); });
    router.Add(http::verb::post, "/debug/gc/trigger", [](const HttpRequest&, const PathParams&) {
      return TextResponse("trigger gc success\n");
    });
    auto server = HttpServer::Start(io_, std::move(router), std::move(options));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    for (int i = 0; i < kIoThreads; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  // The next socket the hook received, owned by the caller; nullopt after kWait.
  std::optional<RawSocket> NextHandedOver() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kWait, [this] { return !handed_over_.empty(); })) return std::nullopt;
    RawSocket socket(handed_over_.front());
    handed_over_.pop_front();
    return socket;
  }

  size_t HandedOverCount() {
    std::lock_guard lock(mu_);
    return handed_over_.size();
  }

  uint16_t port() const { return server_->port(); }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> handed_over_;  // guarded by mu_
};

TEST_F(HttpServerHttp2Test, PrefaceIsHandedOverUnreadAndTheSocketStaysUsable) {
  StartServer(/*with_hook=*/true);
  RawSocket client = RawSocket::Connect(port());
  const std::string first = std::string(kPreface) + "frames";
  ASSERT_TRUE(client.Send(first));
  std::optional<RawSocket> served = NextHandedOver();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->ReadUpTo(first.size()), first);
  ASSERT_TRUE(served->Send("settings"));
  EXPECT_EQ(client.ReadUpTo(8), "settings");
}

TEST_F(HttpServerHttp2Test, PrefaceArrivingInPiecesIsHandedOver) {
  StartServer(/*with_hook=*/true);
  RawSocket client = RawSocket::Connect(port());
  const std::string preface(kPreface);
  ASSERT_TRUE(client.Send(preface.substr(0, 1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(client.Send(preface.substr(1, 9)));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(client.Send(preface.substr(10)));
  std::optional<RawSocket> served = NextHandedOver();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->ReadUpTo(preface.size()), preface);
}

TEST_F(HttpServerHttp2Test, Http1RequestsAreServedAsWithoutTheHook) {
  StartServer(/*with_hook=*/true);
  RawSocket get = RawSocket::Connect(port());
  ASSERT_TRUE(get.Send("GET /status HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::optional<std::string> reply = get.ReadUntilClose();
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->starts_with("HTTP/1.1 200 OK\r\n")) << *reply;
  EXPECT_TRUE(reply->ends_with("\r\n\r\n{}\n")) << *reply;
  // POST and PUT share the preface's first byte; they are still HTTP/1.x.
  RawSocket post = RawSocket::Connect(port());
  ASSERT_TRUE(post.Send("P"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(post.Send("OST /debug/gc/trigger HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  reply = post.ReadUntilClose();
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->ends_with("\r\n\r\ntrigger gc success\n")) << *reply;
  EXPECT_EQ(HandedOverCount(), 0u);
}

TEST_F(HttpServerHttp2Test, NeitherHttp2NorHttp1IsClosedWithoutAnyBytes) {
  StartServer(/*with_hook=*/true);
  for (const char* first : {"PRI * HTTP/1.1\r\n\r\n", "PATCH /status HTTP/1.1\r\n\r\n", "hello"}) {
    RawSocket client = RawSocket::Connect(port());
    ASSERT_TRUE(client.Send(first));
    EXPECT_EQ(client.ReadUntilClose(), "") << first;
  }
  EXPECT_EQ(HandedOverCount(), 0u);
}

TEST_F(HttpServerHttp2Test, WithoutTheHookThePrefaceIsRefused) {
  StartServer(/*with_hook=*/false);
  RawSocket client = RawSocket::Connect(port());
  ASSERT_TRUE(client.Send(kPreface));
  EXPECT_EQ(client.ReadUntilClose(), "");
}

TEST_F(HttpServerHttp2Test, SilentOrPartialPrefaceConnectionsTimeOut) {
  StartServer(/*with_hook=*/true, std::chrono::milliseconds(200));
  RawSocket silent = RawSocket::Connect(port());
  EXPECT_EQ(silent.ReadUntilClose(), "");
  RawSocket partial = RawSocket::Connect(port());
  ASSERT_TRUE(partial.Send("PRI * HTTP/2.0"));
  EXPECT_EQ(partial.ReadUntilClose(), "");
  EXPECT_EQ(HandedOverCount(), 0u);
}

TEST_F(HttpServerHttp2Test, StopClosesConnectionsStillBeingSniffed) {
  StartServer(/*with_hook=*/true);
  RawSocket idle = RawSocket::Connect(port());
  ASSERT_TRUE(idle.Send("PRI"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  server_->Stop();
  EXPECT_EQ(idle.ReadUntilClose(), "");
}

}  // namespace
}  // namespace tidb_binlog
