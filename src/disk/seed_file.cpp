#include "dkv/disk/seed_file.hpp"

#include <boost/json.hpp>

namespace dkv::disk {

namespace json = boost::json;

std::optional<std::string> parse_seed_file(const std::string& name, const std::string& text,
                                           seed_pairs& out) {
  out.clear();
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return "seed file " + name + ": invalid JSON: " + ec.message();
  if (!v.is_object()) return "seed file " + name + ": expected a JSON object of key: value";
  for (const auto& [key, value] : v.as_object()) {
    if (value.is_string()) {
      out.emplace_back(std::string(key), std::string(value.as_string()));
    } else if (value.is_object() || value.is_array()) {
      return "seed file " + name + ": value of key '" + std::string(key) +
             "' is not a string, number, boolean or null";
    } else {
      out.emplace_back(std::string(key), json::serialize(value));
    }
  }
  return std::nullopt;
}

}  // namespace dkv::disk
