#include "dkv/node/startup.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "dkv/common/key_hash.hpp"
#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/file.hpp"
#include "dkv/disk/node_state.hpp"
#include "dkv/disk/recovery.hpp"
#include "dkv/disk/seed_file.hpp"
#include "dkv/log/log.hpp"

namespace dkv::node {
namespace {

[[noreturn]] void refuse(const std::string& why) { throw std::runtime_error(why); }

disk::node_state check_owner(const config::node_config& cfg) {
  std::optional<disk::node_state> state;
  if (auto err = disk::load_node_state(cfg.data_dir, state)) refuse(*err);
  if (!state) return disk::node_state{cfg.id, cfg.cluster, 0, {}, {}};
  if (state->id != cfg.id)
    refuse("data dir " + cfg.data_dir + " belongs to node '" + state->id + "', not '" + cfg.id +
           "'");
  if (state->cluster != cfg.cluster)
    refuse("data dir " + cfg.data_dir + " belongs to cluster '" + state->cluster + "', not '" +
           cfg.cluster + "'");
  return *state;
}

std::string content_hash(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(common::key_hash(text)));
  return hex;
}

// Imports seed files that are new or changed since their last import.
void import_seeds(const config::node_config& cfg, context& ctx, disk::node_state& state) {
  disk::dir_listing listing;
  if (const auto ec = disk::list_data_dir(cfg.data_dir, listing))
    refuse("cannot list data dir " + cfg.data_dir + ": " + ec.message());
  for (const auto& name : listing.seed_files) {
    const std::string path = cfg.data_dir + "/" + name;
    std::string text;
    if (const auto ec = disk::read_file(path, text))
      refuse("cannot read seed file " + path + ": " + ec.message());
    const std::string hash = content_hash(text);
    if (state.imported_seeds[name] == hash) continue;
    disk::seed_pairs pairs;
    if (auto err = disk::parse_seed_file(path, text, pairs)) refuse(*err);
    for (const auto& [k, v] : pairs) {
      if (k.size() > cfg.max_key) refuse("seed file " + path + ": key '" + k.substr(0, 64) +
                                         "...' exceeds --max-key");
      if (!ctx.eng.import_seed(k, v).lsn) refuse(ctx.eng.write_failure());
    }
    state.imported_seeds[name] = hash;
    log::info() << "imported " << pairs.size() << " keys from seed file " << name;
  }
}

}  // namespace

disk::node_state open_data_dir(const config::node_config& cfg, context& ctx) {
  std::error_code fec;
  std::filesystem::create_directories(cfg.data_dir, fec);
  if (fec) refuse("cannot create data dir " + cfg.data_dir + ": " + fec.message());
  int lock_fd = -1;  // held until the process exits
  if (const auto ec = disk::lock_data_dir(cfg.data_dir, lock_fd))
    refuse("data dir " + cfg.data_dir + " is in use by another kv-node (" + ec.message() + ")");

  disk::node_state state = check_owner(cfg);

  const auto started = std::chrono::steady_clock::now();
  disk::recovery_report report;
  if (auto err = disk::recover(cfg.data_dir, ctx.eng.recovery_target(),
                               disk::recovery_options{cfg.skip_corrupt}, report))
    refuse(*err);
  ctx.eng.observe(report.max_hlc);
  ctx.recovery_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::steady_clock::now() - started)
                                                   .count());
  log::info() << "recovered " << ctx.eng.data().live_keys() << " keys in " << ctx.recovery_ms
              << " ms (snapshot " << report.snapshot_seq << " with " << report.snapshot_entries
              << " entries, " << report.records_replayed << " records from "
              << report.segments_replayed << " WAL segments)";
  if (report.torn_bytes_truncated)
    log::warn() << "truncated a torn WAL tail of " << report.torn_bytes_truncated << " bytes";
  if (report.corrupt_regions_skipped)
    log::warn() << "skipped " << report.corrupt_regions_skipped
                << " corrupt WAL regions (--wal-recovery=skip-corrupt): their writes are lost";
  if (report.incomplete_snapshots)
    log::warn() << "ignored " << report.incomplete_snapshots << " incomplete snapshots";

  if (auto err = ctx.eng.log().open(report.next_seq); !err.empty()) refuse(err);
  ctx.eng.log().add_since(report.bytes_replayed, report.segments_replayed);
  import_seeds(cfg, ctx, state);
  if (auto err = ctx.eng.log().sync_now(); !err.empty()) refuse(err);
  if (auto err = disk::save_node_state(cfg.data_dir, state)) refuse(*err);
  return state;
}

}  // namespace dkv::node
