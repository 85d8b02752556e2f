#include "core/json.h"

#include <set>
#include <string>
#include <vector>

namespace eml {

StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text, int max_depth,
                                         std::string_view what) {
  using json = nlohmann::json;
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  bool too_deep = false;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= max_depth) {
      too_deep = true;
    }
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && parsed.is_string() &&
               !open_objects.back().insert(parsed.get_ref<const std::string&>()).second) {
      duplicate = true;
    }
    return !too_deep && !duplicate;
  };
  const std::string prefix = std::string(what) + ": ";
  json root;
  try {
    root = json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return InvalidArgumentError(prefix + "not valid JSON");
  }
  if (too_deep) {
    return InvalidArgumentError(prefix + "nested deeper than " + std::to_string(max_depth) +
                                " levels");
  }
  if (duplicate) return AlreadyExistsError(prefix + "duplicate key");
  if (root.is_discarded()) return InvalidArgumentError(prefix + "not valid JSON");
  return root;
}

}  // namespace eml
