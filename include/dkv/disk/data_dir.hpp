#pragma once
// Names and listing of the files in a node's data dir (protocol/WAL.md):
//   wal-<20 digits>.log        WAL segments, by sequence
//   snapshot-<20 digits>.dat   snapshots, by sequence
//   snapshot.spare             an older snapshot's file, for the next one to overwrite
//   wal.spare                  an empty file with blocks allocated, or a wal-*.reuse
//                              renamed: the next WAL segment
//   wal-<20 digits>.reuse      a retired WAL segment, kept to be written over by a later one
//   node.json                  node state
//   *.json (other)             seed files, imported once
//   LOCK                       held (flock) by the node using the dir

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace dkv::disk {

struct dir_listing {
  std::vector<std::uint64_t> segments;   // ascending
  std::vector<std::uint64_t> snapshots;  // ascending
  std::vector<std::uint64_t> reusable;   // retired segments kept for reuse, ascending
  std::vector<std::string> seed_files;   // file names, sorted
};

std::error_code list_data_dir(const std::string& dir, dir_listing& out);

std::string segment_path(const std::string& dir, std::uint64_t seq);
std::string snapshot_path(const std::string& dir, std::uint64_t seq);
std::string node_state_path(const std::string& dir);
std::string snapshot_spare_path(const std::string& dir);
std::string wal_spare_path(const std::string& dir);
std::string reusable_path(const std::string& dir, std::uint64_t seq);

// Whether the file system of `dir` has at least the size of the file at
// `path` free besides: a file kept to be reused never takes the space that
// writes need.
bool room_to_keep(const std::string& dir, const std::string& path);

// Takes an exclusive flock on <dir>/LOCK, kept until the process exits.
// Fails with a clear message when another process holds it.
std::error_code lock_data_dir(const std::string& dir, int& lock_fd);

}  // namespace dkv::disk
