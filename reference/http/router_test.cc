// Goal: the Router answers every row of UPSTREAM.md §1.2 exactly as Go's DefaultServeMux in
// front of gorilla/mux 1.8.0 does (status, headers in Go's order, body bytes), and the
// response builders produce upstream's content types. Method: a router with pump's route
// table and handlers that echo their path variables; requests built in memory.
#include "reference/http/router.h"

#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/http/go_http.h"
#include "reference/http/http_test_util.h"

namespace tidb_binlog {
namespace {

namespace http = boost::beast::http;
using ::testing::ElementsAre;
using ::testing::Pair;

using testing_util::Fields;
using testing_util::Request;

Handler Echo(std::string name) {
  return [name](const HttpRequest&, const PathParams& params) {
    std::string body = name;
    for (const auto& [key, value] : params.values) body += " " + key + "=" + value;
    return TextResponse(body + "\n");
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.AddAnyMethod("/metrics", Echo("metrics"));
    router_.Add(http::verb::get, "/status", Echo("status"));
    router_.Add(http::verb::put, "/state/{nodeID}/{action}", Echo("state"));
    router_.Add(http::verb::get, "/drainers", Echo("drainers"));
    router_.Add(http::verb::get, "/debug/binlog/{ts}", Echo("binlog"));
    router_.Add(http::verb::post, "/debug/gc/trigger", Echo("gc"));
  }

  HttpResponse Route(std::string_view method, std::string_view target) const {
    return router_.Route(Request(method, target));
  }

  void ExpectNotFound(std::string_view method, std::string_view target) const {
    HttpResponse response = Route(method, target);
    EXPECT_EQ(response.result(), http::status::not_found) << method << " " << target;
    EXPECT_EQ(response.body(), "404 page not found\n") << target;
    EXPECT_THAT(Fields(response),
                ElementsAre(Pair("Content-Type", "text/plain; charset=utf-8"),
                            Pair("X-Content-Type-Options", "nosniff"),
                            Pair("Content-Length", "19")))
        << target;
  }

  void ExpectMethodNotAllowed(std::string_view method, std::string_view target) const {
    HttpResponse response = Route(method, target);
    EXPECT_EQ(response.result(), http::status::method_not_allowed) << method << " " << target;
    EXPECT_EQ(response.body(), "") << target;
    EXPECT_THAT(Fields(response), ElementsAre(Pair("Content-Length", "0"))) << target;
  }

  void ExpectRedirect(std::string_view target, std::string_view location) const {
    HttpResponse response = Route("GET", target);
    EXPECT_EQ(response.result(), http::status::moved_permanently) << target;
    EXPECT_EQ(response.body(),
              "<a href=\"" + std::string(location) + "\">Moved Permanently</a>.\n\n")
        << target;
    EXPECT_THAT(Fields(response),
                ElementsAre(Pair("Content-Type", "text/html; charset=utf-8"),
                            Pair("Location", std::string(location)),
                            Pair("Content-Length", std::to_string(response.body().size()))))
        << target;
  }

  Router router_;
};

TEST_F(RouterTest, KnownRouteRunsItsHandler) {
  HttpResponse response = Route("GET", "/status");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "status\n");
  EXPECT_EQ(Route("POST", "/debug/gc/trigger").body(), "gc\n");
  EXPECT_EQ(Route("GET", "/drainers").body(), "drainers\n");
}

TEST_F(RouterTest, PathVariablesAreDecodedSegments) {
  EXPECT_EQ(Route("PUT", "/state/n1:8250/pause").body(), "state action=pause nodeID=n1:8250\n");
  EXPECT_EQ(Route("PUT", "/state/a%20b/pause").body(), "state action=pause nodeID=a b\n");
  EXPECT_EQ(Route("GET", "/debug/binlog/-5").body(), "binlog ts=-5\n");
  EXPECT_EQ(Route("GET", "/debug/binlog/a+b").body(), "binlog ts=a+b\n");
}

TEST_F(RouterTest, WrongMethodOnKnownPathIs405WithEmptyBody) {
  ExpectMethodNotAllowed("GET", "/state/x/pause");
  ExpectMethodNotAllowed("POST", "/status");
  ExpectMethodNotAllowed("OPTIONS", "/status");
  ExpectMethodNotAllowed("GET", "/debug/gc/trigger");
  ExpectMethodNotAllowed("DELETE", "/drainers");
  ExpectMethodNotAllowed("PATCH", "/status");
  ExpectMethodNotAllowed("GETX", "/status");
}

TEST_F(RouterTest, MethodsCompareExactly) {
  ExpectMethodNotAllowed("put", "/state/x/pause");
  ExpectMethodNotAllowed("get", "/status");
}

TEST_F(RouterTest, HeadOnGetRouteIs405WithoutContentLength) {
  // HEAD is not GET to gorilla; Go sends no Content-Length for an empty HEAD reply.
  HttpResponse response = Route("HEAD", "/status");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response.body(), "");
  EXPECT_TRUE(Fields(response).empty());
}

TEST_F(RouterTest, UnknownPathsAre404) {
  for (std::string_view target : {"/nope", "/", "/status/", "/state/n1", "/state/a/b/c",
                                  "/debug/binlog/", "/metrics/", "/Status", "/status#x"}) {
    ExpectNotFound("GET", target);
  }
  ExpectNotFound("PUT", "/state/n1/pause/x");
  ExpectNotFound("PATCH", "/nope");
}

TEST_F(RouterTest, EncodedSlashSplitsTheSegment) {
  ExpectNotFound("PUT", "/state/a%2Fb/pause");
}

TEST_F(RouterTest, HeadOnUnknownPathKeepsContentLengthDropsBody) {
  HttpResponse response = Route("HEAD", "/nope");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(response.body(), "");
  EXPECT_THAT(Fields(response),
              ElementsAre(Pair("Content-Type", "text/plain; charset=utf-8"),
                          Pair("X-Content-Type-Options", "nosniff"),
                          Pair("Content-Length", "19")));
}

TEST_F(RouterTest, NonCanonicalPathsRedirect) {
  ExpectRedirect("//status", "/status");
  ExpectRedirect("/./status", "/status");
  ExpectRedirect("/a/../status", "/status");
  ExpectRedirect("/../status", "/status");
  ExpectRedirect("/state//x/pause", "/state/x/pause");
  ExpectRedirect("/status/./", "/status/");  // cleanPath keeps the trailing slash
}

TEST_F(RouterTest, RedirectLocationKeepsQueryAndEscapesPath) {
  HttpResponse response = Route("GET", "//a%20b/../st%22atus?q=1");
  EXPECT_EQ(response[http::field::location], "/st%22atus?q=1");
  response = Route("GET", "//status?x=1&y=<");
  EXPECT_EQ(response[http::field::location], "/status?x=1&y=<");
  EXPECT_EQ(response.body(), "<a href=\"/status?x=1&amp;y=&lt;\">Moved Permanently</a>.\n\n");
  response = Route("GET", "//a%20b");
  EXPECT_EQ(response[http::field::location], "/a%20b");
  EXPECT_EQ(response.body(), "<a href=\"/a%20b\">Moved Permanently</a>.\n\n");
}

TEST_F(RouterTest, RedirectBodyOnlyForGet) {
  HttpResponse head = Route("HEAD", "//status");
  EXPECT_EQ(head.result(), http::status::moved_permanently);
  EXPECT_THAT(Fields(head), ElementsAre(Pair("Content-Type", "text/html; charset=utf-8"),
                                        Pair("Location", "/status")));
  HttpResponse put = Route("PUT", "//state/x/pause");
  EXPECT_EQ(put.result(), http::status::moved_permanently);
  EXPECT_EQ(put.body(), "");
  EXPECT_THAT(Fields(put), ElementsAre(Pair("Location", "/state/x/pause"),
                                       Pair("Content-Length", "0")));
}

TEST_F(RouterTest, QueryStringIsIgnored) {
  EXPECT_EQ(Route("GET", "/status?x=1").body(), "status\n");
  EXPECT_EQ(Route("GET", "/status?").body(), "status\n");
  EXPECT_EQ(Route("PUT", "/state/n/close?nodeID=other").body(), "state action=close nodeID=n\n");
}

TEST_F(RouterTest, MetricsAcceptsAnyMethod) {
  for (std::string_view method : {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO"}) {
    EXPECT_EQ(Route(method, "/metrics").body(), "metrics\n") << method;
  }
  ExpectNotFound("GET", "/metrics/");
}

TEST_F(RouterTest, AbsoluteFormTargetRoutesByItsPath) {
  EXPECT_EQ(Route("GET", "http://127.0.0.1:8250/status?x").body(), "status\n");
  ExpectRedirect("http://127.0.0.1:8250", "/");
}

TEST_F(RouterTest, BadTargetsAreGoBadRequests) {
  for (std::string_view target : {"/state/%zz/pause", "/status%", "/status%4", "status", ":x"}) {
    HttpResponse response = Route("GET", target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(response.body(), "400 Bad Request") << target;
    EXPECT_EQ(response[http::field::connection], "close");
  }
}

TEST_F(RouterTest, MissingHostIsGoBadRequest) {
  HttpRequest request = Request("GET", "/status");
  request.erase(http::field::host);
  HttpResponse response = router_.Route(request);
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(response.body(), "400 Bad Request: missing required Host header");
  request.version(10);  // HTTP/1.0 needs no Host
  EXPECT_EQ(router_.Route(request).body(), "status\n");
}

TEST_F(RouterTest, AsteriskTarget) {
  HttpResponse options = Route("OPTIONS", "*");
  EXPECT_EQ(options.result(), http::status::ok);
  EXPECT_THAT(Fields(options), ElementsAre(Pair("Content-Length", "0")));
  HttpResponse get = Route("GET", "*");
  EXPECT_EQ(get.result(), http::status::bad_request);
  EXPECT_EQ(get.body(), "");
  EXPECT_THAT(Fields(get), ElementsAre(Pair("Connection", "close"), Pair("Content-Length", "0")));
}

TEST_F(RouterTest, ConnectIsNotCleanedByServeMux) {
  ExpectMethodNotAllowed("CONNECT", "/status");
  ExpectNotFound("CONNECT", "127.0.0.1:8250");
  HttpResponse response = Route("CONNECT", "//status");
  EXPECT_EQ(response.result(), http::status::moved_permanently);
  EXPECT_EQ(response.body(), "");
  EXPECT_THAT(Fields(response),
              ElementsAre(Pair("Location", "/status"), Pair("Content-Length", "0")));
}

TEST_F(RouterTest, FirstMatchingRouteWins) {
  Router router;
  router.Add(http::verb::get, "/x/{a}", Echo("first"));
  router.Add(http::verb::put, "/x/{b}", Echo("put"));
  router.Add(http::verb::get, "/x/{c}", Echo("second"));
  EXPECT_EQ(router.Route(Request("GET", "/x/1")).body(), "first a=1\n");
  EXPECT_EQ(router.Route(Request("PUT", "/x/1")).body(), "put b=1\n");
}

TEST(PathParamsTest, GetReturnsValueOrEmpty) {
  PathParams params;
  params.values.emplace("nodeID", "n1");
  EXPECT_EQ(params.Get("nodeID"), "n1");
  EXPECT_EQ(params.Get("action"), "");
}

TEST(ResponseBuilderTest, EncoderJsonIsSniffedTextPlain) {
  HttpResponse response = EncoderJsonResponse("{\"a\":1}\n");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "{\"a\":1}\n");
  EXPECT_THAT(Fields(response), ElementsAre(Pair("Content-Length", "8"),
                                            Pair("Content-Type", "text/plain; charset=utf-8")));
}

TEST(ResponseBuilderTest, RenderJsonHasExplicitUpperCaseUtf8) {
  HttpResponse response = RenderJsonResponse("{\n  \"code\": 200\n}\n");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "{\n  \"code\": 200\n}\n");
  EXPECT_THAT(Fields(response),
              ElementsAre(Pair("Content-Type", "application/json; charset=UTF-8"),
                          Pair("Content-Length", "18")));
}

TEST(ResponseBuilderTest, TextIsSniffed) {
  HttpResponse response = TextResponse("invalid parameter ts: abc");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_THAT(Fields(response), ElementsAre(Pair("Content-Length", "25"),
                                            Pair("Content-Type", "text/plain; charset=utf-8")));
  // A decoded %00 echoed back makes Go sniff binary data.
  EXPECT_EQ(TextResponse(std::string("invalid parameter ts: \0", 23))[http::field::content_type],
            "application/octet-stream");
  // Go sniffs nothing in an empty body.
  EXPECT_THAT(Fields(TextResponse("")), ElementsAre(Pair("Content-Length", "0")));
}

TEST(ResponseBuilderTest, MetricsHasExpositionFormatType) {
  HttpResponse response = MetricsResponse("# HELP x y\n");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_THAT(Fields(response),
              ElementsAre(Pair("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                          Pair("Content-Length", "11")));
}

}  // namespace
}  // namespace tidb_binlog
