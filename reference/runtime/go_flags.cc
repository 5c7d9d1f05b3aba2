#include "reference/runtime/go_flags.h"

#include <cctype>
#include <string_view>

namespace tidb_binlog {
namespace {

// True for `-name` or `-name=value` where name has >= 2 characters and starts with a letter.
bool IsSingleDashLongFlag(std::string_view arg) {
  if (arg.size() < 3 || arg[0] != '-' || arg[1] == '-') return false;
  if (!std::isalpha(static_cast<unsigned char>(arg[1]))) return false;
  const std::string_view name = arg.substr(1, arg.find('=') == std::string_view::npos
                                                  ? std::string_view::npos
                                                  : arg.find('=') - 1);
  return name.size() >= 2;
}

}  // namespace

std::vector<std::string> RewriteGoStyleFlags(const std::vector<std::string>& args) {
  std::vector<std::string> rewritten;
  rewritten.reserve(args.size());
  bool terminated = false;
  for (const std::string& arg : args) {
    if (!terminated && arg == "--") terminated = true;
    if (!terminated && IsSingleDashLongFlag(arg)) {
      rewritten.push_back("-" + arg);
    } else {
      rewritten.push_back(arg);
    }
  }
  return rewritten;
}

}  // namespace tidb_binlog
