#include "reference/runtime/e2e_http_client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tidb_binlog::e2e {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

// A test must not hang on a server that accepted and went quiet.
constexpr std::chrono::seconds kCallTimeout{10};

Result<HttpReply> HttpCall(const std::string& address, http::verb method,
                           const std::string& target) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("bad address " + address);
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(kCallTimeout);
    stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, address);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return HttpReply{static_cast<int>(response.result_int()), response.body()};
  } catch (const std::exception& error) {
    return Status::IoError(std::string(http::to_string(method)) + " " + address + target +
                           ": " + error.what());
  }
}

}  // namespace tidb_binlog::e2e
