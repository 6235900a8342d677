#include "dkv/net/read_buffer.hpp"

#include <cstring>

namespace dkv::net {

std::span<char> read_buffer::prepare(std::size_t min_free) {
  if (data_.size() - end_ < min_free) {
    const std::size_t used = end_ - begin_;
    if (begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, used);
      begin_ = 0;
      end_ = used;
    }
    if (data_.size() - end_ < min_free) {
      std::size_t size = data_.size();
      while (size - end_ < min_free) size *= 2;
      data_.resize(size);
    }
  }
  return {data_.data() + end_, data_.size() - end_};
}

void read_buffer::consume(std::size_t n) noexcept {
  begin_ += n;
  if (begin_ == end_) begin_ = end_ = 0;
}

}  // namespace dkv::net
