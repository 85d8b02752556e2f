// Strict JSON parsing for every JSON input the project reads (policy files,
// KMS requests and responses, TDX collateral, safetensors headers).
//
// nlohmann::json keeps the last of duplicate keys, which would let two
// readers of one document disagree about it; a parser callback tracks the
// keys of each open object and refuses a repeat, and refuses nesting deeper
// than the caller's grammar (which also bounds memory: deeper values are
// discarded as they arrive). Size limits are the caller's.
//
// Errors (`what` is the caller's prefix, e.g. "policy json"):
//   InvalidArgument "<what>: not valid JSON" or "<what>: nested deeper than N levels"
//   AlreadyExists   "<what>: duplicate key"
// The top-level type is not checked. Messages never quote the text.
//
// Thread-safety: a pure function.
#ifndef EML_CORE_JSON_H_
#define EML_CORE_JSON_H_

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace eml {

StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text, int max_depth,
                                         std::string_view what);

}  // namespace eml

#endif  // EML_CORE_JSON_H_
