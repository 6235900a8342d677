#pragma once
// Unpredictable bytes from the kernel (getrandom(2)), for handshake nonces.

#include <cstdint>
#include <span>

namespace dkv::net {

// Fills `out`; throws std::system_error if the kernel cannot (it does not
// fail once the entropy pool is initialised, which it is after boot).
void fill_random(std::span<std::uint8_t> out);

}  // namespace dkv::net
