#pragma once
// Secrets (the cluster secret, the client password) and where they may come
// from. A secret must never show in `ps`, logs or INFO: the node takes it
// from a file (--cluster-secret-file, --requirepass-file), the environment
// (DKV_CLUSTER_SECRET, DKV_REQUIREPASS) or, least safely, the command line,
// whose copy in the process's argv is overwritten at start (scrub_argv).

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dkv::config {

// Longest secret accepted, in bytes.
inline constexpr std::size_t max_secret_size = 4096;

// The secret in `path`: the whole file without one trailing newline (LF or
// CRLF). nullopt and `error` set (naming the file, never its content) when
// it cannot be read, is empty, or is larger than max_secret_size.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error);

// Overwrites, in place, the value of every `--NAME VALUE` or `--NAME=VALUE`
// in argv whose NAME is one of `names` with '*', so /proc/<pid>/cmdline no
// longer holds it. Returns how many values it overwrote.
int scrub_argv(int argc, char** argv, std::span<const std::string_view> names);

// True for hosts that only this machine can reach: 127.0.0.0/8, ::1 and
// "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace dkv::config
