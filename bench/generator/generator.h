// The generator of realistic yearly Dimona declaration streams (NDJSON).
//
// Contract. generate() writes one calendar year of declarations, one Dimona
// REST v2 body per line (DESIGN.md §3: `employer`, `worker`, exactly one of
// `dimonaIn` / `dimonaUpdate` / `dimonaOut` / `dimonaCancel`, `recordedAt`),
// with `recordedAt` non-decreasing over the stream and a source `periodId` on
// every IN so that later UPDATE / OUT / CANCEL lines can refer to it. The shape
// (students, their employers and quarters, interim daily contracts, flexi,
// occasional and ordinary workers) follows DOMAIN.md §10; docs/generator.md
// gives every figure and where it comes from.
//
// With `actions` (the default) the year also holds action lines
// (docs/actions.md: attestations, data-access consent, the occupation and
// pension data behind flexi eligibility, the students' occupation quarters,
// every occupation quarter with its gross wage, employer settings,
// career-break requests and notifications), interleaved by `recordedAt`. They are planned
// after the declarations from their own random streams, so the declaration
// lines are byte for byte those of the same options without actions: drop
// the action lines and you get that stream. Creating actions carry imported
// ids (`requestId` + `token`, `ticket`, `notificationId`) from id ranges of
// the year that no period id uses (docs/generator.md).
//
// Every line is valid under the rules of DOMAIN.md §1.2 and §8 (so an ingest
// gives it A, or W 90017-369 only where a student's year really exceeds the
// quota) except a share `bad_share` of lines that each break exactly one rule
// (BadRule) or are not even a well-formed declaration (MalformedKind); the
// returned GeneratorStats counts them. Bad lines never change the fate of a
// valid one: each is refused on its own, and bad INs that break a shape rule
// are for people who have no other declaration.
//
// Determinism: the bytes depend only on the options (seed included), on every
// platform: the generator has its own PRNG (xoshiro256**, seeded per person
// with splitmix64) and its own integer distributions, and never calls
// std:: distributions or <cmath> beyond exact rounding; a share is turned
// into a fixed-point threshold once, by an exact multiplication.
//
// Memory: the whole year is planned in memory (about 36 bytes per period,
// 12 per line and 16 more per action line), sorted by recordedAt, then printed. Output goes to `sink` in
// chunks of whole lines of about generator_limits::chunk_bytes; a sink error stops the
// generator and is returned as is. Threading: generate() has no shared state;
// run several at once if you like. Limits are in generator_limits below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/action.h"
#include "engine/declaration.h"
#include "bench/generator/register_extract.h"

namespace dimona {

namespace generator_limits {
inline constexpr int32_t year_min = 2017;  // the first year of the hours quota
// Every id of every year stays below body 7 000 000 000, where the ledger's own ids start.
inline constexpr int32_t year_max = 2091;
// About 3x Belgium's working students in a year; keeps every id space far from full.
inline constexpr uint64_t students_max = 2'000'000;
// Periods of one year: the period id space of a year (docs/generator.md).
inline constexpr uint64_t periods_per_year_max = 72'000'000;
// Imported ids of one year's data-access requests, career-break tickets and notifications.
inline constexpr uint64_t requests_per_year_max = 6'000'000;
inline constexpr uint64_t tickets_per_year_max = 1'000'000;
inline constexpr uint64_t notifications_per_year_max = 1'000'000;
// Output is handed to the sink in chunks of about this many bytes.
inline constexpr size_t chunk_bytes = 1 << 20;
// No generated line is longer than this.
inline constexpr size_t line_bytes_max = 2048;
// A share of bad lines above this is not a realistic stream any more.
inline constexpr double bad_share_max = 0.5;
// Population ratios above this make no sense per student.
inline constexpr double workers_per_student_max = 10.0;
static_assert(line_bytes_max < chunk_bytes);
}  // namespace generator_limits

// DeclarationKind (kIn, kUpdate, kOut, kCancel) and kind_name() are the engine's (engine/declaration.h).
inline constexpr size_t kDeclarationKinds = 4;
static_assert(static_cast<size_t>(DeclarationKind::kCancel) + 1 == kDeclarationKinds);

// The one rule a bad declaration breaks; the ingest refuses it (result B).
enum class BadRule : uint8_t {
  kInvalidSsin,                  // IN: the worker's SSIN fails its mod 97 check
  kInvalidEnterpriseNumber,      // IN: the employer's enterprise number fails its mod 97 check
  kStudentCrossesQuarter,        // IN: STU start and end in two quarters (90373-421)
  kStudentWithoutHours,          // IN: STU without plannedHoursNumber
  kHoursOnNonStudent,            // IN: plannedHoursNumber on an OTH or FLX period
  kHoursOutOfDomain,             // IN or UPDATE: plannedHoursNumber 0 or 1000
  kStudentStartDateChanged,      // UPDATE: moves the startDate of a STU period
  kUnknownPeriod,                // UPDATE, OUT or CANCEL of a checksum-valid id never declared
  kAlreadyCancelled,             // CANCEL: a second CANCEL of a period (00913-355)
  kDuplicateIn,                  // IN: the same body as an earlier IN, its periodId included
  kOverlappingIn,                // IN: overlaps an active period of the same worker, employer, type
  kInterimWithoutUsingEmployer,  // IN: JC 322 without usingEmployer
  kUsingEmployerOutsideInterim,  // IN: usingEmployer on a JC other than 322
};
inline constexpr size_t kBadRules = 13;

// A line that is not a well-formed declaration at all.
enum class MalformedKind : uint8_t {
  kTruncated,     // the JSON stops in the middle
  kUnknownField,  // dimonaIn.plannedHours instead of plannedHoursNumber
  kWrongType,     // plannedHoursNumber as a string
};
inline constexpr size_t kMalformedKinds = 3;

std::string_view bad_rule_name(BadRule rule);              // "invalidSsin", ...
std::string_view malformed_kind_name(MalformedKind kind);  // "truncated", ...

// The action lines (docs/actions.md): the engine's own kinds, by their input key.
using ActionLine = ActionKind;
inline constexpr size_t kActionLines = kActionKindCount;

// Why the ledger refuses a bad action line (docs/actions.md's reasons). Each
// is a well-formed action refused on its own; none changes the fate of another line.
enum class BadAction : uint8_t {
  kYearNotAvailable,          // attestationRequest for Y+1 before December (or, if Y+1 has no quota yet, for Y-1)
  kTokenAlreadyUsed,          // dataAccessGrant with a token the same citizen already granted or refused
  kUnknownToken,              // dataAccessGrant with a token no request has
  kEmployeePartCompleted,     // careerBreakCancellation after the employee's part (before ONEM's decision)
  kNotificationsNotAccepted,  // careerBreakNotification to an employer whose settings refuse them
  kEmployeePartNotCompleted,  // onemDecision before the employee's part
};
inline constexpr size_t kBadActions = 6;

inline std::string_view action_line_key(ActionLine line) { return action_key(line); }  // "attestationRequest", ...
std::string_view bad_action_name(BadAction reason); // "yearNotAvailable", ...

// Every share is a probability in [0, 1]; every "per student" is the number of
// such workers per student of the year. The defaults give the shape of
// docs/generator.md (about 27 lines per student).
struct GeneratorOptions {
  int32_t year = 2025;
  uint64_t students = 1000;
  uint64_t seed = 1;
  // Share of all lines that are bad (refused, or malformed); 0 gives none.
  double bad_share = 0.01;
  // Of the bad lines, the share that are malformed rather than refused.
  double malformed_share_of_bad = 0.05;
  // Students: share of a student's employers that are interim agencies
  // (student interim: STU + JC 322 + usingEmployer), tuned to ~32 % of hours.
  double student_interim_share = 0.32;
  // Share of ordinary student employers that declare day by day (startDate = endDate).
  double day_by_day_employer_share = 0.10;
  double student_update_share = 0.30;  // UPDATE with the actual hours, after the end
  double student_cancel_share = 0.03;  // CANCEL before the start
  double student_out_share = 0.05;     // OUT between start and end (multi-day periods)
  double place_of_work_share = 0.10;   // studentPlaceOfWork on a STU IN
  // The rest of the workforce, per student.
  double interim_workers_per_student = 0.35;     // OTH, JC 322, mostly daily contracts
  double flexi_workers_per_student = 0.12;       // FLX, JC 302, with hours
  double occasional_workers_per_student = 0.04;  // EXT, horeca and agriculture, 1-2 days
  double ordinary_workers_per_student = 1.0;     // OTH, JC XXX and sectors, open or long
  // Share of employers known by their NSSO number (`employerId`) rather than
  // their enterprise number; share of interim user companies known by name and address.
  double employer_id_share = 0.15;
  double user_company_by_name_share = 0.04;
  // Share of UPDATE / OUT / CANCEL lines that repeat the period's employer.
  double employer_on_follow_up_share = 0.40;
  // Action lines (docs/actions.md); off gives exactly the declarations.
  bool actions = true;
  double attestation_share = 0.30;   // students who ask for 1-3 attestations
  double data_access_share = 0.20;   // students and flexi workers an employer asks data access of
  double career_break_share = 0.02;  // ordinary workers whose employer files a career-break request
  double career_break_notification_share = 0.01;  // ordinary workers who notify their employer
  // The clock: no line is recorded after it. The plan's follow-ups run past the
  // year (a 2025 plan ends in December 2026), and a ledger refuses a recordedAt
  // ahead of its clock, so the stream is cut there: the lines planned after it
  // are left out (lines_after_clock). Empty: the whole plan (tests, benchmarks).
  std::optional<Instant> not_after;
};

struct GeneratorStats {
  uint64_t lines = 0;  // every line: declarations, malformed lines and actions
  uint64_t bytes = 0;
  // Well-formed declarations by kind (DeclarationKind), bad ones included.
  uint64_t by_kind[kDeclarationKinds] = {};
  uint64_t bad = 0;  // sum of bad_by_rule
  uint64_t bad_by_rule[kBadRules] = {};
  uint64_t malformed = 0;  // sum of malformed_by_kind; not in by_kind
  uint64_t malformed_by_kind[kMalformedKinds] = {};
  // The valid declarations' effect on students, as a ledger would fold them
  // (cancelled periods out, the UPDATE's hours replace the IN's).
  uint64_t student_periods = 0;               // valid STU INs
  uint64_t student_hours_by_quarter[4] = {};  // by the quarter of startDate
  uint64_t student_interim_hours = 0;         // of which under JC 322
  uint64_t students_over_quota = 0;           // with more hours than the year's quota
  uint32_t quota_hours = 0;                   // the year's quota (DOMAIN.md §2.1)
  uint64_t interim_periods = 0;               // valid JC 322 INs, students included
  uint64_t interim_daily_periods = 0;         // of which startDate = endDate
  // Action lines, in `lines` and `bytes` but not in by_kind, bad or malformed.
  uint64_t actions = 0;                         // sum of actions_by_kind
  uint64_t actions_by_kind[kActionLines] = {};  // bad ones included
  uint64_t bad_actions = 0;                     // sum of bad_actions_by_reason
  uint64_t bad_actions_by_reason[kBadActions] = {};
  // Valid FLX INs whose start quarter the flexi data make not eligible
  // (DOMAIN.md §8 rule 13): the ledger accepts them with 90017-510 (W).
  uint64_t flexi_ins_not_eligible = 0;
  // Planned lines left out because they would be recorded after not_after.
  // The stream printed is a prefix (in time) of the whole plan's, so each line
  // keeps its fate; the student figures above are the whole plan's.
  uint64_t lines_after_clock = 0;
};

// Writes the year to `sink`, which is called with chunks of whole lines (each
// ending in '\n'). Returns the stats, an invalid_argument for options out of
// range (a year that has not begun by not_after included), or the sink's first error.
[[nodiscard]] Result<GeneratorStats> generate(const GeneratorOptions& options,
                                              const std::function<Status(std::string_view)>& sink);

// The employers of the stream generate() writes with these options (every
// organisation of its world, by enterprise number, with the region of its
// address), for write_register_extract (register_extract.h): `generate ...
// --kbo DIR`. The declarations do not depend on it.
[[nodiscard]] Result<std::vector<RegisterEnterprise>> register_enterprises(const GeneratorOptions& options);

}  // namespace dimona
