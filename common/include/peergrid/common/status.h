// Status helpers that Debian 12's Abseil (20220623) lacks.
//
// PEERGRID_RETURN_IF_ERROR(expr): evaluates an absl::Status expression and
// returns it from the enclosing function when it is not OK.
// PEERGRID_ASSIGN_OR_RETURN(lhs, expr): evaluates an absl::StatusOr<T>
// expression; on error returns its status, otherwise moves the value into lhs
// (which may be a declaration: `PEERGRID_ASSIGN_OR_RETURN(auto x, F());`).
#ifndef PEERGRID_COMMON_STATUS_H_
#define PEERGRID_COMMON_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PEERGRID_STATUS_CONCAT_INNER_(a, b) a##b
#define PEERGRID_STATUS_CONCAT_(a, b) PEERGRID_STATUS_CONCAT_INNER_(a, b)

#define PEERGRID_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::absl::Status peergrid_status_ = (expr);            \
    if (!peergrid_status_.ok()) return peergrid_status_; \
  } while (false)

#define PEERGRID_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#define PEERGRID_ASSIGN_OR_RETURN(lhs, expr) \
  PEERGRID_ASSIGN_OR_RETURN_IMPL_(PEERGRID_STATUS_CONCAT_(peergrid_statusor_, __LINE__), lhs, expr)

#endif  // PEERGRID_COMMON_STATUS_H_
