// Test support (header-only, not part of binlog_http): in-memory requests and a view of a
// response's header fields, for the tests of the Go HTTP rules and the router.
//
// Request() builds what a Go client sends: the method and target as given, and for HTTP/1.1
// and later a Host header (net/http always sends one; an HTTP/1.0 client may not). Fields()
// lists a response's header fields in wire order, so tests can assert Go's field order.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/http/http_types.h"

namespace tidb_binlog::testing_util {

// Host header of the requests Request() builds: a pump's default address.
inline constexpr char kTestRequestHost[] = "127.0.0.1:8250";

inline HttpRequest Request(std::string_view method, std::string_view target,
                           unsigned version = 11) {
  HttpRequest request;
  request.method_string(method);
  request.target(target);
  request.version(version);
  if (version >= 11) request.set(boost::beast::http::field::host, kTestRequestHost);
  return request;
}

// Header fields in wire order, as (name, value).
inline std::vector<std::pair<std::string, std::string>> Fields(const HttpResponse& response) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& field : response.base()) {
    fields.emplace_back(field.name_string(), field.value());
  }
  return fields;
}

}  // namespace tidb_binlog::testing_util
