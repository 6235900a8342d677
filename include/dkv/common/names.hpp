#pragma once
// Node ids and cluster names: 1 to 64 of [A-Za-z0-9._-], not "." or "..".
// They name directories (data/<id>, logs/<id>) and appear in log lines, so
// anything a peer claims is checked against this before it is used.

#include <cstddef>
#include <string_view>

namespace dkv::common {

inline constexpr std::size_t max_name_length = 64;

bool is_valid_name(std::string_view name) noexcept;

}  // namespace dkv::common
