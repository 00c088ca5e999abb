// PROGNOS_CHECK: invariants only, never for external input (that gets a Result error).
#pragma once

#include <cstdio>
#include <cstdlib>

#define PROGNOS_CHECK(cond)                                                            \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)
