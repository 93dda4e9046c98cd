// StrongId<Tag, T>: a distinct integer type per kind of id (ReplicaId,
// LogIndex, ClientId, SeqNo...), so a slot number cannot be passed where a
// client id is expected. Zero-cost; ordered with <=>; hashable.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>

namespace hd {

template <typename Tag, typename T>
struct StrongId {
  using value_type = T;
  T v{};

  constexpr StrongId() = default;
  constexpr explicit StrongId(T value) : v(value) {}
  constexpr T value() const { return v; }
  constexpr auto operator<=>(const StrongId&) const = default;
};

}  // namespace hd

template <typename Tag, typename T>
struct std::hash<hd::StrongId<Tag, T>> {
  std::size_t operator()(const hd::StrongId<Tag, T>& id) const noexcept {
    return std::hash<T>{}(id.v);
  }
};
