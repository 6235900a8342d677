#include "dkv/store/entry_table.hpp"

#include <algorithm>
#include <new>
#include <utility>

namespace dkv::store {
namespace {

constexpr std::align_val_t slot_alignment{64};  // a slot never straddles two cache lines

entry* allocate_slots(std::size_t n) {
  auto* slots = static_cast<entry*>(::operator new(n * sizeof(entry), slot_alignment));
  for (std::size_t i = 0; i < n; ++i) new (slots + i) entry();
  return slots;
}

void free_slots(entry* slots, std::size_t n) noexcept {
  if (!slots) return;
  for (std::size_t i = 0; i < n; ++i) slots[i].~entry();
  ::operator delete(slots, slot_alignment);
}

}  // namespace

entry_table::entry_table(entry_table&& o) noexcept
    : seed_(o.seed_),
      slots_(std::exchange(o.slots_, nullptr)),
      capacity_(std::exchange(o.capacity_, 0)),
      size_(std::exchange(o.size_, 0)),
      layout_(o.layout_++) {}

entry_table& entry_table::operator=(entry_table&& o) noexcept {
  if (this != &o) {
    free_slots(slots_, capacity_);
    seed_ = o.seed_;
    slots_ = std::exchange(o.slots_, nullptr);
    capacity_ = std::exchange(o.capacity_, 0);
    size_ = std::exchange(o.size_, 0);
    layout_ = std::max(layout_, o.layout_++) + 1;
  }
  return *this;
}

entry_table::~entry_table() { free_slots(slots_, capacity_); }

template <class Match>
const entry* entry_table::probe(const hashed_key& k, Match match) const noexcept {
  if (!capacity_) return nullptr;
  const std::uint64_t h = slot_hash(k.hash, seed_);
  const std::uint16_t tag = tag_of(h);
  // Never full, so a vacant slot ends every probe.
  for (std::size_t i = home(h);; i = (i + 1) & (capacity_ - 1)) {
    const entry& e = slots_[i];
    if (!e.occupied()) return nullptr;
    if (e.tag() == tag && match(e)) return &e;
  }
}

const entry* entry_table::find(const hashed_key& k) const noexcept {
  return probe(k, [&k](const entry& e) { return e.key() == k.key; });
}

void entry_table::prefetch_block(const hashed_key& k) const noexcept {
  // The first entry with k's tag is almost always k's own: its key is not
  // compared, which would wait for the very block being prefetched.
  if (const entry* e = probe(k, [](const entry&) { return true; })) e->prefetch();
}

entry& entry_table::insert(const hashed_key& k, entry&& e) {
  if (capacity_for(size_ + 1) > capacity_) rehash(capacity_for(size_ + 1));
  entry& placed = place(slot_hash(k.hash, seed_), std::move(e));
  ++size_;
  return placed;
}

void entry_table::clear() noexcept {
  free_slots(slots_, capacity_);
  slots_ = nullptr;
  capacity_ = size_ = 0;
  ++layout_;
}

std::size_t entry_table::capacity_for(std::size_t n) noexcept {
  if (n == 0) return 0;
  std::size_t c = 8;
  while (n * 4 > c * 3) c *= 2;
  return c;
}

void entry_table::rehash(std::size_t capacity) {
  entry* old = std::exchange(slots_, capacity ? allocate_slots(capacity) : nullptr);
  const std::size_t old_capacity = std::exchange(capacity_, capacity);
  ++layout_;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old[i].occupied())
      place(slot_hash(common::key_hash(old[i].key()), seed_), std::move(old[i]));
  }
  free_slots(old, old_capacity);
}

entry& entry_table::place(std::uint64_t hash, entry&& e) noexcept {
  std::size_t i = home(hash);
  while (slots_[i].occupied()) i = (i + 1) & (capacity_ - 1);
  slots_[i] = std::move(e);
  slots_[i].set_tag(tag_of(hash));
  return slots_[i];
}

}  // namespace dkv::store
