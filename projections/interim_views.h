// Interim relations (seed 002, Interim@work): an interim worker's JC 322
// periods, grouped into work relations.
//
// Contract. interim_relations() reads the periods of the shared fold
// (LedgerState) of one worker and returns, for the window and filters given,
// the relations: periods of one (agency, user company) whose days follow
// each other with gaps of at most filter.relation_gap_days days without a
// contract (default limits::interim_relation_gap_days = 3: daily contracts
// around a weekend or a long weekend stay one relation; DOMAIN.md rule 14 —
// the gap is an inference, hence a parameter).
// The window defaults to the previous, current and next calendar year of
// `reference` (seed 002). A period meets the filters when its dates meet
// [from, to] and its worker type, agency and user company are the ones
// asked (0 / kUnknown: any). A user company given by name (declaration.h,
// named_user_company_key) is shown as "by name and address" with the name
// it was declared with as userCompanyName; one given by number has the
// employer register's name, as the agency. Cancelled periods are listed, marked, and
// counted in no relation's days; each period carries the anomaly codes of
// its declarations, so a worker sees whether it was declared and accepted
// cleanly.
//
// interim_calendar() is the same relations as a calendar: it selects through
// interim_relations() (same filter struct, same selection: a period is in the
// calendar only if it is in the list) and gives, per (agency, user company)
// — all the runs of that pair together — the days worked as the student
// calendar's day bitmap (CalendarRow), one per year that has any. Days are
// clipped to the filter's [from, to], so a period across 31 December / 1
// January falls in two years and a period straddling the window shows only
// its days inside it. Cancelled periods are not days worked: the list shows
// them marked "cancelled", the calendar not at all, and a pair whose periods
// in the window are all cancelled has no calendar row. A day is counted once
// per pair however many periods cover it; the days worked in two or more
// pairs on the same day are given per year as `overlaps` (relations_on()
// gives the count of any day). Pure; canonical JSON by to_json().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/limits.h"
#include "engine/ledger_state.h"
#include "projections/employer_names.h"
#include "projections/anomaly_log.h"
#include "projections/student_views.h"

namespace dimona {

struct InterimFilter {
  Date from;  // inclusive
  Date to;    // inclusive
  WorkerType worker_type = WorkerType::kUnknown;  // kUnknown: any
  uint64_t agency = 0;                            // employer key; 0: any
  uint64_t user_company = 0;                      // enterprise number or a named company's key; 0: any
  int32_t relation_gap_days = limits::interim_relation_gap_days;  // >= 0: days without a contract still joined
};

// The default window: 1 January of the previous year to 31 December of the next.
InterimFilter interim_window(Date reference);

// The filter's fields as text, from the command line's options or the API's query; an empty one
// keeps the default (interim_window's dates, any type, agency or user company).
struct InterimFilterText {
  std::string_view from, to, worker_type, agency, user_company;
};
enum class InterimField : unsigned char { kFrom, kTo, kWorkerType, kAgency, kUserCompany };
struct InterimFilterIssue {
  InterimField field;
  std::string detail;  // one line, no value echoed
};
// The name a relation's user company is shown with: the name it was first declared with when it
// was given by name and address, else the register's name of its number; nothing when neither.
std::optional<std::string> user_company_name_of(uint64_t user_company, std::string_view declared_name,
                                                const EmployerNameOf& names);

// The one parser of a filter, for the CLI and the API: dates YYYY-MM-DD (to not before from), a
// Dimona worker type, an agency's enterprise number, a user company's number or the name it was
// declared with (parse_user_company). Every field's refusal, or the filter.
struct InterimFilterParsed {
  InterimFilter filter;
  std::vector<InterimFilterIssue> issues;  // empty: `filter` holds
};
InterimFilterParsed parse_interim_filter(const InterimFilterText& text, Date reference);

struct InterimPeriod {
  PeriodId id;
  Date start;
  Date end;
  WorkerType worker_type = WorkerType::kUnknown;
  bool cancelled = false;
  // Codes of the declarations about this period that were refused or warned
  // (an accepted IN with 90373-460, a refused UPDATE, ...), in ledger order.
  std::vector<uint32_t> anomalies;
};

struct InterimRelation {
  uint64_t agency = 0;
  uint64_t user_company = 0;
  std::string user_company_name;  // a user company given by name: that name (LedgerState::user_company_name)
  Date first;                     // the first and last declared day inside the filter's window
  Date last;
  uint32_t days = 0;                   // declared days inside the window (cancelled periods excluded)
  std::vector<InterimPeriod> periods;  // by start date
};

// Sorted by first day, then agency, then user company. `anomalies` (the
// partition's AnomalyLog, may be null) annotates each period with the
// anomalies of its declarations.
std::vector<InterimRelation> interim_relations(const LedgerState& state, Ssin worker, const InterimFilter& filter,
                                               const AnomalyLog* anomalies = nullptr);

void to_json(Ssin worker, const std::vector<InterimRelation>& relations, std::string* out,
             const EmployerNameOf& names = {});

// One year of a calendar row: the student calendar's bitmap (bit d: day d of
// `year`, 0 = 1 January). Its employer is the agency, its worker type the
// filter's (kUnknown: any).
struct InterimCalendarYear {
  int32_t year = 0;
  CalendarRow days;
};

struct InterimCalendarRow {
  uint64_t agency = 0;
  uint64_t user_company = 0;
  std::string user_company_name;           // as InterimRelation's
  uint32_t days = 0;                       // distinct days worked in the window
  std::vector<InterimCalendarYear> years;  // the years with a day worked, ascending
  bool worked(Date day) const;
};

struct InterimCalendar {
  Ssin worker;
  Date from;  // the filter's window, inclusive
  Date to;
  std::vector<InterimCalendarRow> rows;        // sorted by agency, then user company
  std::vector<InterimCalendarYear> overlaps;   // days worked in two or more rows, per year
  std::vector<int32_t> years() const;          // the years of the window, ascending
  uint32_t relations_on(Date day) const;       // the rows with `day` worked
};

InterimCalendar interim_calendar(const LedgerState& state, Ssin worker, const InterimFilter& filter);

// {"ssin","from","to","years":[..],"items":[{"agency","userCompany","days",
// "years":[{"year","days":[[from,to],..]}]}],"overlaps":[{"year","days":[..]}],
// "total"}: runs of consecutive days as [from, to], as the student calendar.
void to_json(const InterimCalendar& calendar, std::string* out, const EmployerNameOf& names = {});

}  // namespace dimona
