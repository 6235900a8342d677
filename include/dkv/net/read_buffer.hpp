#pragma once
// A connection's input buffer: bytes arrive at the back, complete messages
// are consumed from the front, and the unconsumed tail is moved to the
// start only when room is needed. Pipelined requests are parsed straight
// out of it, without copies.

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace dkv::net {

class read_buffer {
 public:
  explicit read_buffer(std::size_t initial = 16 * 1024) : data_(initial) {}

  // The received bytes not yet consumed.
  std::string_view data() const noexcept {
    return {data_.data() + begin_, end_ - begin_};
  }
  // Free space for the next read: at least `min_free` bytes (the buffer grows
  // or compacts as needed, which invalidates views from data()).
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t n) noexcept { end_ += n; }
  void consume(std::size_t n) noexcept;

 private:
  std::vector<char> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace dkv::net
