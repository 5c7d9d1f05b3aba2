// Assertions that stay on in release builds.
//
// BINLOG_ASSERT states a programmer-level invariant: if it fails the process is in a state
// nobody designed for, so it prints the condition and its place and aborts. It is never
// used for input a user or a peer can get wrong; those get a Status (status.h).
#pragma once

#include <cstdio>
#include <cstdlib>

#define BINLOG_ASSERT(condition)                                                        \
  do {                                                                                  \
    if (!(condition)) [[unlikely]] {                                                    \
      std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__,         \
                   #condition);                                                         \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
