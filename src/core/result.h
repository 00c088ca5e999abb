// Errors as values: every operation that can fail on input or environment returns Result<T>.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace prognos {

enum class ErrorCode {
  kInvalidArgument,  // bad input from a user or a peer
  kNotFound,
  kAlreadyExists,
  kIo,             // the environment failed (disk, socket)
  kCorruption,     // stored bytes fail their checksum or format
  kUnavailable,    // transient: retry later
  kResourceExhausted,
  kInternal,
  kFailedPrecondition,  // the world is not in the state the operation needs (refused, not retried)
};

// Short stable name of a code ("invalid_argument", …), used in logs and JSON errors.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Result<void> success value: `return Ok();`.
inline Result<void> Ok() { return {}; }

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace prognos
