// Goal: the Go net/http and cmux rules we reproduce give Go's results: path cleaning and
// escaping, request-target parsing, the server-level request checks and their raw reply bytes,
// cmux's first-bytes verdict, the Date format and placement, and keep-alive decisions.
// Method: table tests against values Go 1.19 produces for the same inputs.
#include "reference/http/go_http.h"

#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/http/http_test_util.h"

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;
using ::testing::ElementsAre;
using ::testing::Pair;

using testing_util::Fields;
using testing_util::Request;

TEST(CleanPathTest, MatchesNetHttpCleanPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "/"},
      {"/", "/"},
      {"/status", "/status"},
      {"//status", "/status"},
      {"/./status", "/status"},
      {"/a/../status", "/status"},
      {"/../status", "/status"},
      {"/a/b/../../..", "/"},
      {"/status/", "/status/"},
      {"/status//", "/status/"},
      {"/a/./b/.", "/a/b"},
      {"/a/./b/./", "/a/b/"},
      {"/..", "/"},
      {"/...", "/..."},
      {"/a/..b", "/a/..b"},
      {"status", "/status"},
      {"/a//b///c", "/a/b/c"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(CleanPath(in), want) << in;
}

TEST(EscapePathTest, EscapesLikeUrlEscapedPath) {
  EXPECT_EQ(EscapePath("/a b"), "/a%20b");
  EXPECT_EQ(EscapePath("/-_.~$&+,/:;=@"), "/-_.~$&+,/:;=@");
  EXPECT_EQ(EscapePath("/!'()*\"<>?#%"), "/%21%27%28%29%2A%22%3C%3E%3F%23%25");
  EXPECT_EQ(EscapePath("/\xc3\xa9"), "/%C3%A9");
}

TEST(ParseRequestTargetTest, OriginForm) {
  auto target = ParseRequestTarget("/state/a%20b/pause?x=%zz", false);
  ASSERT_TRUE(target.has_value());
  EXPECT_FALSE(target->asterisk);
  EXPECT_EQ(target->path, "/state/a b/pause");
  EXPECT_EQ(target->raw_query, "x=%zz");  // the query is not decoded
  EXPECT_EQ(ParseRequestTarget("/a%2Fb", false)->path, "/a/b");
  EXPECT_EQ(ParseRequestTarget("/a+b", false)->path, "/a+b");
  EXPECT_EQ(ParseRequestTarget("/status?", false)->raw_query, "");
}

TEST(ParseRequestTargetTest, AbsoluteAuthorityAndAsteriskForms) {
  EXPECT_EQ(ParseRequestTarget("http://h:1/status?q", false)->path, "/status");
  EXPECT_EQ(ParseRequestTarget("http://h:1/status?q", false)->raw_query, "q");
  EXPECT_EQ(ParseRequestTarget("http://h:1", false)->path, "");
  EXPECT_EQ(ParseRequestTarget("mailto:x", false)->path, "");  // opaque
  EXPECT_EQ(ParseRequestTarget("h:1", true)->path, "");        // CONNECT authority form
  EXPECT_TRUE(ParseRequestTarget("*", false)->asterisk);
}

TEST(ParseRequestTargetTest, GoRejects) {
  for (std::string_view bad : {"/%", "/%z1", "/a%4", "status", ":x", "1http://h/"}) {
    EXPECT_FALSE(ParseRequestTarget(bad, false).has_value()) << bad;
  }
}

TEST(CheckRequestTest, HostRules) {
  EXPECT_FALSE(CheckRequest(Request("GET", "/status")).has_value());
  EXPECT_FALSE(CheckRequest(Request("GET", "/status", 10)).has_value());

  HttpRequest no_host = Request("GET", "/status");
  no_host.erase(http::field::host);
  EXPECT_EQ(CheckRequest(no_host)->body, "400 Bad Request: missing required Host header");
  no_host.method_string("CONNECT");
  EXPECT_FALSE(CheckRequest(no_host).has_value());

  HttpRequest two_hosts = Request("GET", "/status");
  two_hosts.insert(http::field::host, "other");
  EXPECT_EQ(CheckRequest(two_hosts)->body, "400 Bad Request: too many Host headers");

  HttpRequest bad_host = Request("GET", "/status");
  bad_host.set(http::field::host, "a b");
  EXPECT_EQ(CheckRequest(bad_host)->body, "400 Bad Request: malformed Host header");
  bad_host.set(http::field::host, "[::1]:8250");
  EXPECT_FALSE(CheckRequest(bad_host).has_value());
}

TEST(CheckRequestTest, VersionAndTarget) {
  auto error = CheckRequest(Request("GET", "/status", 20));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status, 505u);
  EXPECT_EQ(error->status_line, "505 HTTP Version Not Supported: unsupported protocol version");
  EXPECT_EQ(CheckRequest(Request("GET", "/%zz"))->status_line, "400 Bad Request");
}

TEST(TransportErrorTest, ExactGoBytes) {
  EXPECT_EQ(TransportErrorBytes(BadRequestError()),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Connection: close\r\n\r\n400 Bad Request");
  EXPECT_EQ(TransportErrorBytes(BadRequestError("missing required Host header")),
            "HTTP/1.1 400 Bad Request: missing required Host header\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "400 Bad Request: missing required Host header");
  EXPECT_EQ(TransportErrorBytes(HeaderTooLargeError()),
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            "431 Request Header Fields Too Large");
  EXPECT_EQ(TransportErrorBytes(UnsupportedTransferEncodingError()),
            "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Connection: close\r\n\r\nUnsupported transfer encoding");
}

TEST(TransportErrorTest, AsMessage) {
  HttpResponse response = TransportErrorResponse(BadRequestError("malformed Host header"));
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(response.reason(), "Bad Request: malformed Host header");
  EXPECT_EQ(response.body(), "400 Bad Request: malformed Host header");
  EXPECT_THAT(Fields(response), ElementsAre(Pair("Content-Type", "text/plain; charset=utf-8"),
                                            Pair("Connection", "close")));
}

TEST(SniffFirstBytesTest, Http1FastPrefixes) {
  for (std::string_view ok : {"GET /", "OPTIONS ", "HEAD", "POST /x", "PUT", "DELETE /",
                              "TRACE", "CONNECT h:1", "GETX /", "POSTAL"}) {
    EXPECT_EQ(SniffFirstBytes(ok), SniffVerdict::kHttp) << ok;
  }
  for (std::string_view more : {"", "G", "GE", "OPTION", "CONN", "P", "PU", "D"}) {
    EXPECT_EQ(SniffFirstBytes(more), SniffVerdict::kNeedMore) << more;
  }
  for (std::string_view reject : {"PATCH /", "get /", "\r\nGET /", "PRI * HTTP/2.0", "X",
                                  "GT", "PA"}) {
    EXPECT_EQ(SniffFirstBytes(reject), SniffVerdict::kReject) << reject;
  }
}

TEST(FormatHttpDateTest, ImfFixdate) {
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(1136214245), "Mon, 02 Jan 2006 15:04:05 GMT");
  EXPECT_EQ(FormatHttpDate(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT");
}

TEST(StampDateTest, DateGoesBeforeContentLength) {
  HttpResponse sniffed = TextResponse("x");
  StampDate("D", sniffed);
  EXPECT_THAT(Fields(sniffed), ElementsAre(Pair("Date", "D"), Pair("Content-Length", "1"),
                                           Pair("Content-Type", "text/plain; charset=utf-8")));
  HttpResponse explicit_type = RenderJsonResponse("{}\n");
  StampDate("D", explicit_type);
  StampDate("E", explicit_type);  // restamping replaces
  EXPECT_THAT(Fields(explicit_type),
              ElementsAre(Pair("Content-Type", "application/json; charset=UTF-8"),
                          Pair("Date", "E"), Pair("Content-Length", "3")));
  HttpResponse no_length(http::status::moved_permanently, 11);
  no_length.set(http::field::location, "/status");
  StampDate("D", no_length);
  EXPECT_THAT(Fields(no_length), ElementsAre(Pair("Location", "/status"), Pair("Date", "D")));
}

TEST(ApplyConnectionRulesTest, Http11KeepsAliveUnlessAskedToClose) {
  HttpResponse response = TextResponse("x");
  EXPECT_TRUE(ApplyConnectionRules(Request("GET", "/"), false, response));
  EXPECT_EQ(response.count(http::field::connection), 0u);

  HttpRequest close = Request("GET", "/");
  close.set(http::field::connection, "Close");
  response = TextResponse("x");
  EXPECT_FALSE(ApplyConnectionRules(close, false, response));
  EXPECT_THAT(Fields(response), ElementsAre(Pair("Content-Length", "1"),
                                            Pair("Content-Type", "text/plain; charset=utf-8"),
                                            Pair("Connection", "close")));

  response = TextResponse("x");
  EXPECT_FALSE(ApplyConnectionRules(Request("GET", "/"), true, response));
  EXPECT_EQ(response[http::field::connection], "close");
}

TEST(ApplyConnectionRulesTest, Http10Closes) {
  HttpResponse response = TextResponse("x");
  EXPECT_FALSE(ApplyConnectionRules(Request("GET", "/", 10), false, response));
  EXPECT_EQ(response.version(), 10u);
  EXPECT_EQ(response.count(http::field::connection), 0u);

  HttpRequest keep_alive = Request("GET", "/", 10);
  keep_alive.set(http::field::connection, "keep-alive");
  response = TextResponse("x");
  EXPECT_FALSE(ApplyConnectionRules(keep_alive, false, response));

  keep_alive.method_string("HEAD");
  response = TextResponse("x");
  EXPECT_TRUE(ApplyConnectionRules(keep_alive, false, response));
  EXPECT_EQ(response[http::field::connection], "keep-alive");
}

}  // namespace
}  // namespace tidb_binlog
