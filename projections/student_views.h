// Student read models: the yearly balance with its explanation, and the
// calendar of declared days — both computed from the periods of the shared
// fold (LedgerState), never from a second copy of the rules.
//
// Contract. student_balance() answers for one (citizen, year), as seed 001's
// detailed view shows it:
//   - the year's quota as the ledger knows it on `reference` (the schedule's
//     figure defined by the end of that day, LedgerState::quota: a
//     retroactive change, 2025: 475 h then 650 h, changes every 2025 balance
//     at once: the quota is read, not stored in the balance);
//   - per period and per employer the planned hours, the hours worked and the
//     hours still to work on `reference` (planned hours spread evenly over the
//     period's days: the ledger has no DmfA, so "worked" is the share of the
//     period already past — an inference, DOMAIN.md §2.2);
//   - remaining = max(0, quota − used) and the hours beyond the quota
//     derived now (rules 8 and 10): the hours past hour quota+1 of the
//     periods active now, taken in processing order (Period::processed: the
//     order of the last IN or UPDATE that set each one's hours, as the
//     decision counted them), under the quota in force now — so exceeding =
//     max(0, used − quota) after any cancel, update, OUT or quota change.
//     The figure 90017-369 reported when the period was decided stays beside
//     it (exceeding_decided; also on the declaration's record and in the
//     anomalies), and each period's explanation says which applies.
// Periods count for the year of their start date (rule 1); only STU periods
// count; cancelled ones are listed with 0 h (rule 4). student_calendar()
// gives, per employer and worker type, the year's declared days as a bitmap,
// for every kind of period. Both are pure functions of their inputs.
// to_json() writes canonical JSON (fixed key order, sorted lists), so an
// export is byte-identical across replays.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/ledger_state.h"
#include "projections/employer_names.h"

namespace dimona {

struct PeriodContribution {
  PeriodId period;
  uint64_t employer = 0;
  Date start;
  Date end;
  uint32_t planned = 0;  // 0 when cancelled
  uint32_t worked = 0;
  uint32_t still_to_work = 0;
  uint32_t exceeding = 0;           // hours beyond the quota now (see the contract)
  uint32_t exceeding_decided = 0;   // as 90017-369 reported it when decided
  bool cancelled = false;
  bool late = false;
  std::string rule;  // the rule of DOMAIN.md §8 behind the figure, and which figure applies
};

struct EmployerHours {
  uint64_t employer = 0;
  uint32_t planned = 0;
  uint32_t worked = 0;
  uint32_t still_to_work = 0;
};

struct StudentBalance {
  Ssin student;
  int32_t year = 0;
  std::optional<uint32_t> quota;  // none before 2017 (days, not hours)
  uint32_t used = 0;              // Σ planned hours of active STU periods
  uint32_t remaining = 0;         // max(0, quota − used)
  uint32_t exceeding = 0;         // Σ hours beyond the quota now = max(0, used − quota)
  std::vector<EmployerHours> employers;       // sorted by employer
  std::vector<PeriodContribution> periods;    // sorted by start, then period id
};

StudentBalance student_balance(const LedgerState& state, Ssin student, int32_t year, Date reference);

// The two axes of an audit as the student views see them (docs/audit.md):
// the state folded is the ledger's at some instant (asOf: the Projector's);
// `known_at` is that instant, for the quota the ledger knew then (nullopt: the
// figure defined by the end of `on`, as above); `on` is the day hours count
// as worked by; with `started_by_on` (validOn) only the periods started by
// `on` count, and a calendar shows no day after it.
struct ViewAxes {
  Date on;
  std::optional<Instant> known_at;
  bool started_by_on = false;
};
StudentBalance student_balance(const LedgerState& state, Ssin student, int32_t year, const ViewAxes& axes);
// The axes of a read made at `now` (the asOf instant when `in_past`, else the
// present) with an optional validOn day: hours by validOn (periods started by
// then) or by now's day; the quota known at now when either axis is given.
ViewAxes axes_at(Instant now, bool in_past, std::optional<Date> valid_on);

struct CalendarRow {
  uint64_t employer = 0;
  WorkerType worker_type = WorkerType::kUnknown;
  std::array<uint64_t, 6> days{};  // bit d: day d of the year (0 = 1 January)
  uint32_t day_count() const;
  bool has(int day_of_year) const { return days[static_cast<size_t>(day_of_year) / 64] >> (day_of_year % 64) & 1; }
};

struct StudentCalendar {
  Ssin citizen;
  int32_t year = 0;
  std::vector<CalendarRow> rows;  // sorted by employer, then worker type
};

StudentCalendar student_calendar(const LedgerState& state, Ssin citizen, int32_t year,
                                 std::optional<Date> valid_on = std::nullopt);

// Years in which the citizen has a period starting (sorted).
std::vector<int32_t> years_of(const LedgerState& state, Ssin citizen);

class JsonWriter;

// An employer or user company key as a JSON string: its 10-digit enterprise
// number, "nsso:N" for an NSSO number, or "by name and address" for a user
// company known only by name. Shared by every view's JSON.
void write_company(JsonWriter& w, uint64_t key);

// Canonical JSON (one object, no newline). Employers print as their
// 10-digit enterprise number, or "nsso:N" for an NSSO number.
void to_json(const StudentBalance& balance, std::string* out, const EmployerNameOf& names = {});
void to_json(const StudentCalendar& calendar, std::string* out, const EmployerNameOf& names = {});

}  // namespace dimona
