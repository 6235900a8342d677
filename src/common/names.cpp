#include "dkv/common/names.hpp"

#include <algorithm>

namespace dkv::common {

bool is_valid_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= max_name_length && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

}  // namespace dkv::common
