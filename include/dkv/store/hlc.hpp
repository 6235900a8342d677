#pragma once
// Hybrid logical clock. The caller passes physical time in; the clock never
// reads one itself, so it is deterministic under test.
// A timestamp is (milliseconds << 16) | logical: it follows wall time, never
// goes backwards, and stays ahead of every version it has observed.

#include <cstdint>
#include <string_view>

#include "dkv/store/version.hpp"

namespace dkv::store {

class hlc {
 public:
  explicit hlc(std::uint32_t node_tiebreak) noexcept : node_(node_tiebreak) {}

  // A fresh version for a local write, larger than every earlier one.
  version tick(std::uint64_t physical_ms) noexcept;
  // Moves the clock past a version seen from elsewhere (a replica, a WAL).
  void observe(const version& seen) noexcept;

  std::uint64_t last() const noexcept { return last_; }

 private:
  std::uint32_t node_;
  std::uint64_t last_ = 0;
};

// The tiebreak of a node id (low 32 bits of its XXH3 hash; never 0, which
// belongs to seed data).
std::uint32_t node_tiebreak(std::string_view node_id) noexcept;

}  // namespace dkv::store
