// Career break (seed 004): the employer's overview of its employees'
// requests and notifications, and one request's detail.
//
// Contract. career_break_overview() looks through every partition for the
// employer's requests and notifications of the last
// limits::career_break_overview_years years (by submission or receipt, up to
// `now`), filtered by the interruption's characteristics (leave kind,
// fraction, state, break dates meeting [from, to]) and by employee, newest
// first; a state filter of one kind only (SUBMITTED, RECEIVED, ...) leaves
// the other kind out. A request that left SUBMITTED (employee part
// completed, or cancelled) lists its status but not its detail for the
// employer (employer_may_consult(), seed 004); an auditor sees everything.
// career_breaks_of() is the employee's own side: every request made for the
// citizen and every notification they sent, whatever the employer and the
// state, up to `now` (no two-year window: that is the employer's overview),
// newest first, each in full (the citizen completes their part and receives
// ONEM's decision: DOMAIN §5). parse_career_break_filter() reads a filter given as text, for
// the HTTP query and the command line alike. Pure reads; canonical JSON by to_json().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/action_state.h"
#include "projections/employer_names.h"
#include "projections/projector.h"

namespace dimona {

struct CareerBreakFilter {
  uint64_t employer = 0;  // required
  std::optional<LeaveKind> leave_kind;
  std::optional<BreakFraction> fraction;
  std::optional<BreakRequestState> state;              // requests
  std::optional<NotificationState> notification_state; // notifications
  Ssin employee;       // 0: any
  std::optional<Date> from, to;  // the break meets [from, to]
};

// The filter's characteristics as given (a query's parameters, a command's options), parsed once
// for both: each empty text is no filter; each malformed one, and a `to` before `from`, is an
// issue naming its field (the employer is the caller's: a path, a token, an option).
struct CareerBreakFilterText {
  std::string_view leave_kind, fraction, status, ssin, from, to;
};
enum class CareerBreakField : unsigned char { kLeaveKind, kFraction, kStatus, kSsin, kFrom, kTo };
struct CareerBreakFilterIssue {
  CareerBreakField field;
  std::string detail;  // one line, no value echoed
};
struct CareerBreakFilterParsed {
  CareerBreakFilter filter;
  std::vector<CareerBreakFilterIssue> issues;  // in field order; empty: `filter` holds
};
CareerBreakFilterParsed parse_career_break_filter(const CareerBreakFilterText& text);

struct CareerBreakOverview {
  std::optional<Date> since;  // the two-year window's first day (the employer's overview); none: every record
  std::vector<CareerBreakRequest> requests;
  std::vector<CareerBreakNotification> notifications;
};

CareerBreakOverview career_break_overview(const Projector& projector, const CareerBreakFilter& filter, Instant now);
CareerBreakOverview career_breaks_of(const Projector& projector, Ssin citizen, Instant now);
// `auditor`: show every request's detail, whatever its state (the employee's own list: true).
void to_json(const CareerBreakOverview& overview, bool auditor, std::string* out, const EmployerNameOf& names = {});
// Why `employer` may not consult request `r` (seed 004), the actual reason
// in one sentence: another employer's request; a cancelled request; the
// employee completed their part (or ONEM decided). Empty when it may.
std::string_view consult_refusal(const CareerBreakRequest& r, uint64_t employer);
// One request in full (the employer may see it only while employer_may_consult()).
void to_json(const CareerBreakRequest& request, std::string* out, const EmployerNameOf& names = {});
void to_json(const CareerBreakNotification& notification, std::string* out, const EmployerNameOf& names = {});
// An employer's settings (seed 004: contact, sector, accepts notifications).
void to_json(const EmployerSettings& settings, std::string* out, const EmployerNameOf& names = {});

}  // namespace dimona
