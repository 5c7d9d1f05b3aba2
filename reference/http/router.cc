#include "reference/http/router.h"

#include <utility>

#include "reference/core/assert.h"
#include "reference/http/go_http.h"

namespace tidb_binlog {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kNotFoundBody = "404 page not found\n";

// Splits a rooted path into its segments: "/" -> {""}, "/a/b/" -> {"a", "b", ""}.
std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

HttpResponse Empty(http::status status) {
  HttpResponse response(status, 11);
  response.prepare_payload();  // Content-Length: 0
  return response;
}

// http.NotFound: http.Error(w, "404 page not found", 404).
HttpResponse NotFound() {
  HttpResponse response(http::status::not_found, 11);
  response.set(http::field::content_type, kContentTypeTextPlain);
  response.set("X-Content-Type-Options", "nosniff");
  response.body() = std::string(kNotFoundBody);
  response.prepare_payload();
  return response;
}

// hexEscapeNonASCII: Go escapes bytes >= 0x80 of a Location with lower-case hex.
std::string HexEscapeNonAscii(std::string_view url) {
  static constexpr std::string_view kLowerHex = "0123456789abcdef";
  std::string out;
  for (char ch : url) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kLowerHex[c >> 4]);
      out.push_back(kLowerHex[c & 0xF]);
    }
  }
  return out;
}

// html.EscapeString's replacer as net/http's htmlEscape uses it.
std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// http.Redirect(w, r, url, 301) as ServeMux issues it for a non-canonical path.
HttpResponse ServeMuxRedirect(const HttpRequest& request, const std::string& url) {
  HttpResponse response(http::status::moved_permanently, 11);
  std::string_view method = request.method_string();
  if (method == "GET" || method == "HEAD") {
    response.set(http::field::content_type, kContentTypeHtml);
  }
  response.set(http::field::location, HexEscapeNonAscii(url));
  if (method == "GET") {
    response.body() = "<a href=\"" + HtmlEscape(url) + "\">Moved Permanently</a>.\n\n";
  }
  response.prepare_payload();
  return response;
}

// gorilla/mux's own clean-path redirect (reached only by CONNECT): Location, no body.
HttpResponse GorillaRedirect(const std::string& url) {
  HttpResponse response(http::status::moved_permanently, 11);
  response.set(http::field::location, url);
  response.prepare_payload();
  return response;
}

std::string WithQuery(std::string url, const std::string& raw_query) {
  if (!raw_query.empty()) url += "?" + raw_query;
  return url;
}

// ServeMux's answer to a "*" target (and net/http's globalOptionsHandler for OPTIONS *).
HttpResponse AsteriskResponse(const HttpRequest& request) {
  if (request.method_string() == "OPTIONS") return Empty(http::status::ok);
  HttpResponse response(http::status::bad_request, 11);
  if (request.version() >= 11) response.set(http::field::connection, "close");
  response.prepare_payload();
  return response;
}

// Go answers HEAD with the headers a GET-style write would produce, no body, and no
// Content-Length when the handler wrote nothing.
void StripBodyForHead(HttpResponse& response) {
  if (response.body().empty()) {
    response.erase(http::field::content_length);
  } else {
    response.body().clear();
  }
}

}  // namespace

void Router::Add(http::verb method, std::string pattern, Handler handler) {
  BINLOG_ASSERT(method != http::verb::unknown);
  RouteEntry route;
  route.method = method;
  route.handler = std::move(handler);
  AddRoute(std::move(route), pattern);
}

void Router::AddAnyMethod(std::string pattern, Handler handler) {
  RouteEntry route;
  route.any_method = true;
  route.handler = std::move(handler);
  AddRoute(std::move(route), pattern);
}

void Router::AddRoute(RouteEntry route, std::string_view pattern) {
  BINLOG_ASSERT(route.handler != nullptr);
  BINLOG_ASSERT(pattern.size() > 1 && pattern.front() == '/' && pattern.back() != '/');
  BINLOG_ASSERT(CleanPath(pattern) == pattern);
  for (std::string_view text : SplitSegments(pattern)) {
    Segment segment;
    if (text.size() > 2 && text.front() == '{' && text.back() == '}') {
      segment.is_variable = true;
      text = text.substr(1, text.size() - 2);
    }
    BINLOG_ASSERT(text.find_first_of("{}") == std::string_view::npos);
    segment.text = std::string(text);
    route.segments.push_back(std::move(segment));
  }
  routes_.push_back(std::move(route));
}

HttpResponse Router::Route(const HttpRequest& request) const {
  if (auto error = CheckRequest(request)) return TransportErrorResponse(*error);
  const bool is_connect = request.method_string() == "CONNECT";
  RequestTarget target = *ParseRequestTarget(request.target(), is_connect);
  HttpResponse response;
  if (target.asterisk) {
    response = AsteriskResponse(request);
  } else if (is_connect && target.path.empty()) {
    response = NotFound();  // ServeMux finds no pattern for an empty path
  } else if (std::string clean = CleanPath(target.path); clean != target.path) {
    std::string url = WithQuery(EscapePath(clean), target.raw_query);
    response = is_connect ? GorillaRedirect(url) : ServeMuxRedirect(request, url);
  } else {
    response = Dispatch(request, target.path);
  }
  if (request.method_string() == "HEAD") StripBodyForHead(response);
  return response;
}

HttpResponse Router::Dispatch(const HttpRequest& request, const std::string& path) const {
  const std::vector<std::string_view> segments = SplitSegments(path);
  bool method_mismatch = false;
  for (const RouteEntry& route : routes_) {
    PathParams params;
    if (!MatchPath(route, segments, &params)) continue;
    // gorilla compares the method string exactly; Beast maps only exact upper-case names to
    // verbs, so "get" is verb::unknown and matches nothing.
    if (route.any_method || (request.method() == route.method)) {
      return route.handler(request, params);
    }
    method_mismatch = true;
  }
  return method_mismatch ? Empty(http::status::method_not_allowed) : NotFound();
}

bool Router::MatchPath(const RouteEntry& route, const std::vector<std::string_view>& segments,
                       PathParams* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& want = route.segments[i];
    if (want.is_variable) {
      if (segments[i].empty()) return false;
      params->values.emplace(want.text, segments[i]);
    } else if (want.text != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace tidb_binlog
