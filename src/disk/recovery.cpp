#include "dkv/disk/recovery.hpp"

#include <algorithm>
#include <filesystem>

#include "dkv/common/bytes.hpp"
#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/file.hpp"
#include "dkv/disk/record_stream.hpp"
#include "dkv/disk/snapshot.hpp"
#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_reader.hpp"

namespace dkv::disk {
namespace {

void apply(const wal::entry& e, store::store& into, recovery_report& report) {
  const store::version v{e.hlc, e.node};
  switch (e.kind) {
    case wal::op::put: into.put(e.key, e.value, v); break;
    case wal::op::del: into.remove(e.key, v); break;
    case wal::op::drop: {
      const std::uint32_t p = common::load_u32_be(e.key.data());
      if (p < common::partition_count) into.drop_partition(p);
      break;
    }
  }
  report.max_hlc = std::max(report.max_hlc, e.hlc);
}

std::string at(const std::string& path, std::uint64_t offset) {
  return path + " at offset " + std::to_string(offset);
}

// Loads one snapshot into the store, empty before it; false when the
// snapshot is incomplete or damaged, and the store is emptied again (so an
// older one can be tried). Read in one pass through a window.
bool load_snapshot(const std::string& path, store::store& into, recovery_report& report,
                   std::uint64_t& first_segment) {
  const std::uint64_t max_hlc = report.max_hlc;
  const auto damaged = [&] {
    for (std::uint32_t p = 0; p < common::partition_count; ++p) into.drop_partition(p);
    report.max_hlc = max_hlc;
    return false;
  };
  record_stream in;
  if (in.open(path)) return false;
  std::string_view rec;
  if (in.next(rec) != wal::read_status::record) return false;
  const auto header = decode_snapshot_header(rec);
  if (!header) return false;
  std::uint64_t count = 0;
  std::optional<std::uint64_t> trailer;
  for (;;) {
    const auto st = in.next(rec);
    if (st != wal::read_status::record) break;
    if (trailer) return damaged();  // records after the trailer
    if ((trailer = decode_snapshot_trailer(rec))) continue;
    const auto e = wal::decode_entry(rec);
    if (!e) return damaged();
    apply(*e, into, report);
    ++count;
  }
  if (!trailer || *trailer != count || in.good_end() != in.size()) return damaged();
  report.snapshot_entries = count;
  first_segment = header->first_wal_segment;
  return true;
}

// `bytes`: the buffer the segment is read into, one for all segments (each
// up to 64 MiB): fresh memory for each would cost a first touch of every
// page again, slow in a virtual machine.
std::optional<std::string> replay_segment(const std::string& dir, std::uint64_t seq,
                                          bool is_last, store::store& into,
                                          const recovery_options& opts, recovery_report& report,
                                          std::string& bytes) {
  const std::string path = segment_path(dir, seq);
  if (const auto ec = read_file(path, bytes)) return "cannot read " + path + ": " + ec.message();
  report.bytes_replayed += bytes.size();
  auto reader = wal::log_reader::for_segment(bytes, wal::segment_number(seq));
  std::string_view rec;
  for (;;) {
    const wal::read_status status = reader.next(rec);
    switch (status) {
      case wal::read_status::record: {
        const auto e = wal::decode_entry(rec);
        if (!e) {
          if (!opts.skip_corrupt)
            return "WAL corruption in " + at(path, reader.good_end()) + ": undecodable entry";
          ++report.corrupt_regions_skipped;
          continue;
        }
        apply(*e, into, report);
        ++report.records_replayed;
        continue;
      }
      case wal::read_status::end:
        return std::nullopt;
      case wal::read_status::stale_tail:
      case wal::read_status::torn_tail: {
        // A segment written over an older one's file ends where its records
        // stop, last or not: what follows is the older segment's (a few
        // bytes of it, or a trailer, read as a torn tail where a header
        // should start). A cut record of its own, though, is damage there.
        if (status == wal::read_status::stale_tail ||
            (!is_last && reader.recyclable() && !reader.torn_inside_record())) {
          report.bytes_replayed -= bytes.size() - reader.good_end();
          return std::nullopt;
        }
        if (!is_last && !opts.skip_corrupt)
          return "WAL corruption in " + at(path, reader.good_end()) +
                 ": segment ends inside a record but is not the last one";
        file f;
        if (auto ec = file::open_append(path, f))
          return "cannot open " + path + " to truncate its torn tail: " + ec.message();
        if (auto ec = f.truncate(reader.good_end()))
          return "cannot truncate torn tail of " + path + ": " + ec.message();
        if (auto ec = f.sync()) return "cannot sync " + path + ": " + ec.message();
        report.torn_bytes_truncated += bytes.size() - reader.good_end();
        return std::nullopt;
      }
      case wal::read_status::corrupt:
        if (!opts.skip_corrupt)
          return "WAL corruption in " + at(path, reader.error_offset()) + ": " +
                 std::string(reader.why()) + " (start with --wal-recovery=skip-corrupt to skip it)";
        ++report.corrupt_regions_skipped;
        reader.skip_to_next_block();
        continue;
    }
  }
}

void remove_temporary_snapshots(const std::string& dir) {
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = de.path().filename().string();
    if (name.starts_with("snapshot-") && name.ends_with(".dat.tmp"))
      std::filesystem::remove(de.path(), ec);
  }
}

}  // namespace

std::optional<std::string> recover(const std::string& dir, store::store& into,
                                   const recovery_options& opts, recovery_report& report) {
  report = {};
  dir_listing listing;
  if (const auto ec = list_data_dir(dir, listing))
    return "cannot list data dir " + dir + ": " + ec.message();

  remove_temporary_snapshots(dir);
  std::uint64_t first_segment = 0;
  for (auto it = listing.snapshots.rbegin(); it != listing.snapshots.rend(); ++it) {
    if (load_snapshot(snapshot_path(dir, *it), into, report, first_segment)) {
      report.snapshot_seq = *it;
      break;
    }
    // A snapshot is renamed into place only once complete and synced: a bad
    // one is damage, and the log it replaced may be gone already.
    if (!opts.skip_corrupt)
      return "snapshot " + snapshot_path(dir, *it) +
             " is damaged (start with --wal-recovery=skip-corrupt to fall back to older data)";
    ++report.incomplete_snapshots;
  }

  std::uint64_t last_seq = report.snapshot_seq;
  std::string bytes;  // each segment in turn (replay_segment)
  for (std::size_t i = 0; i < listing.segments.size(); ++i) {
    const std::uint64_t seq = listing.segments[i];
    last_seq = std::max(last_seq, seq);
    if (seq < first_segment) continue;
    const bool is_last = i + 1 == listing.segments.size();
    if (auto err = replay_segment(dir, seq, is_last, into, opts, report, bytes))
      return err;
    ++report.segments_replayed;
  }
  if (!listing.snapshots.empty()) last_seq = std::max(last_seq, listing.snapshots.back());
  report.next_seq = last_seq + 1;
  return std::nullopt;
}

}  // namespace dkv::disk
