#include "reference/http/http_types.h"

#include <algorithm>
#include <utility>

namespace tidb_binlog {
namespace http = boost::beast::http;

namespace {

// Go's http.DetectContentType looks at no more than this many leading bytes.
constexpr std::size_t kSniffBytesMax = 512;

// WHATWG MIME sniffing's "binary data byte": a control byte other than TAB, LF, FF, CR, ESC.
bool IsBinaryDataByte(unsigned char c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) || (c >= 0x1C && c <= 0x1F);
}

HttpResponse Ok(std::string body) {
  HttpResponse response(http::status::ok, 11);
  response.body() = std::move(body);
  return response;
}

// A Content-Type the handler sets itself: Go writes it before Date and Content-Length.
HttpResponse WithExplicitType(std::string body, std::string_view content_type) {
  HttpResponse response = Ok(std::move(body));
  response.set(http::field::content_type, content_type);
  response.prepare_payload();
  return response;
}

// A Content-Type Go sniffs: written after Date and Content-Length.
HttpResponse WithSniffedType(std::string body) {
  HttpResponse response = Ok(std::move(body));
  response.prepare_payload();
  std::string_view type = SniffContentType(response.body());
  if (!type.empty()) response.set(http::field::content_type, type);
  return response;
}

}  // namespace

std::string_view PathParams::Get(std::string_view name) const {
  auto it = values.find(name);
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view SniffContentType(std::string_view body) {
  if (body.empty()) return {};
  std::string_view head = body.substr(0, kSniffBytesMax);
  bool binary = std::any_of(head.begin(), head.end(),
                            [](char c) { return IsBinaryDataByte(static_cast<unsigned char>(c)); });
  return binary ? kContentTypeOctetStream : kContentTypeTextPlain;
}

HttpResponse EncoderJsonResponse(std::string body) { return WithSniffedType(std::move(body)); }

HttpResponse RenderJsonResponse(std::string body) {
  return WithExplicitType(std::move(body), kContentTypeRenderJson);
}

HttpResponse TextResponse(std::string body) { return WithSniffedType(std::move(body)); }

HttpResponse MetricsResponse(std::string body) {
  return WithExplicitType(std::move(body), kContentTypeMetrics);
}

}  // namespace tidb_binlog
