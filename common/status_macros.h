// Error-propagation macros for absl::Status / absl::StatusOr.
// Abseil 20220623 (Debian 12) ships no status_macros.h, so we keep our own.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PALISADE_CONCAT_INNER(a, b) a##b
#define PALISADE_CONCAT(a, b) PALISADE_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    if (absl::Status palisade_status_ = (expr);          \
        !palisade_status_.ok()) {                        \
      return palisade_status_;                           \
    }                                                    \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns
// its error.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(PALISADE_CONCAT(palisade_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                          \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
