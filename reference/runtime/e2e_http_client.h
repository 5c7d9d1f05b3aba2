// A minimal blocking HTTP/1.1 client over a real socket for the runtime's end-to-end tests:
// one connection per call, Beast for the wire format. Test support only.
// Thread safety: each call is independent.
#pragma once

#include <string>

#include <boost/beast/http/verb.hpp>

#include "reference/core/status.h"

namespace tidb_binlog::e2e {

struct HttpReply {
  int status = 0;
  std::string body;
};

// `address` is "host:port"; `target` the path and query. kIoError when the connection or
// the exchange fails (e.g. the node stopped serving).
Result<HttpReply> HttpCall(const std::string& address, boost::beast::http::verb method,
                           const std::string& target);

inline Result<HttpReply> HttpGet(const std::string& address, const std::string& target) {
  return HttpCall(address, boost::beast::http::verb::get, target);
}

}  // namespace tidb_binlog::e2e
