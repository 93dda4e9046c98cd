// ClientTable: per-session de-duplication and saved replies (client_table.h).
#include "replica/core/client_table.h"

#include <algorithm>

#include "base/check.h"

namespace hd::core {

void ClientTable::note_acked_below(ClientState& c, SeqNo acked_below) {
  if (acked_below <= c.acked_below) return;
  c.acked_below = acked_below;
  c.seen.raise_floor(acked_below);
  const size_t before = c.saved.size();
  std::erase_if(c.saved, [&](const SavedReply& s) { return s.reply.seq < acked_below; });
  HD_CHECK(saved_count_ >= before - c.saved.size());
  saved_count_ -= before - c.saved.size();
}

bool ClientTable::is_new(const ClientState& c, SeqNo seq) {
  if (c.seen.contains(seq)) return false;
  return std::find(c.inflight.begin(), c.inflight.end(), seq) == c.inflight.end();
}

const SavedReply* ClientTable::find_saved(const ClientState& c, SeqNo seq) {
  for (const SavedReply& s : c.saved) {
    if (s.reply.seq == seq) return &s;
  }
  return nullptr;
}

void ClientTable::record_executed(const LogEntry& e, const StrongCommit& reply) {
  ClientState& c = get(e.client);
  note_acked_below(c, e.acked_below);
  c.seen.insert(e.seq);
  std::erase(c.inflight, e.seq);
  if (e.seq >= c.acked_below) {
    c.saved.push_back(SavedReply{e.strong, reply});
    ++saved_count_;
  }
}

void ClientTable::clear_inflight() {
  for (auto& [id, c] : clients_) c.inflight.clear();
}

std::vector<ClientRecord> ClientTable::records() const {
  std::vector<ClientRecord> records;
  records.reserve(clients_.size());
  for (const auto& [id, c] : clients_) {
    ClientRecord r{id, c.acked_below, c.seen.floor(), {}};
    c.seen.for_each_above_floor([&](SeqNo seq) {
      r.seqs.push_back(ClientSeqRecord{seq, true, false, false, {}, {}, {}});
    });
    for (const SavedReply& sr : c.saved) {
      auto it = std::find_if(r.seqs.begin(), r.seqs.end(),
                             [&](const ClientSeqRecord& x) { return x.seq == sr.reply.seq; });
      if (it == r.seqs.end()) {
        r.seqs.push_back(ClientSeqRecord{sr.reply.seq, false, false, false, {}, {}, {}});
        it = r.seqs.end() - 1;
      }
      it->saved = true;
      it->strong = sr.strong;
      it->slot = sr.reply.slot;
      it->value = sr.reply.value;
      it->version = sr.reply.version;
    }
    records.push_back(std::move(r));
  }
  return records;
}

void ClientTable::install(const std::vector<ClientRecord>& records) {
  clients_.clear();
  saved_count_ = 0;
  for (const ClientRecord& r : records) {
    ClientState& c = clients_[r.client];
    c.acked_below = r.acked_below;
    c.seen.raise_floor(r.floor);
    for (const ClientSeqRecord& x : r.seqs) {
      if (x.seen) c.seen.insert(x.seq);
      if (!x.saved) continue;
      c.saved.push_back(
          SavedReply{x.strong, StrongCommit{r.client, x.seq, x.slot, x.value, x.version}});
      ++saved_count_;
    }
  }
}

}  // namespace hd::core
