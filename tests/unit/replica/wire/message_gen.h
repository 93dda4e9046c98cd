// Seeded random protocol messages for the wire tests and the fuzz corpus
// generator. Uses raw mt19937_64 output (not std distributions) so a seed
// gives the same messages with every standard library. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "replica/core/messages.h"
#include "replica/wire/codec.h"

namespace hd::wire::testing {

class MessageGen {
 public:
  explicit MessageGen(uint64_t seed) : rng_(seed) {}

  uint64_t u64() {
    // Mix in edge values: the codec must carry 0 and all-ones unchanged.
    switch (rng_() % 8) {
      case 0:
        return 0;
      case 1:
        return ~uint64_t{0};
      default:
        return rng_();
    }
  }
  uint32_t u32() { return static_cast<uint32_t>(u64()); }
  uint64_t below(uint64_t n) { return rng_() % n; }
  bool boolean() { return (rng_() & 1) != 0; }

  // Mostly small, sometimes empty, occasionally large (up to max_large).
  size_t length(size_t max_small, size_t max_large) {
    switch (rng_() % 10) {
      case 0:
        return 0;
      case 1:
        return max_large == 0 ? 0 : below(max_large + 1);
      default:
        return below(max_small + 1);
    }
  }

  std::string bytes(size_t max_small = 32, size_t max_large = 70000) {
    std::string s(length(max_small, max_large), '\0');
    for (char& c : s) c = static_cast<char>(rng_() & 0xff);
    return s;
  }

  core::Command command() {
    core::Command c;
    c.kind = boolean() ? core::OpKind::kPut : core::OpKind::kGet;
    c.key = u64();
    if (c.is_write() || below(4) == 0) c.value = bytes();
    return c;
  }

  Hello hello() { return Hello{boolean() ? Hello::Role::kClient : Hello::Role::kReplica, u64()}; }

  template <typename Id>
  Id id() {
    return Id{static_cast<typename Id::value_type>(u64())};
  }

  // A random message of alternative `index` of core::Message.
  core::Message message(size_t index) {
    using namespace core;
    switch (index) {
      case 0:
        return Propose{id<ClientId>(), id<SeqNo>(), id<SeqNo>(), command()};
      case 1:
        return WeakWrite{id<ClientId>(), id<SeqNo>(), id<SeqNo>(), u64(), bytes()};
      case 2:
        return WeakRead{id<ClientId>(), id<SeqNo>(), u64(), id<LogIndex>()};
      case 3:
        return ProposeReply{id<ReplicaId>(), id<ClientId>(), id<SeqNo>(), boolean(),
                            boolean(),       id<LogIndex>(), bytes(),     id<LogIndex>(),
                            id<Term>(),      id<ReplicaId>()};
      case 4:
        return StrongCommit{id<ClientId>(), id<SeqNo>(), id<LogIndex>(), bytes(), id<LogIndex>()};
      case 5:
        return WeakWriteReply{id<ClientId>(), id<SeqNo>(), id<LogIndex>()};
      case 6:
        return WeakReadReply{id<ReplicaId>(), id<ClientId>(), id<SeqNo>(), bytes(), id<LogIndex>()};
      case 7: {
        Accept a{id<ReplicaId>(), id<LogIndex>(), {}, id<LogIndex>(), id<Term>(),
                 id<Term>(),      id<LogIndex>()};
        a.entries.resize(length(8, 2000));
        for (LogEntry& e : a.entries) {
          e = LogEntry{id<ClientId>(), id<SeqNo>(), boolean(), command(), id<Term>(), id<SeqNo>()};
          if (below(4) != 0) e.cmd.value.resize(e.cmd.value.size() % 40);  // keep it small
        }
        return a;
      }
      case 8:
        return AcceptAck{id<ReplicaId>(), id<LogIndex>(), id<LogIndex>(), id<Term>(), boolean()};
      case 9: {
        Snapshot s{id<ReplicaId>(), id<LogIndex>(), u32(), boolean(), {},
                   id<Term>(),      id<Term>(),     {}};
        s.entries.resize(length(8, 2000));
        for (KvEntry& e : s.entries) e = KvEntry{u64(), bytes(16, 200), id<LogIndex>()};
        s.clients.resize(length(2, 50));
        for (ClientRecord& c : s.clients) {
          c = ClientRecord{id<ClientId>(), id<SeqNo>(), id<SeqNo>(), {}};
          c.seqs.resize(length(2, 20));
          for (ClientSeqRecord& q : c.seqs) {
            q = ClientSeqRecord{id<SeqNo>(),    boolean(),    boolean(),     boolean(),
                                id<LogIndex>(), bytes(8, 40), id<LogIndex>()};
          }
        }
        return s;
      }
      case 10:
        return RequestVote{id<ReplicaId>(), id<Term>(), id<LogIndex>(),
                           id<Term>(),      boolean(),  boolean()};
      case 11:
        return Vote{id<ReplicaId>(), id<Term>(), boolean(), boolean(), boolean()};
      case 12:
        return CausalWrite{id<ClientId>(), id<SeqNo>(), id<SeqNo>(),    u64(),
                           bytes(),        id<SeqNo>(), id<ReplicaId>()};
      case 13:
        return CausalWriteAck{id<ReplicaId>(), id<ClientId>(), id<SeqNo>(), id<Term>(),
                              id<ReplicaId>()};
      case 14:
        return HoPropose{id<ClientId>(), id<SeqNo>(), id<SeqNo>(), command(), id<SeqNo>()};
      case 15: {
        RecordAck a{id<ReplicaId>(), id<ClientId>(),  id<SeqNo>(),    boolean(),   id<LogIndex>(),
                    id<Term>(),      id<ReplicaId>(), id<ClientId>(), id<SeqNo>(), {}};
        a.causal_deps.resize(length(4, 300));
        for (SeqNo& s : a.causal_deps) s = id<SeqNo>();
        return a;
      }
      case 16:
        return CausalRead{id<ClientId>(), id<SeqNo>(), u64(), id<LogIndex>(), id<SeqNo>()};
      default:
        return Sync{id<ClientId>(), id<SeqNo>()};
    }
  }

  core::Message message() { return message(below(std::variant_size_v<core::Message>)); }

  Frame frame() {
    if (below(11) == 0) return hello();
    return message();
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace hd::wire::testing
