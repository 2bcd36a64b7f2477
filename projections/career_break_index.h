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
#include "projections/id_chains.h"
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
  template <typename F>
  void for_each_ticket_of_employer(uint64_t employer, F&& f) const {
    tickets_.of<kEmployer>(employer, f);
  }
  template <typename F>
  void for_each_ticket_of(Ssin citizen, F&& f) const {
    tickets_.of<kCitizen>(citizen.value, f);
  }
  template <typename F> void for_each_notification_of_employer(uint64_t employer, F&& f) const {
    notifications_.of<kEmployer>(employer, f);
  }
  template <typename F> void for_each_notification_of(Ssin citizen, F&& f) const {
    notifications_.of<kCitizen>(citizen.value, f);
  }
  // Every citizen with a request or a notification here, each once, in no particular order.
  template <typename F> void for_each_citizen(F&& f) const {
    FlatMap<uint32_t> seen;
    auto once = [&](uint64_t c) {
      if (seen[c]++ == 0) f(Ssin{c});
    };
    tickets_.for_each_key<kCitizen>(once);
    notifications_.for_each_key<kCitizen>(once);
  }
  size_t tickets() const { return tickets_.size(); }
  size_t notifications() const { return notifications_.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, CareerBreakIndex* index);

 private:
  // One kind's records: ids listed under their employer and their citizen.
  static constexpr size_t kEmployer = 0, kCitizen = 1;
  IdChains<2> tickets_, notifications_;
};

}  // namespace dimona
