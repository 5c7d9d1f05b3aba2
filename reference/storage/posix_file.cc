#include "reference/storage/posix_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tidb_binlog::posix_file {

Status ErrnoStatus(const std::string& what, const std::string& path, int error_number) {
  return Status::IoError(what + " " + path + ": " + std::strerror(error_number));
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return ErrnoStatus(what, path, errno);
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteAllAt(int fd, std::string_view bytes, int64_t offset, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return Status::Ok();
}

Status WriteAllAtV(int fd, std::span<const std::string_view> parts, int64_t offset,
                   const std::string& path) {
  std::vector<iovec> iov;
  iov.reserve(std::min<size_t>(parts.size(), IOV_MAX));
  size_t next = 0;       // first part not wholly written
  size_t next_skip = 0;  // bytes of parts[next] already written (after a short write)
  while (next < parts.size()) {
    iov.clear();
    for (size_t i = next; i < parts.size() && iov.size() < IOV_MAX; ++i) {
      const size_t skip = i == next ? next_skip : 0;
      iov.push_back({const_cast<char*>(parts[i].data()) + skip, parts[i].size() - skip});
    }
    ssize_t n =
        ::pwritev(fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write", path);
    offset += n;
    // Advance past what was written: whole parts, then into the first unfinished one.
    auto left = static_cast<size_t>(n);
    while (next < parts.size() && left >= parts[next].size() - next_skip) {
      left -= parts[next].size() - next_skip;
      ++next;
      next_skip = 0;
    }
    next_skip += left;
  }
  return Status::Ok();
}

Status EnsureDirectory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IoError("create directory " + dir + ": " + error.message());
  return Status::Ok();
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir);
  int rc = ::fsync(fd);
  // The status is built before close() so that close cannot overwrite fsync's errno.
  Status status = rc == 0 ? Status::Ok() : ErrnoStatus("fsync directory", dir);
  ::close(fd);
  return status;
}

Status LockExclusive(int fd, const std::string& path, const std::string& busy_message) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return Status::Ok();
  if (errno == EWOULDBLOCK) return Status::Busy(busy_message);
  return ErrnoStatus("lock", path);
}

Status WriteFileAtomically(const std::string& dir, const std::string& path,
                           std::string_view bytes, mode_t mode) {
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("create", temp);
  Status status = WriteAll(fd, bytes, temp);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus("fsync", temp);
  if (status.ok() && ::fchmod(fd, mode) != 0) status = ErrnoStatus("chmod", temp);
  if (::close(fd) != 0 && status.ok()) status = ErrnoStatus("close", temp);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus("rename to " + path, temp);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return FsyncDirectory(dir);
}

}  // namespace tidb_binlog::posix_file
