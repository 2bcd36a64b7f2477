// LedgerState: the fold of the log that decisions need — periods by id, each
// worker's periods in date order, active student hours per (worker, year),
// the highest ids used, and, as reference data beside the fold, the quota
// schedule (quota_schedule.h) shared by every partition.
//
// Contract. apply(event) is the only way the state changes; it is pure (no
// I/O, no clock) and deterministic, so folding the same events gives the same
// state, and the decision side and the read models share this one fold
// (DESIGN.md §2). Only results A and W change periods (rule 9: B has no
// effect, S waits for the worker's identification). apply() returns
// kCorruption when the log contradicts itself (an accepted UPDATE of a period
// it never created) and asserts its own invariants (hours within 1..999,
// student hours never negative). Reads are const and cheap. Not thread-safe:
// one state per writer or per partition fold.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/action_state.h"
#include "engine/base/chunked_vector.h"
#include "engine/base/flat_map.h"
#include "engine/base/key_filter.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/quota_schedule.h"

namespace dimona {

// The user company of an interim period (Period::user_company): its enterprise number, or the
// key of its name when it was given by name and address (named_user_company_key, declaration.h).

struct Period {
  PeriodId id;
  Ssin worker;
  uint64_t employer = 0;
  uint64_t user_company = 0;  // 0 unless JC 322
  Date start;
  Date end{kOpenEndDays};
  uint16_t planned_hours = 0;  // STU, O17, S17 only
  JointCommission joint_commission = kJointCommissionOther;
  WorkerType worker_type = WorkerType::kUnknown;
  bool cancelled = false;
  bool late = false;
  uint16_t exceeding_hours = 0;   // as decided by the last IN or UPDATE (90017-369)
  uint8_t updates = 0;            // accepted UPDATEs and OUTs (saturating), for explanations
  DeclarationKind last_change = DeclarationKind::kIn;
  // Its place in ONSS processing order (rule 8): the order, within its state, of the last IN or
  // UPDATE that set its hours. An UPDATE is decided against every other period (its hours come
  // last), so the hours beyond the quota are allocated in this order, not the order of creation.
  uint32_t processed = 0;

  // False for a worker without SSIN (result S, waiting for SIGeDIS's identification): the period
  // is held under worker 0, meets no other and is charged to no one (DOMAIN rule 9).
  bool identified() const { return worker.value != 0; }
  bool counts_for_student_quota() const { return worker_type == WorkerType::kSTU && !cancelled && identified(); }
  // The last day the period covers: its end; for a flexi-job whose end is not known (an IN
  // without an end date), the last day of its start's quarter: a FLX Dimona is declared per
  // quarter (DOMAIN §3, rule 13), so it never runs into the next one. The overlap check and the
  // calendars read this; `end` stays what was declared.
  Date last_day() const;
};

struct QuotaDefinition {
  int32_t year = 0;
  uint32_t hours = 0;
  Date effective_from;
  Instant recorded_at;
};

// The ledger's own 12-digit ids (declarations, and periods not imported)
// have bodies from here up; imported ids stay below.
inline constexpr uint64_t kLedgerIdBodyFirst = 7'000'000'000;

class LedgerState {
 public:
  LedgerState() = default;
  LedgerState(const LedgerState&) = delete;
  LedgerState& operator=(const LedgerState&) = delete;

  [[nodiscard]] Status apply(const Event& event);

  const Period* period(PeriodId id) const;
  // period(), for an id most likely held elsewhere (a look-up across partitions): a filter of
  // the ids answers most absent ones with one word read, without the map's probe run.
  const Period* probe_period(PeriodId id) const {
    return period_filter_.might_contain(id.value) ? period(id) : nullptr;
  }
  // Σ planned hours of the worker's active STU periods starting in `year`.
  uint32_t student_hours(Ssin worker, int32_t year) const;
  // The reference data the fold reads beside the events: the quota schedule
  // every partition shares. Without one (a state folded for inspection), the
  // quota comes from the StudentQuotaDefined events a log written before
  // issue 11 holds.
  void set_quota_schedule(std::shared_ptr<const QuotaSchedule> schedule) { quota_schedule_ = std::move(schedule); }
  // The quota of `year` known at `at` (quota_at; without a schedule, the
  // latest definition folded with recordedAt at or before `at`).
  std::optional<uint32_t> quota(int32_t year, Instant at) const;
  const std::vector<QuotaDefinition>& quota_definitions() const { return quota_definitions_; }
  // An active period of the same worker, employer, worker type and user
  // company whose dates meet [start, end]; `ignore` is skipped (an UPDATE's
  // own period). *duplicate tells whether it is identical in every feature.
  const Period* find_overlap(const Period& candidate, PeriodId ignore, bool* duplicate) const;

  // The next free body for a ledger-assigned id (declaration or period).
  uint64_t next_id_body() const { return next_id_body_; }
  Instant last_recorded_at() const { return last_recorded_at_; }
  uint64_t events_applied() const { return events_applied_; }
  size_t period_count() const { return periods_.size(); }
  // The fold of the action events: attestations, consent, flexi data, career break.
  const ActionState& actions() const { return actions_; }
  // The name an interim user company given by name was first declared with (Period::user_company
  // a named_user_company_key); empty for any other key.
  std::string_view user_company_name(uint64_t key) const;

  // Every period of `worker`, cancelled ones included, in the order the log created them.
  template <typename F>
  void for_each_period_of(Ssin worker, F&& f) const {
    const uint32_t* w = worker_index_.find(worker.value);
    if (!w) return;
    for (uint32_t i : workers_[*w - 1].all) f(periods_[i]);
  }
  // Every period, cancelled ones included, in the order the log created them.
  template <typename F>
  void for_each_period(F&& f) const {
    for (size_t i = 0; i < periods_.size(); ++i) f(periods_[i]);
  }
  // Every worker with at least one period, in no particular order.
  template <typename F>
  void for_each_worker(F&& f) const {
    worker_index_.for_each([&f](uint64_t ssin, uint32_t) { f(Ssin{ssin}); });
  }

  // The state as bytes (a checkpoint), and back. load() rebuilds the indexes
  // and checks what it reads: kCorruption on anything inconsistent.
  void save(std::string* out) const;
  [[nodiscard]] static Status load(std::string_view bytes, LedgerState* state);
  // One part of a merge: a state, or a state's bytes (save(); a checkpoint's).
  struct Part {
    const LedgerState* state = nullptr;
    std::string_view bytes;  // when state is null
  };
  // Into the empty `into`, the union of `parts`, states each folded from one
  // partition's events alone (the Projector's): for every decision, the
  // state one fold of all their events gives (Ledger::open from a seed). Each
  // part goes through save() and load()'s checks; kCorruption when two parts
  // hold the same period or record (partitions hold disjoint ones), or when
  // bytes are not a state's.
  [[nodiscard]] static Status merge(std::span<const Part> parts, LedgerState* into);
  // What a state's bytes say of it without loading them: kCorruption when they are not a state's.
  struct Summary {
    uint64_t events_applied = 0;
    Instant last_recorded_at;
  };
  [[nodiscard]] static Result<Summary> summary_of(std::string_view bytes);
  Summary summary() const { return Summary{events_applied_, last_recorded_at_}; }

 private:
  // A worker's active periods, for the overlap check, in lanes of one
  // (employer, worker type, user company): within a lane accepted periods
  // never overlap (decide() refuses it), so sorted by start their ends are
  // sorted too and one binary search finds an overlap. Cancelled periods
  // leave their lane.
  struct Lane {
    uint64_t employer = 0;
    uint64_t user_company = 0;
    WorkerType worker_type = WorkerType::kUnknown;
    // Sorted by start; the dates are kept here so the search stays in this
    // lane's memory and touches periods_ only for the period it finds.
    struct Entry {
      int32_t start;
      int32_t end;
      uint32_t index;  // into periods_
    };
    std::vector<Entry> by_start;
  };
  struct WorkerPeriods {
    std::vector<Lane> lanes;
    std::vector<uint32_t> all;  // every period of the worker, cancelled ones included, in creation order
  };

  Status apply_declaration(const Event& event);
  Status apply_action(const Event& event);
  void apply_quota(const Event& event);
  void add_quota_definition(const QuotaDefinition& q);  // once, in recordedAt order
  [[nodiscard]] static Status load_into(std::string_view bytes, LedgerState* state, bool merge);
  // Both add a period and answer true; false, nothing added, when its id is taken.
  [[nodiscard]] bool create_period(const Event& event);
  [[nodiscard]] bool restore_period(const Period& p);
  Status change_period(const Event& event);
  void note_id(uint64_t id);
  void index_period(WorkerPeriods& w, uint32_t index);
  void unindex_period(WorkerPeriods& w, uint32_t index);
  static const Lane* lane_of(const WorkerPeriods& w, const Period& p);
  void add_student_hours(const Period& p, int64_t delta);
  static uint64_t hours_key(Ssin worker, int32_t year);

  ChunkedVector<Period> periods_;
  FlatMap<uint32_t> period_index_;        // period id -> index in periods_
  KeyFilter period_filter_;               // the ids in period_index_ (probe_period)
  FlatMap<uint32_t> worker_index_;        // ssin -> index in workers_
  std::vector<WorkerPeriods> workers_;
  FlatMap<uint32_t> student_hours_;       // hours_key -> Σ active STU hours
  std::vector<QuotaDefinition> quota_definitions_;  // from a log written before issue 11 (see quota())
  std::shared_ptr<const QuotaSchedule> quota_schedule_;
  ActionState actions_;
  std::unordered_map<uint64_t, std::string> user_company_names_;  // named_user_company_key -> the name
  uint64_t next_id_body_ = kLedgerIdBodyFirst;
  Instant last_recorded_at_;
  uint64_t events_applied_ = 0;
  uint32_t next_processed_ = 0;  // Period::processed of the next IN or UPDATE
};

}  // namespace dimona
