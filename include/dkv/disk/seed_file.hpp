#pragma once
// JSON seed files: flat {"key": "value"} objects. String values are taken
// as they are; numbers, booleans and null as their JSON text; a nested
// object or array is an error naming the file and key.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dkv::disk {

using seed_pairs = std::vector<std::pair<std::string, std::string>>;

// Parses `text` (the content of `name`); error message or nullopt.
std::optional<std::string> parse_seed_file(const std::string& name, const std::string& text,
                                           seed_pairs& out);

}  // namespace dkv::disk
