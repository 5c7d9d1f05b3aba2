#include "reference/http/go_http.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace tidb_binlog {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kUpperHex = "0123456789ABCDEF";
constexpr std::string_view kLowerHex = "0123456789abcdef";

// The methods cmux.HTTP1Fast() recognises, in its order.
constexpr std::array<std::string_view, 8> kHttp1FastMethods = {
    "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// url.unescape in encodePath mode: "%XX" decodes (to any byte, '/' included), '+' stays,
// a '%' not followed by two hex digits fails the whole URL.
std::optional<std::string> UnescapePath(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int high = HexValue(s[i + 1]);
    int low = HexValue(s[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

// url.getScheme: a letter followed by letters, digits, "+-." up to ':'. Returns the text after
// the colon, "" scheme when there is none, nullopt for a leading ':' ("missing protocol
// scheme").
std::optional<std::pair<std::string_view, std::string_view>> SplitScheme(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return std::nullopt;
      return std::pair(raw.substr(0, i), raw.substr(i + 1));
    }
    break;
  }
  return std::pair(std::string_view(), raw);
}

// httpguts.ValidHostHeader's byte set.
bool IsValidHostByte(unsigned char c) {
  if (IsAlnum(c)) return true;
  constexpr std::string_view kAllowed = "!$%&'()*+,-.:;=[]_~";
  return kAllowed.find(static_cast<char>(c)) != std::string_view::npos;
}

bool HasToken(std::string_view header_value, std::string_view token) {
  for (auto item : http::token_list(header_value)) {
    if (boost::beast::iequals(item, token)) return true;
  }
  return false;
}

}  // namespace

std::optional<RequestTarget> ParseRequestTarget(std::string_view target, bool is_connect) {
  RequestTarget result;
  if (target == "*") {
    result.asterisk = true;
    result.path = "*";
    return result;
  }
  std::string authority_form;
  if (is_connect && !target.starts_with('/')) {
    // Go reads CONNECT's "host:port" as "http://host:port" and then drops the scheme.
    authority_form.append("http://").append(target);
    target = authority_form;
  }
  auto scheme_split = SplitScheme(target);
  if (!scheme_split) return std::nullopt;
  auto [scheme, rest] = *scheme_split;
  if (rest.ends_with('?') && rest.find('?') == rest.size() - 1) {
    rest.remove_suffix(1);  // ForceQuery: an empty query
  } else if (auto q = rest.find('?'); q != std::string_view::npos) {
    result.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (!rest.starts_with('/')) {
    if (scheme.empty()) return std::nullopt;  // "invalid URI for request"
    return result;                            // opaque URL: no path
  }
  if (!scheme.empty() && rest.starts_with("//")) {
    rest.remove_prefix(2);  // the authority; Go's host/port validation is not reproduced
    auto slash = rest.find('/');
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  auto path = UnescapePath(rest);
  if (!path) return std::nullopt;
  result.path = std::move(*path);
  return result;
}

std::string CleanPath(std::string_view path) {
  std::string rooted;
  if (!path.starts_with('/')) rooted.push_back('/');
  rooted.append(path);
  // path.Clean for a rooted path: drop empty and "." elements, let ".." remove the element
  // before it, never climb above the root.
  std::string out = "/";
  std::size_t r = 1;
  const std::size_t n = rooted.size();
  while (r < n) {
    if (rooted[r] == '/') {
      ++r;
    } else if (rooted[r] == '.' && (r + 1 == n || rooted[r + 1] == '/')) {
      ++r;
    } else if (rooted[r] == '.' && rooted[r + 1] == '.' && (r + 2 == n || rooted[r + 2] == '/')) {
      r += 2;
      while (out.size() > 1 && out.back() != '/') out.pop_back();
      if (out.size() > 1) out.pop_back();
    } else {
      if (out.size() != 1) out.push_back('/');
      for (; r < n && rooted[r] != '/'; ++r) out.push_back(rooted[r]);
    }
  }
  // net/http's cleanPath puts back a trailing slash that path.Clean removed.
  if (rooted.back() == '/' && out != "/") out.push_back('/');
  return out;
}

std::string EscapePath(std::string_view path) {
  constexpr std::string_view kUnescaped = "-_.~$&+,/:;=@";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsAlnum(c) || kUnescaped.find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kUpperHex[c >> 4]);
      out.push_back(kUpperHex[c & 0xF]);
    }
  }
  return out;
}

TransportError BadRequestError(std::string_view detail) {
  std::string text = "400 Bad Request";
  if (!detail.empty()) text.append(": ").append(detail);
  return {400, text, text};
}

TransportError HeaderTooLargeError() {
  std::string text = "431 Request Header Fields Too Large";
  return {431, text, text};
}

TransportError UnsupportedTransferEncodingError() {
  return {501, "501 Not Implemented", "Unsupported transfer encoding"};
}

std::optional<TransportError> CheckRequest(const HttpRequest& request) {
  bool is_connect = request.method_string() == "CONNECT";
  if (!ParseRequestTarget(request.target(), is_connect)) return BadRequestError();
  if (request.version() / 10 != 1) {
    return TransportError{505, "505 HTTP Version Not Supported: unsupported protocol version",
                          "505 HTTP Version Not Supported: unsupported protocol version"};
  }
  std::size_t hosts = request.count(http::field::host);
  if (request.version() >= 11 && hosts == 0 && !is_connect) {
    return BadRequestError("missing required Host header");
  }
  if (hosts > 1) return BadRequestError("too many Host headers");
  if (hosts == 1) {
    std::string_view host = request[http::field::host];
    for (char c : host) {
      if (!IsValidHostByte(static_cast<unsigned char>(c))) {
        return BadRequestError("malformed Host header");
      }
    }
  }
  return std::nullopt;
}

std::string TransportErrorBytes(const TransportError& error) {
  std::string bytes = "HTTP/1.1 ";
  bytes.append(error.status_line)
      .append("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")
      .append(error.body);
  return bytes;
}

HttpResponse TransportErrorResponse(const TransportError& error) {
  HttpResponse response(static_cast<http::status>(error.status), 11);
  // The reason phrase is what follows the code in the status line.
  response.reason(std::string_view(error.status_line).substr(4));
  response.set(http::field::content_type, kContentTypeTextPlain);
  response.set(http::field::connection, "close");
  response.body() = error.body;
  return response;
}

SniffVerdict SniffFirstBytes(std::string_view first_bytes) {
  bool longer_needed = false;
  for (std::string_view method : kHttp1FastMethods) {
    if (first_bytes.starts_with(method)) return SniffVerdict::kHttp;
    if (method.starts_with(first_bytes)) longer_needed = true;
  }
  return longer_needed ? SniffVerdict::kNeedMore : SniffVerdict::kReject;
}

std::string FormatHttpDate(std::int64_t unix_seconds) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buffer;
}

void StampDate(std::string_view date, HttpResponse& response) {
  response.erase(http::field::date);
  // Beast keeps fields in insertion order: lift Content-Length and what follows it, add Date,
  // put them back.
  std::vector<std::pair<std::string, std::string>> tail;
  bool in_tail = false;
  for (const auto& field : response.base()) {
    in_tail = in_tail || field.name() == http::field::content_length;
    if (in_tail) tail.emplace_back(field.name_string(), field.value());
  }
  for (const auto& [name, value] : tail) response.erase(name);
  response.set(http::field::date, date);
  for (const auto& [name, value] : tail) response.insert(name, value);
}

bool ApplyConnectionRules(const HttpRequest& request, bool force_close, HttpResponse& response) {
  const bool is_11 = request.version() >= 11;
  response.version(is_11 ? 11 : 10);
  const bool response_says_close = HasToken(response[http::field::connection], "close");
  if (!is_11) {
    bool keep = !force_close && !response_says_close &&
                request.method() == http::verb::head &&
                HasToken(request[http::field::connection], "keep-alive");
    if (keep) response.set(http::field::connection, "keep-alive");
    return keep;
  }
  bool close =
      force_close || response_says_close || HasToken(request[http::field::connection], "close");
  if (close && !response_says_close) response.set(http::field::connection, "close");
  return !close;
}

}  // namespace tidb_binlog
