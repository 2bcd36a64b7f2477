// CareerBreakIndex: which career-break requests (tickets) and notifications
// each employer and each citizen has, for the views that list them — the
// employer's career-break overview with its filters (seed 004) and each
// citizen's records in the export.
//
// Contract. A read model (read_model.h), registered among the standard ones:
// apply(event, offset) records the id, employer and citizen of every accepted
// career-break request and notification of the partition being folded (an
// action names its citizen, so it is in the citizen's partition) and ignores
// every other event; pure and deterministic like every fold. The records
// themselves, with their state machines, stay in the engine's state, which
// the decisions read by id (ActionState::ticket(), notification()); only these
// lists, which no decision reads, live here (issue 12 item 1: the engine keeps
// what decisions need). So every id listed names a record of the same
// partition's LedgerState, folded from the same events. The for_each_*
// functions give ids newest first, walking one employer's or one citizen's
// chain (no scan of the others). save()/load() give the bytes of a checkpoint
// section (magic, then per kind a count and the (id, employer, citizen)
// triples in fold order, CRC32C): canonical; load() refuses bytes it did not
// write with kCorruption (a zero or reserved key, an id listed twice). A
// checkpoint written before this model existed has no section for it: the
// Projector folds it again from the partition's start (its backfill). Not
// thread-safe: one index per partition fold; queries after it, under the
// reader's lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/flat_map.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"
#include "projections/read_model.h"

namespace dimona {

class CareerBreakIndex final : public ReadModel {
 public:
  static constexpr std::string_view kName = "career_breaks";
  static constexpr uint32_t kVersion = 1;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event, Offset offset) override;

  // f(id), newest first.
  template <typename F> void for_each_ticket_of_employer(uint64_t employer, F&& f) const { tickets_.of_employer(employer, f); }
  template <typename F> void for_each_ticket_of(Ssin citizen, F&& f) const { tickets_.of_citizen(citizen.value, f); }
  template <typename F> void for_each_notification_of_employer(uint64_t employer, F&& f) const {
    notifications_.of_employer(employer, f);
  }
  template <typename F> void for_each_notification_of(Ssin citizen, F&& f) const {
    notifications_.of_citizen(citizen.value, f);
  }
  // Every citizen with a request or a notification here, each once, in no particular order.
  template <typename F> void for_each_citizen(F&& f) const {
    FlatMap<uint32_t> seen;
    auto once = [&](uint64_t c, uint32_t) { if (seen[c]++ == 0) f(Ssin{c}); };
    tickets_.by_citizen.for_each(once);
    notifications_.by_citizen.for_each(once);
  }
  size_t tickets() const { return tickets_.entries.size(); }
  size_t notifications() const { return notifications_.entries.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, CareerBreakIndex* index);

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // One kind's records: (id, employer, citizen) in fold order, chained per employer and per citizen.
  struct Chains {
    struct Entry {
      uint64_t id = 0, employer = 0, citizen = 0;
      uint32_t prev_of_employer = kNone, prev_of_citizen = kNone;
    };
    std::vector<Entry> entries;
    FlatMap<uint32_t> by_id, by_employer, by_citizen;  // key -> 1 + index (the newest, for the chains)

    // False (nothing added) when `id` is listed already or a key is 0 or reserved.
    bool add(uint64_t id, uint64_t employer, uint64_t citizen);
    template <typename F> void of_employer(uint64_t employer, F& f) const {
      walk(by_employer.find(employer), &Entry::prev_of_employer, f);
    }
    template <typename F> void of_citizen(uint64_t citizen, F& f) const {
      walk(by_citizen.find(citizen), &Entry::prev_of_citizen, f);
    }
    template <typename F> void walk(const uint32_t* head, uint32_t Entry::*prev, F& f) const {
      for (uint32_t at = head ? *head - 1 : kNone; at != kNone; at = entries[at].*prev) f(entries[at].id);
    }
  };
  Chains tickets_, notifications_;
};

}  // namespace dimona
