// POSIX file helpers shared by everything that keeps files on disk (the drainer's binlog
// files and checkpoint, the value log, the RocksDB store's data directory lock, the runtime's
// data directories): one owner for the errno text, the EINTR-safe write loops, directory
// creation, the directory fsync that makes a create or rename durable, the exclusive lock that reports "in use" as kBusy, and the atomic
// file replacement.
//
// Not for: reading files (each reader has its own bounds and end-of-file rules), or
// anything above one file descriptor (rotation, recovery, formats).
//
// Errors are kIoError with the text "<what> <path>: <strerror>", except the lock's kBusy.
// Thread safety: stateless functions; concurrent calls on different descriptors are safe,
// and calls on one descriptor follow the operating system's rules for it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "reference/core/status.h"

namespace tidb_binlog::posix_file {

// kIoError "<what> <path>: <strerror(error_number)>".
Status ErrnoStatus(const std::string& what, const std::string& path, int error_number);
// The same for the current errno: call it right after the failed system call.
Status ErrnoStatus(const std::string& what, const std::string& path);

// Writes all of `bytes` at the descriptor's file position (write(2), EINTR retried).
// `path` names the file in errors ("write <path>: ...").
Status WriteAll(int fd, std::string_view bytes, const std::string& path);

// Writes all of `bytes` at `offset` (pwrite(2), EINTR retried); the file position is not
// used. On failure a prefix of `bytes` may have reached the file.
Status WriteAllAt(int fd, std::string_view bytes, int64_t offset, const std::string& path);

// Writes `parts` one after the other from `offset` (pwritev(2) of up to IOV_MAX parts at a
// time, EINTR and short writes retried): what WriteAllAt of their concatenation writes,
// without building it. On failure a prefix may have reached the file.
Status WriteAllAtV(int fd, std::span<const std::string_view> parts, int64_t offset,
                   const std::string& path);

// Creates `dir` and any missing parents; OK if it exists. Errors read
// "create directory <dir>: <reason>".
Status EnsureDirectory(const std::string& dir);

// fsyncs directory `dir`, so that entries created, renamed or removed in it survive a crash.
// Errors read "open directory <dir>: ..." and "fsync directory <dir>: ...".
Status FsyncDirectory(const std::string& dir);

// Takes an exclusive, non-blocking flock on `fd`. kBusy with `busy_message` when another
// open file description holds it (the message is the caller's: it knows what is in use);
// kIoError "lock <path>: ..." on any other failure. The descriptor stays open either way.
Status LockExclusive(int fd, const std::string& path, const std::string& busy_message);

// Replaces `path` (an entry of directory `dir`) with `bytes` and mode `mode` so that a crash
// leaves either the old or the new contents, durably once it returns OK: write
// "<path>.tmp", fsync, chmod (the umask may have narrowed the mode given to open), close,
// rename over `path`, fsync `dir`. On failure before the rename the temporary is removed.
Status WriteFileAtomically(const std::string& dir, const std::string& path,
                           std::string_view bytes, mode_t mode);

}  // namespace tidb_binlog::posix_file
