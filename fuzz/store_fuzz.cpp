// libFuzzer target: store::entry_table against a std::map model. The input
// is a program of table operations (insert or overwrite, erase_if, clear,
// move, prefetch) on up to 256 keys in one table, so that it grows, probes
// past other keys and rebuilds. After each step the size and the key it
// named must agree with the model; every 32 steps and at the end, every
// key must read back as the model says and iteration must visit exactly
// the model's keys.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "dkv/store/entry_table.hpp"

namespace {

using dkv::store::entry;
using dkv::store::entry_table;
using dkv::store::hashed_key;

struct program {
  const std::uint8_t* at;
  std::size_t left;
  std::uint8_t next() {
    if (left == 0) return 0;
    --left;
    return *at++;
  }
};

// Short keys for most ids, long ones (200+ bytes) for the rest.
std::string key_of(std::uint8_t id) {
  return id < 200 ? "key" + std::to_string(id) : std::string(id, 'k');
}

// Up to 19 bytes mostly, up to ~1 KiB sometimes (two cache lines and more).
std::string value_of(std::uint8_t len, std::uint8_t fill) {
  const std::size_t n = len < 200 ? len % 20 : static_cast<std::size_t>(len - 200) * 20;
  return std::string(n, static_cast<char>(fill));
}

void check_key(const entry_table& t, const std::map<std::string, std::string>& model,
               const std::string& k) {
  const entry* e = t.find(hashed_key(k));
  const auto it = model.find(k);
  if ((e == nullptr) != (it == model.end())) std::abort();
  if (e && (e->key() != k || e->value() != it->second)) std::abort();
}

void check_all(const entry_table& t, const std::map<std::string, std::string>& model) {
  for (const auto& kv : model) check_key(t, model, kv.first);
  std::size_t seen = 0;
  for (const entry& e : t) {
    const auto it = model.find(std::string(e.key()));
    if (it == model.end() || it->second != e.value()) std::abort();
    ++seen;
  }
  if (seen != model.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  program p{data, size};
  entry_table t(p.next() * 0x9e3779b97f4a7c15ULL);  // the seed moves every key's slot
  std::map<std::string, std::string> model;
  std::uint64_t hlc = 1;
  for (std::size_t step = 1; p.left > 0; ++step) {
    const std::uint8_t op = p.next();
    const std::string key = key_of(p.next());
    const hashed_key k(key);
    switch (op % 6) {
      case 0:
      case 1: {  // insert, or overwrite in place
        const std::uint8_t len = p.next();
        std::string value = value_of(len, p.next());
        if (entry* e = t.find(k)) e->assign(value, {++hlc, 1}, false);
        else t.insert(k, entry(key, value, {++hlc, 1}, false));
        model[key] = std::move(value);
        break;
      }
      case 2: {  // erase every key whose last byte is a multiple of m
        const unsigned m = p.next() % 7 + 2;
        const auto drop = [m](std::string_view s) {
          return static_cast<unsigned char>(s.back()) % m == 0;
        };
        const std::size_t erased = t.erase_if([&](const entry& e) { return drop(e.key()); });
        const std::size_t expected =
            std::erase_if(model, [&](const auto& kv) { return drop(kv.first); });
        if (erased != expected) std::abort();
        break;
      }
      case 3:  // clear, rarely
        if (p.next() < 16) {
          t.clear();
          model.clear();
        }
        break;
      case 4: {  // move out and back
        entry_table moved(std::move(t));
        if (!t.empty() || t.find(k) != nullptr) std::abort();
        t = std::move(moved);
        break;
      }
      case 5:  // hints only
        t.prefetch_slot(k);
        t.prefetch_block(k);
        break;
    }
    if (t.size() != model.size() || t.empty() != model.empty()) std::abort();
    check_key(t, model, key);
    if (step % 32 == 0) check_all(t, model);
  }
  check_all(t, model);
  return 0;
}
