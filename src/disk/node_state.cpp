#include "dkv/disk/node_state.hpp"

#include <filesystem>

#include <boost/json.hpp>

#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/file.hpp"

namespace dkv::disk {

namespace json = boost::json;

std::optional<std::string> load_node_state(const std::string& dir,
                                           std::optional<node_state>& out) {
  out.reset();
  const std::string path = node_state_path(dir);
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::string text;
  if (const auto ec = read_file(path, text)) return "cannot read " + path + ": " + ec.message();
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return "cannot parse " + path + ": " + ec.message();
  try {
    const auto& o = v.as_object();
    node_state s;
    s.id = json::value_to<std::string>(o.at("id"));
    s.cluster = json::value_to<std::string>(o.at("cluster"));
    s.epoch = json::value_to<std::uint64_t>(o.at("epoch"));
    for (const auto& m : o.at("members").as_array()) {
      const auto& mo = m.as_object();
      s.members.push_back({json::value_to<std::string>(mo.at("id")),
                           json::value_to<std::string>(mo.at("address")),
                           json::value_to<std::uint8_t>(mo.at("state")),
                           json::value_to<std::uint64_t>(mo.at("version"))});
    }
    for (const auto& [name, hash] : o.at("imported_seeds").as_object())
      s.imported_seeds.emplace(std::string(name), json::value_to<std::string>(hash));
    out = std::move(s);
  } catch (const std::exception& e) {
    return "malformed " + path + ": " + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> save_node_state(const std::string& dir, const node_state& s) {
  json::array members;
  for (const auto& m : s.members)
    members.push_back(json::object{
        {"id", m.id}, {"address", m.address}, {"state", m.state}, {"version", m.version}});
  json::object seeds;
  for (const auto& [name, hash] : s.imported_seeds) seeds[name] = hash;
  const json::object o{{"id", s.id},
                       {"cluster", s.cluster},
                       {"epoch", s.epoch},
                       {"members", std::move(members)},
                       {"imported_seeds", std::move(seeds)}};
  const std::string path = node_state_path(dir);
  if (const auto ec = write_file_atomic(path, json::serialize(o) + "\n"))
    return "cannot write " + path + ": " + ec.message();
  return std::nullopt;
}

}  // namespace dkv::disk
