#include "reference/runtime/logging.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tidb_binlog {
namespace {

// pingcap/log prints upper-case level names (INFO, WARN); spdlog's %l is lower-case and
// says "warning"/"critical".
class UpstreamLevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view name = Name(message.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<UpstreamLevelFlag>();
  }

 private:
  static std::string_view Name(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug: return "DEBUG";
      case spdlog::level::info: return "INFO";
      case spdlog::level::warn: return "WARN";
      case spdlog::level::err: return "ERROR";
      default: return "FATAL";
    }
  }
};

}  // namespace

Status ConfigureLogging(std::string_view level) {
  spdlog::level::level_enum spdlog_level;
  if (level == "debug") {
    spdlog_level = spdlog::level::debug;
  } else if (level == "info") {
    spdlog_level = spdlog::level::info;
  } else if (level == "warn") {
    spdlog_level = spdlog::level::warn;
  } else if (level == "error") {
    spdlog_level = spdlog::level::err;
  } else if (level == "fatal") {
    spdlog_level = spdlog::level::critical;
  } else {
    return Status::InvalidArgument("invalid log level: " + std::string(level));
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<UpstreamLevelFlag>('*').set_pattern(
      "[%Y/%m/%d %H:%M:%S.%e %z] [%*] [\"%v\"]");
  auto logger = spdlog::stderr_color_mt("binlog");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog_level);
  spdlog::set_default_logger(std::move(logger));
  return Status::Ok();
}

}  // namespace tidb_binlog
