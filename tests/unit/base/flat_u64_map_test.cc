// Unit tests of FlatU64Map: the same answers as std::unordered_map for a
// seeded random mix of inserts, updates, erases and lookups (the known answer), the
// edge keys (0 and the all-ones key the array uses as its empty marker),
// growth across many rehashes, reserve, clear and for_each.
#include "base/flat_u64_map.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/rng.h"

TEST_CASE("flat_u64_map: agrees with std::unordered_map over a random mix (seeded)") {
  // Seeds 1-3: a large map; 4-6: keys from 0..24 only, so the array stays at
  // 16-64 slots and erases shift entries across its wrap-around.
  for (const uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
    hd::Rng rng(seed);
    const bool small = seed > 3;
    hd::FlatU64Map<std::string> flat;
    std::unordered_map<uint64_t, std::string> truth;
    for (int i = 0; i < 20'000; ++i) {
      // Small keys collide in the array's home slots; the edge keys too.
      const uint64_t pick = rng.between(0, 9);
      const uint64_t key = pick == 0   ? ~uint64_t{0}
                           : pick == 1 ? 0
                           : small     ? rng.between(0, 24)
                           : pick < 6  ? rng.between(0, 3000)
                                       : rng.next();
      const uint64_t what = rng.between(0, 5);
      if (what <= 1) {
        const std::string v = std::to_string(i);
        flat[key] = v;
        truth[key] = v;
      } else if (what == 2) {
        CHECK(flat.erase(key) == (truth.erase(key) == 1));
      } else {
        const std::string* got = flat.find(key);
        const auto want = truth.find(key);
        REQUIRE((got != nullptr) == (want != truth.end()));
        if (got) CHECK(*got == want->second);
      }
      REQUIRE(flat.size() == truth.size());
    }
    size_t seen = 0;
    flat.for_each([&](uint64_t key, const std::string& v) {
      ++seen;
      const auto want = truth.find(key);
      REQUIRE(want != truth.end());
      CHECK(v == want->second);
    });
    CHECK(seen == truth.size());
  }
}

TEST_CASE("flat_u64_map: try_emplace keeps an existing value; values survive growth") {
  hd::FlatU64Map<uint64_t> m;
  CHECK(m.find(5) == nullptr);
  auto [v, inserted] = m.try_emplace(5, 50);
  CHECK(inserted);
  CHECK(*v == 50);
  auto [again, inserted_again] = m.try_emplace(5, 99);
  CHECK_FALSE(inserted_again);
  CHECK(*again == 50);
  for (uint64_t k = 0; k < 100'000; ++k) m[k * 7] = k;  // many rehashes
  CHECK(m.size() == 100'001);                           // 5 is not a multiple of 7
  CHECK(*m.find(5) == 50);
  for (uint64_t k = 0; k < 100'000; k += 997) REQUIRE(*m.find(k * 7) == k);
  CHECK(m.find(8) == nullptr);
}

TEST_CASE("flat_u64_map: the empty-marker key is an ordinary key") {
  hd::FlatU64Map<int> m;
  const uint64_t all_ones = ~uint64_t{0};
  CHECK_FALSE(m.contains(all_ones));
  m[all_ones] = 3;
  CHECK(m.size() == 1);
  CHECK(*m.find(all_ones) == 3);
  CHECK(m.find(0) == nullptr);
  int calls = 0;
  m.for_each([&](uint64_t k, int v) {
    ++calls;
    CHECK(k == all_ones);
    CHECK(v == 3);
  });
  CHECK(calls == 1);
}

TEST_CASE("flat_u64_map: reserve keeps entries; clear empties") {
  hd::FlatU64Map<int> m;
  for (int k = 0; k < 10; ++k) m[static_cast<uint64_t>(k)] = k;
  m.reserve(10'000);
  for (int k = 0; k < 10; ++k) REQUIRE(*m.find(static_cast<uint64_t>(k)) == k);
  m[~uint64_t{0}] = 1;
  m.clear();
  CHECK(m.empty());
  CHECK(m.find(3) == nullptr);
  CHECK(m.find(~uint64_t{0}) == nullptr);
  m[3] = 4;  // usable again after clear
  CHECK(*m.find(3) == 4);
}
