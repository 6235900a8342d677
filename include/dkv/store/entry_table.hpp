#pragma once
// The entries of one partition: an open-addressing hash set of entries,
// probed linearly, whose slots are the entries themselves (32 bytes, two to
// a cache line, the array cache-line aligned). A lookup touches two places
// in memory: the slot (and, rarely, the next ones) and the key's block. The
// two steps can be started apart (prefetch_slot, then prefetch_block), so
// that a pipelined batch of lookups waits for its cache misses together
// instead of one after another (store::prefetch).
//
// Slots are chosen by the key's hash mixed with a seed (slot_hash): a node
// uses a random one, so that clients, who can compute key_hash, cannot pick
// keys that pile up in one probe run (hash flooding; they would need keys
// whose whole 64-bit key_hash is equal). Each slot keeps 16 bits of that
// slot hash (entry::tag): a probe passes other keys without reading their
// blocks. The table is kept at most 3/4 full and doubles beyond that.
// Entries leave only in bulk (a handed-off partition, purged tombstones),
// by clear() and erase_if(), which rebuilds the table from the entries that
// stay. Pure: no I/O.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "dkv/common/key_hash.hpp"
#include "dkv/store/entry.hpp"

namespace dkv::store {

// A key with its key_hash: one hash picks the partition and finds the key
// inside it.
struct hashed_key {
  explicit hashed_key(std::string_view k) noexcept : key(k), hash(common::key_hash(k)) {}
  hashed_key(std::string_view k, std::uint64_t h) noexcept : key(k), hash(h) {}
  std::string_view key;
  std::uint64_t hash;
};

class entry_table {
 public:
  explicit entry_table(std::uint64_t seed = 0) noexcept : seed_(seed) {}
  entry_table(entry_table&& o) noexcept;
  entry_table& operator=(entry_table&& o) noexcept;
  entry_table(const entry_table&) = delete;
  entry_table& operator=(const entry_table&) = delete;
  ~entry_table();

  // Visits the entries in slot order.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const entry*;
    using reference = const entry&;

    iterator() noexcept = default;
    iterator(const entry* at, const entry* end) noexcept : at_(at), end_(end) { skip_vacant(); }
    reference operator*() const noexcept { return *at_; }
    pointer operator->() const noexcept { return at_; }
    iterator& operator++() noexcept {
      ++at_;
      skip_vacant();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator was = *this;
      ++*this;
      return was;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.at_ == b.at_;
    }

   private:
    void skip_vacant() noexcept {
      while (at_ != end_ && !at_->occupied()) ++at_;
    }
    const entry* at_ = nullptr;
    const entry* end_ = nullptr;
  };

  iterator begin() const noexcept { return {slots_, slots_ + capacity_}; }
  iterator end() const noexcept { return {slots_ + capacity_, slots_ + capacity_}; }
  // The first entry at slot `slot` (< slot_count()) or after it.
  iterator from_slot(std::size_t slot) const noexcept {
    return {slots_ + slot, slots_ + capacity_};
  }
  // The slot that `e`, an entry of this table, sits in.
  std::size_t slot_of(const entry& e) const noexcept {
    return static_cast<std::size_t>(&e - slots_);
  }
  std::size_t slot_count() const noexcept { return capacity_; }
  // Changes whenever entries may have moved to other slots (the table was
  // rebuilt, cleared or assigned); inserting without growing and
  // overwriting leave it as it is. A walk in slot order that pauses can
  // resume at the same slot, missing and repeating nothing, while it is
  // unchanged.
  std::uint64_t layout() const noexcept { return layout_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  const entry* find(const hashed_key& k) const noexcept;
  entry* find(const hashed_key& k) noexcept {
    return const_cast<entry*>(static_cast<const entry_table&>(*this).find(k));
  }
  // Adds `e`, whose key is k.key and not in the table yet.
  entry& insert(const hashed_key& k, entry&& e);
  // Removes every entry for which pred(entry) is true; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    std::size_t erased = 0;
    for (entry* e = slots_; e != slots_ + capacity_; ++e) {
      if (!e->occupied() || !pred(static_cast<const entry&>(*e))) continue;
      *e = entry();
      ++erased;
    }
    if (erased) {
      size_ -= erased;
      rehash(capacity_for(size_));  // the holes would cut other keys' probes
    }
    return erased;
  }
  void clear() noexcept;

  // Starts loading the slot where a lookup of k begins.
  void prefetch_slot(const hashed_key& k) const noexcept {
    if (capacity_) __builtin_prefetch(slots_ + home(slot_hash(k.hash, seed_)));
  }
  // Starts loading the block of the entry whose tag matches k's (the
  // slots, if not loaded yet, are waited for).
  void prefetch_block(const hashed_key& k) const noexcept;

  // What picks a key's slot and tag: its key_hash mixed with the seed
  // (MurmurHash3's 64-bit finalizer, every input bit reaching every output bit).
  static std::uint64_t slot_hash(std::uint64_t key_hash, std::uint64_t seed) noexcept {
    std::uint64_t h = key_hash ^ seed;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdULL;
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }

 private:
  static std::uint16_t tag_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint16_t>(hash >> 32);
  }
  // The first entry of k's probe sequence with k's tag that `match` accepts,
  // or nullptr when a vacant slot comes first.
  template <class Match>
  const entry* probe(const hashed_key& k, Match match) const noexcept;
  // The smallest capacity that holds n entries: 0 for none, else a power of
  // two, at least 8.
  static std::size_t capacity_for(std::size_t n) noexcept;
  std::size_t home(std::uint64_t hash) const noexcept { return hash & (capacity_ - 1); }
  // Moves every entry into a new array of `capacity` slots.
  void rehash(std::size_t capacity);
  // Puts e in the first vacant slot of the probe sequence of `hash` (a slot_hash).
  entry& place(std::uint64_t hash, entry&& e) noexcept;

  std::uint64_t seed_;
  entry* slots_ = nullptr;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t size_ = 0;
  std::uint64_t layout_ = 0;
};

}  // namespace dkv::store
