#include "bench/generator/generator.h"

#include "bench/generator/register_extract.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"

namespace dimona {
namespace {

// ----------------------------------------------------------------------------
// Randomness: our own generator and integer distributions, so the bytes are
// the same on every platform and standard library.

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t state = a ^ (b * 0xd1342543de82ef95ULL);
  return splitmix64(state);
}

// A probability as a threshold over 32 random bits, in [0, 2^32].
struct Share {
  uint64_t threshold = 0;
};
constexpr Share per_mille(uint32_t p) { return Share{(uint64_t{p} << 32) / 1000}; }
// Exact: a multiplication by a power of two, then a truncation.
Share share_of(double p) { return Share{static_cast<uint64_t>(p * 4294967296.0)}; }

class Rng {  // xoshiro256**
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = splitmix64(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), n < 2^32 (multiply-shift; the bias is below 2^-32 * n).
  uint32_t below(uint64_t n) {
    DIMONA_ASSERT(n > 0 && n <= UINT32_MAX);
    return static_cast<uint32_t>(((next() >> 32) * n) >> 32);
  }
  int32_t between(int32_t low, int32_t high) {  // inclusive
    DIMONA_ASSERT(low <= high);
    return low + static_cast<int32_t>(below(static_cast<uint64_t>(high - low) + 1));
  }
  bool chance(Share share) { return (next() >> 32) < share.threshold; }
  // Skewed towards 0: P(result < k) = (k / n)^(1 / power). Few big employers, many small.
  uint32_t skewed(uint32_t n, int power) {
    uint64_t u = next() >> 32;
    const uint64_t first = u;
    for (int i = 1; i < power; ++i) u = (u * first) >> 32;
    return static_cast<uint32_t>((u * n) >> 32);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A histogram: weight, then the inclusive range drawn uniformly inside the bucket.
struct Bucket {
  uint32_t weight;
  int32_t low;
  int32_t high;
};

int32_t draw(Rng& rng, std::span<const Bucket> buckets) {
  uint32_t total = 0;
  for (const Bucket& b : buckets) total += b.weight;
  uint32_t r = rng.below(total);
  for (const Bucket& b : buckets) {
    if (r < b.weight) return rng.between(b.low, b.high);
    r -= b.weight;
  }
  DIMONA_ASSERT(false);
  return buckets.back().low;
}

// ----------------------------------------------------------------------------
// The shape of the year (docs/generator.md says where each figure comes from).

// Hours a student works in the year: mean ~175 planned, ~170 after updates
// and cancels (DOMAIN.md §10: 171 h in 2017); ~1.5 % above 650 h.
constexpr Bucket kStudentYearHours[] = {
    {115, 1, 20},    {175, 21, 60},  {195, 61, 120}, {185, 121, 200}, {135, 201, 300},
    {110, 301, 450}, {58, 451, 600}, {11, 601, 650}, {13, 651, 800},  {3, 801, 1100},
};
// Employers per student: 1.5 on average (DOMAIN.md §10: 778 281 jobs for 522 765 students).
constexpr Bucket kEmployersPerStudent[] = {{60, 1, 1}, {28, 2, 2}, {12, 3, 3}};

// How a student's hours spread over the four quarters, in percent; summer
// dominates (DOMAIN.md §10: 62.7 % of student days in summer, Q3 always the
// largest quarter), and students with many hours work all year more often.
struct QuarterPattern {
  uint32_t weight;
  int32_t percent[4];
};
constexpr QuarterPattern kLightPatterns[] = {
    {50, {0, 0, 100, 0}}, {10, {0, 25, 75, 0}}, {10, {0, 0, 70, 30}}, {8, {0, 20, 55, 25}}, {6, {15, 20, 45, 20}},
    {5, {50, 50, 0, 0}},  {5, {0, 0, 0, 100}},  {3, {0, 100, 0, 0}},  {3, {100, 0, 0, 0}},
};
constexpr QuarterPattern kHeavyPatterns[] = {
    {10, {0, 0, 100, 0}},  {10, {0, 25, 75, 0}},   {10, {0, 0, 70, 30}},
    {15, {0, 25, 50, 25}}, {50, {20, 22, 36, 22}}, {5, {33, 34, 0, 33}},
};
constexpr int32_t kHeavyStudentHours = 300;

// Days between the declaration of an IN and its start.
constexpr Bucket kPlannedLeadDays[] = {{10, 0, 0}, {40, 1, 3}, {30, 4, 10}, {20, 11, 20}};
constexpr Bucket kDailyLeadDays[] = {{45, 0, 0}, {45, 1, 1}, {10, 2, 5}};
constexpr Bucket kWeeklyLeadDays[] = {{30, 1, 2}, {70, 3, 7}};

// Contracts of a non-student interim worker in the year: mean ~33.
constexpr Bucket kInterimContracts[] = {{30, 1, 5}, {30, 6, 20}, {25, 21, 60}, {12, 61, 150}, {3, 151, 230}};
// Days between two interim contracts of one worker.
constexpr Bucket kInterimGapDays[] = {{65, 0, 0}, {25, 1, 3}, {10, 4, 20}};
// Days a flexi worker works in the year: mean ~23.
constexpr Bucket kFlexiDays[] = {{30, 1, 5}, {35, 6, 20}, {25, 21, 50}, {10, 51, 120}};
// Periods of an occasional (EXT) worker: mean ~6.
constexpr Bucket kOccasionalPeriods[] = {{50, 1, 4}, {35, 5, 10}, {15, 11, 16}};

// Flexi shifts: start and end as minutes of the day.
struct Shift {
  int32_t start;
  int32_t end;
};
constexpr Shift kFlexiShifts[] = {
    {11 * 60, 14 * 60 + 30}, {18 * 60, 23 * 60}, {17 * 60, 22 * 60}, {8 * 60, 16 * 60}, {12 * 60, 20 * 60}};

enum class Sector : uint8_t { kOther, kHoreca, kAgriculture, kHorticulture, kConstruction, kTransport, kElectricians };
// Joint committee of each sector; all are in zone 00046's list, none is 322.
constexpr std::string_view kSectorJointCommission[] = {"XXX", "302", "144", "145", "124", "140", "149"};
constexpr Bucket kEmployerSectors[] = {{640, 0, 0}, {200, 1, 1}, {20, 2, 2}, {20, 3, 3},
                                       {60, 4, 4},  {50, 5, 5},  {10, 6, 6}};
constexpr Bucket kUserCompanySectors[] = {{570, 0, 0}, {100, 1, 1}, {20, 2, 2}, {10, 3, 3}, {150, 4, 4}, {150, 5, 5}};

// Employers: 59 806 for 522 765 students (DOMAIN.md §10).
constexpr uint64_t kEmployersPerStudentsNum = 59'806;
constexpr uint64_t kEmployersPerStudentsDen = 522'765;
constexpr uint64_t kStudentsPerAgency = 3'500;
constexpr uint64_t kStudentsPerUserCompany = 25;

// Fates of periods, fixed (not worth an option).
constexpr Share kInterimStudentDaily = per_mille(600);
constexpr Share kInterimCancel = per_mille(15);
constexpr Share kInterimWeeklyWorker = per_mille(150);
constexpr Share kInterimOut = per_mille(80);
constexpr Share kInterimSecondAgency = per_mille(100);
constexpr Share kFlexiFrames = per_mille(200);
constexpr Share kFlexiCancel = per_mille(20);
constexpr Share kFlexiLonger = per_mille(80);
constexpr Share kFlexiOut = per_mille(200);
constexpr Share kOccasionalCancel = per_mille(20);
constexpr Share kOrdinaryOpen = per_mille(550);
constexpr Share kOrdinaryOut = per_mille(200);
constexpr Share kOrdinaryRenewal = per_mille(250);
constexpr Share kOrdinaryExtension = per_mille(100);
constexpr Share kStudentReplaced = per_mille(500);
constexpr Share kUpdateRepeatsStart = per_mille(150);
constexpr Share kUpdateMovesEnd = per_mille(150);
constexpr Share kBisNumber = per_mille(40);

// Addresses: NIS code, postcode, name (Statbel).
struct Municipality {
  int32_t nis_code;
  std::string_view post_code;
  std::string_view name;
};
constexpr Municipality kMunicipalities[] = {
    {21004, "1000", "Bruxelles"}, {11002, "2000", "Antwerpen"}, {44021, "9000", "Gent"},
    {62063, "4000", "Liège"},     {52011, "6000", "Charleroi"}, {24062, "3000", "Leuven"},
    {31005, "8000", "Brugge"},    {92094, "5000", "Namur"},     {71022, "3500", "Hasselt"},
    {12025, "2800", "Mechelen"},  {35013, "8400", "Oostende"},  {53053, "7000", "Mons"},
    {34022, "8500", "Kortrijk"},  {41002, "9300", "Aalst"},     {25121, "1340", "Ottignies-Louvain-la-Neuve"},
    {81001, "6700", "Arlon"},
};
constexpr std::string_view kStreets[] = {"Rue Neuve",   "Kerkstraat",          "Stationsstraat", "Rue du Marché",
                                         "Grote Markt", "Chaussée de Louvain", "Nieuwstraat",    "Place Saint-Lambert"};
constexpr std::string_view kNames[] = {"Brasserie Peeters", "Bakkerij Willems",   "Garage Maes", "Magasin Lambert",
                                       "Atelier Jacobs",    "Drukkerij Goossens", "Ets Dubois",  "Transport Claes"};
constexpr int32_t kBelgiumCountryCode = 150;

constexpr uint32_t kNone = UINT32_MAX;
constexpr int16_t kOpenDay = INT16_MAX;
constexpr int16_t kNoDay = INT16_MIN;
constexpr uint16_t kNoHour = UINT16_MAX;
constexpr int32_t kSecondsPerDay = 86'400;
constexpr int32_t kHour = 3'600;
constexpr int32_t kLastMinute = 23 * 60 + 59;  // 2359, the last endHour of a day
// The plan's day 0 is this many days before 1 January, so INs of early
// January periods fit; dates run to well into the year after next.
constexpr int32_t kLeadInDays = 45;
constexpr int32_t kDayTableDays = 1'200;
constexpr int kSlotsMax = 3;
constexpr uint16_t kQuarterPeriodHoursMax = 999;
constexpr int32_t kHoursPerDayMax = 10;

// Ids (12 digits: a 10-digit body, then the body mod 97). Year Y owns the
// bodies [base(Y), base(Y) + kYearBodyStride): its period ids first, then the
// ids its actions import (data-access requests, career-break tickets, then
// notifications). Every year's block lies below the ledger's own ids; ids
// never declared (the unknown-period lines) come from the top range.
constexpr uint64_t kPeriodBodyBase = 1'000'000'000;
constexpr uint64_t kYearBodyStride = 80'000'000;
constexpr uint64_t kRequestBodyOffset = generator_limits::periods_per_year_max;
constexpr uint64_t kTicketBodyOffset = kRequestBodyOffset + generator_limits::requests_per_year_max;
constexpr uint64_t kNotificationBodyOffset = kTicketBodyOffset + generator_limits::tickets_per_year_max;
static_assert(kNotificationBodyOffset + generator_limits::notifications_per_year_max == kYearBodyStride);
constexpr uint64_t kLedgerOwnIdBodyFirst = 7'000'000'000;  // engine/ledger_state.h: kLedgerIdBodyFirst
constexpr uint64_t kUnknownPeriodBodyBase = 9'000'000'000;
static_assert(kPeriodBodyBase + (generator_limits::year_max - generator_limits::year_min + 1) * kYearBodyStride <=
              kLedgerOwnIdBodyFirst);
static_assert(kLedgerOwnIdBodyFirst <= kUnknownPeriodBodyBase);

// Identifier spaces (bijections index -> slot; the steps are coprime with the sizes).
constexpr uint64_t kEnterpriseBodyFirst = 2'000'000;
constexpr uint64_t kEnterpriseBodies = 17'000'000;
constexpr uint64_t kNssoRadixFirst = 1'000'000;
constexpr uint64_t kNssoRadixes = 999'999;
constexpr uint64_t kSsinCounters = 998;             // 001..998
constexpr uint64_t kSpreadStep = 2'654'435'761ULL;  // Knuth's multiplicative constant
static_assert(std::gcd(kSpreadStep, kEnterpriseBodies) == 1 && std::gcd(kSpreadStep, kNssoRadixes) == 1);

// ----------------------------------------------------------------------------
// The plan: compact periods and events, sorted by time, then printed.

enum class Profile : uint8_t { kStudent, kStudentInterim, kInterim, kFlexi, kOccasional, kOrdinary };

bool is_student(Profile p) { return p == Profile::kStudent || p == Profile::kStudentInterim; }
bool is_interim(Profile p) { return p == Profile::kStudentInterim || p == Profile::kInterim; }
std::string_view worker_type(Profile p) {
  switch (p) {
    case Profile::kStudent:
    case Profile::kStudentInterim: return "STU";
    case Profile::kFlexi: return "FLX";
    case Profile::kOccasional: return "EXT";
    case Profile::kInterim:
    case Profile::kOrdinary: return "OTH";
  }
  return "OTH";
}

enum PeriodFlag : uint8_t {
  kHasHours = 1 << 0,     // plannedHoursNumber on the IN
  kPlaceOfWork = 1 << 1,  // studentPlaceOfWork on the IN
  kCancelled = 1 << 2,    // a valid CANCEL follows
  kHasOut = 1 << 3,       // a valid OUT to changed_end follows
  kUpdateEnd = 1 << 4,    // the valid UPDATE carries endDate = changed_end
  kRepeatStart = 1 << 5,  // the valid UPDATE repeats the unchanged startDate
  kBadCopy = 1 << 6,      // a period that only a bad line declares
};

struct Period {
  uint32_t worker;
  uint32_t employer;          // organisation index
  uint32_t user_company;      // organisation index, kNone outside JC 322
  uint32_t in_time;           // when its IN is recorded
  int16_t start;              // plan days
  int16_t end;                // kOpenDay when open
  int16_t changed_end;        // OUT or UPDATE endDate, kNoDay when none
  uint16_t hours;             // plannedHoursNumber when kHasHours
  uint16_t changed_hours;     // UPDATE plannedHoursNumber, 0 when none
  uint16_t start_hour;        // HHMM, kNoHour when none
  uint16_t end_hour;          // HHMM, kNoHour when none
  uint16_t changed_end_hour;  // UPDATE endHour, kNoHour when none
  Profile profile;
  uint8_t flags;
};
static_assert(sizeof(Period) == 36);

constexpr uint8_t kValid = 0;
constexpr uint8_t kMalformedFlaw = 64;
uint8_t flaw_of(BadRule rule) { return static_cast<uint8_t>(1 + static_cast<int>(rule)); }
uint8_t flaw_of(MalformedKind kind) { return static_cast<uint8_t>(kMalformedFlaw + static_cast<int>(kind)); }
bool is_bad(uint8_t flaw) { return flaw != kValid && flaw < kMalformedFlaw; }
bool is_malformed(uint8_t flaw) { return flaw >= kMalformedFlaw; }

// Event::kind: a DeclarationKind, or kActionKindBase + an ActionLine.
constexpr uint8_t kActionKindBase = kDeclarationKinds;
bool is_action(uint8_t kind) { return kind >= kActionKindBase; }
uint8_t kind_of(DeclarationKind kind) { return static_cast<uint8_t>(kind); }
uint8_t kind_of(ActionLine line) { return static_cast<uint8_t>(kActionKindBase + static_cast<uint8_t>(line)); }
ActionLine action_line_of(uint8_t kind) { return static_cast<ActionLine>(kind - kActionKindBase); }
uint8_t flaw_of(BadAction reason) { return static_cast<uint8_t>(1 + static_cast<int>(reason)); }

struct Event {
  uint32_t time;    // seconds since the plan's day 0
  uint32_t period;  // index into the periods, or into the actions for an action line
  uint8_t kind;     // kind_of(DeclarationKind) or kind_of(ActionLine)
  uint8_t flaw;     // kValid, flaw_of(BadRule) or flaw_of(MalformedKind); for an action, flaw_of(BadAction)
  uint16_t aux;     // hours of an out-of-domain UPDATE; where a truncated line stops; an action's small values
};
static_assert(sizeof(Event) == 12);

// What an action line says besides its kind and its Event::aux (see the
// planner's add_* functions for what ref, date and aux mean for each kind).
struct ActionRecord {
  uint32_t worker;    // person index, kNone when none
  uint32_t employer;  // organisation index, kNone when none
  uint32_t ref;       // a request, ticket or notification index; a year; a quarter index; ...
  int32_t date;       // Date::days of the action's date, when it has one; an occupation's gross wage in cents
};
static_assert(sizeof(ActionRecord) == 16);

struct Organisation {
  uint64_t enterprise_number = 0;
  uint64_t nsso_number = 0;  // 0 when known by its enterprise number
  Sector sector = Sector::kOther;
  uint8_t municipality = 0;
  bool day_by_day = false;  // declares its students day by day
  bool by_name = false;     // a user company known by name and address only
};

struct Slot {  // one employer of a student
  uint32_t employer = kNone;
  uint32_t user_company = kNone;
  bool interim = false;
  bool daily = false;
};

struct Calendar {
  int32_t epoch_days = 0;                                                // Date::days of plan day 0
  int32_t year_first = 0;                                                // plan day of 1 January
  int32_t year_last = 0;                                                 // plan day of 31 December
  int32_t quarter_first[5] = {};                                         // [4]: 1 January of the next year
  int weekday(int32_t day) const { return (epoch_days + day + 3) % 7; }  // 0 = Monday
  int32_t plan_day(Date d) const { return d.days - epoch_days; }
  Date date(int32_t day) const { return Date{epoch_days + day}; }
};

int16_t day16(int32_t day) {
  DIMONA_ASSERT(day >= 0 && day < kDayTableDays);
  return static_cast<int16_t>(day);
}
uint32_t at(int32_t day, int32_t second) {
  DIMONA_ASSERT(day >= 0 && second >= 0 && second < kSecondsPerDay);
  return static_cast<uint32_t>(day) * kSecondsPerDay + static_cast<uint32_t>(second);
}
int32_t day_of(uint32_t time) { return static_cast<int32_t>(time / kSecondsPerDay); }
uint16_t hhmm(int32_t minutes) { return static_cast<uint16_t>(minutes / 60 * 100 + minutes % 60); }
uint64_t spread(uint64_t index, uint64_t offset, uint64_t size) { return (index * kSpreadStep + offset) % size; }

uint32_t quota_of(int32_t year) {  // DOMAIN.md §2.1
  if (year <= 2022) return 475;
  if (year <= 2024) return 600;
  return 650;
}

uint64_t make_ssin(Date birth, uint64_t counter, bool bis) {
  const CivilDate c = civil_from_date(birth);
  const uint64_t body = static_cast<uint64_t>(c.year % 100) * 10'000'000 +
                        static_cast<uint64_t>(c.month + (bis ? 40 : 0)) * 100'000 +
                        static_cast<uint64_t>(c.day) * 1'000 + counter;
  const uint64_t checked = c.year >= 2000 ? 2'000'000'000 + body : body;
  return body * 100 + (97 - checked % 97);
}

// The SSIN with check digits that match neither century.
uint64_t corrupt_ssin(uint64_t ssin) {
  const uint64_t body = ssin / 100;
  const uint64_t c1900 = 97 - body % 97, c2000 = 97 - (2'000'000'000 + body) % 97;
  uint64_t check = ssin % 100;
  do check = check % 97 + 1;
  while (check == c1900 || check == c2000);
  return body * 100 + check;
}

uint64_t corrupt_enterprise_number(uint64_t number) { return number / 100 * 100 + number % 100 % 97 + 1; }

// One birth-date range of people, mapped one to one onto SSINs.
struct SsinSpace {
  Date first;
  uint64_t days = 0;
  uint64_t step = 0;
  uint64_t offset = 0;
  uint64_t capacity() const { return days * kSsinCounters; }
  uint64_t ssin(uint64_t index, bool bis) const {
    DIMONA_ASSERT(index < capacity());
    const uint64_t slot = (index * step + offset) % capacity();
    return make_ssin(Date{first.days + static_cast<int32_t>(slot % days)}, slot / days + 1, bis);
  }
};

SsinSpace ssin_space(int32_t first_year, int32_t last_year, uint64_t seed) {
  SsinSpace s;
  s.first = date_from_civil(first_year, 1, 1);
  s.days = static_cast<uint64_t>(date_from_civil(last_year, 12, 31).days - s.first.days + 1);
  s.step = kSpreadStep;
  while (std::gcd(s.step, s.capacity()) != 1) s.step += 2;
  s.offset = seed % s.capacity();
  return s;
}

// Streams of randomness, one per population, one generator per person.
enum class Stream : uint64_t {
  kWorld = 1,
  kStudents,
  kInterim,
  kFlexi,
  kOccasional,
  kOrdinary,
  kBad,
  // Actions: their own streams, so the declarations do not depend on them.
  kFlexiData,
  kAttestations,
  kDataAccess,
  kCareerBreak,
  kEmployerSettings,
  kActionBad,
  kTokens,
  kWages,  // the hourly rates behind the occupation quarters' gross wages
};

// Day hours and lead times.
struct Lead {
  std::span<const Bucket> days;
  bool at_least_a_day;
};

class Planner {
 public:
  explicit Planner(const GeneratorOptions& options);
  Status plan();
  void plan_world() { build_world(); }  // the organisations only (register_enterprises)
  GeneratorStats student_stats() const;

  const GeneratorOptions& options() const { return options_; }
  const Calendar& calendar() const { return cal_; }
  const std::vector<Organisation>& organisations() const { return orgs_; }
  const std::vector<uint64_t>& ssins() const { return ssins_; }
  const std::vector<Period>& periods() const { return periods_; }
  std::vector<Event>& events() { return events_; }
  uint64_t period_id(uint32_t index) const { return dimona_id_from_body(period_body_base_ + index); }
  const std::vector<ActionRecord>& actions() const { return actions_; }
  uint64_t request_id(uint32_t r) const { return dimona_id_from_body(period_body_base_ + kRequestBodyOffset + r); }
  uint64_t ticket_id(uint32_t t) const { return dimona_id_from_body(period_body_base_ + kTicketBodyOffset + t); }
  uint64_t notification_id(uint32_t n) const {
    return dimona_id_from_body(period_body_base_ + kNotificationBodyOffset + n);
  }
  bool is_agency(uint32_t org) const { return org >= agency_first_ && org < user_first_; }
  uint64_t flexi_ins_not_eligible() const { return flexi_ins_not_eligible_; }

 private:
  Rng rng_for(Stream stream, uint64_t index) const {
    return Rng(mix(mix(options_.seed, static_cast<uint64_t>(stream)), index));
  }
  void build_world();
  void reserve();
  uint32_t add_worker(bool student, Rng& rng);
  uint32_t add_period(const Period& p);
  void add_event(uint32_t time, uint32_t period, DeclarationKind kind, uint8_t flaw = kValid, uint16_t aux = 0);
  Period new_period(Profile profile, uint32_t worker, uint32_t employer, int32_t start, int32_t end) const;
  uint32_t record_in(Rng& rng, uint32_t index, Lead lead);
  void record_cancel(Rng& rng, uint32_t index);
  void record_out(Rng& rng, uint32_t index, int32_t first, int32_t last);
  int32_t quarter_days(int q) const { return cal_.quarter_first[q + 1] - cal_.quarter_first[q]; }

  // Students.
  void add_student(uint64_t s);
  int draw_slots(Rng& rng, Slot* slots);
  void add_student_quarter(Rng& rng, uint32_t worker, const Slot* slots, int n, int q, int32_t hours);
  void add_student_period(Rng& rng, uint32_t worker, const Slot& slot, int q, int32_t hours);
  void add_student_days(Rng& rng, uint32_t worker, const Slot& slot, int q, int32_t hours);
  Period student_period(Rng& rng, uint32_t worker, const Slot& slot, int32_t start, int32_t end, int32_t hours) const;
  void add_student_fate(Rng& rng, uint32_t index, bool multi_day);
  void add_student_update(Rng& rng, uint32_t index, bool multi_day);
  // The rest of the workforce.
  void add_interim_worker(uint64_t i);
  void add_interim_contract(Rng& rng, uint32_t worker, uint32_t agency, uint32_t user, int32_t start, int32_t end);
  void add_flexi_worker(uint64_t i);
  void add_flexi_days(Rng& rng, uint32_t worker, const uint32_t* employers, int count, int32_t days);
  void add_flexi_frames(Rng& rng, uint32_t worker, uint32_t employer);
  void add_occasional_worker(uint64_t i);
  void add_ordinary_worker(uint64_t i);
  void add_ordinary_fate(Rng& rng, uint32_t index);
  // Bad lines.
  void add_bad_lines();
  void add_bad(Rng& rng, BadRule rule);
  bool add_bad_copy(Rng& rng, BadRule rule);
  bool add_bad_follow_up(Rng& rng, BadRule rule);
  void add_malformed(Rng& rng, MalformedKind kind);
  template <typename Pred>
  std::optional<uint32_t> pick_valid(Rng& rng, Pred pred);
  uint32_t copy_for_phantom(Rng& rng, uint32_t index, uint8_t flaw);

  const GeneratorOptions& options_;
  Calendar cal_;
  SsinSpace students_space_, others_space_;
  uint64_t period_body_base_ = 0;
  uint64_t students_made_ = 0, others_made_ = 0;
  uint32_t general_count_ = 0, agency_first_ = 0, agency_count_ = 0, user_first_ = 0, user_count_ = 0;
  std::vector<Organisation> orgs_;
  std::vector<uint32_t> horeca_, seasonal_;
  std::vector<uint64_t> ssins_;
  std::vector<Period> periods_;
  std::vector<Event> events_;
  uint32_t valid_periods_ = 0;
  bool ssins_exhausted_ = false;

  // Actions (docs/actions.md), planned after the declarations and the bad lines.
  enum Population : uint8_t { kPopStudents, kPopInterim, kPopFlexi, kPopOccasional, kPopOrdinary, kPopulations };
  struct TicketPlan {
    uint32_t worker, employer;
    uint32_t request_time;
    uint32_t employee_part_time;  // 0: the employee never completes their part
    uint32_t decision_time;
    bool cancelled;
  };
  struct Answer {  // a valid grant or refusal
    uint32_t time, worker, request;
  };
  void add_actions();
  void index_people();
  uint32_t people(Population p) const { return population_first_[p + 1] - population_first_[p]; }
  uint32_t add_action(uint32_t time, ActionLine line, const ActionRecord& record, uint16_t aux = 0,
                      uint8_t flaw = kValid);
  void add_flexi_data(uint64_t i);
  void add_student_wages(uint64_t s);
  void add_attestations(uint64_t s);
  void add_data_access(uint32_t worker, bool student);
  void add_career_break(uint64_t i);
  void add_career_break_request(Rng& rng, uint32_t worker, const Period& contract);
  void add_career_break_notification(Rng& rng, uint32_t worker, const Period& contract);
  uint32_t add_notification(Rng& rng, uint32_t worker, uint32_t employer, int32_t day, uint8_t flaw);
  void add_employer_settings();
  void add_bad_actions();
  bool add_bad_action(Rng& rng, BadAction reason);
  bool accepts_notifications(uint32_t org) const;
  Status check_action_ids() const;

  uint32_t population_first_[kPopulations + 1] = {};
  std::vector<uint32_t> period_first_;  // worker w's valid periods: [period_first_[w], period_first_[w + 1])
  std::vector<ActionRecord> actions_;
  std::vector<TicketPlan> tickets_;
  std::vector<Answer> answers_;
  std::vector<bool> has_settings_;  // by organisation
  uint32_t requests_ = 0, notifications_ = 0, unknown_tokens_ = 0;
  uint64_t flexi_ins_not_eligible_ = 0;
};

Planner::Planner(const GeneratorOptions& options) : options_(options) {
  const int32_t y = options.year;
  cal_.epoch_days = date_from_civil(y, 1, 1).days - kLeadInDays;
  cal_.year_first = kLeadInDays;
  cal_.year_last = cal_.plan_day(date_from_civil(y, 12, 31));
  for (int q = 0; q < 5; ++q) cal_.quarter_first[q] = cal_.plan_day(first_day_of_quarter(y * 4 + q));
  // Students are 17-26, the others 27-67 (DOMAIN.md §6: the 2000+ rule is exercised both ways).
  students_space_ = ssin_space(y - 26, y - 17, options.seed);
  others_space_ = ssin_space(y - 67, y - 27, options.seed);
  period_body_base_ = kPeriodBodyBase + static_cast<uint64_t>(y - generator_limits::year_min) * kYearBodyStride;
}

uint64_t per_student(uint64_t students, double ratio) {
  const auto fixed = static_cast<uint64_t>(ratio * 65536.0);  // exact, then truncated
  return students * fixed >> 16;
}

void Planner::build_world() {
  const uint64_t n = options_.students;
  general_count_ =
      static_cast<uint32_t>(std::max<uint64_t>(16, n * kEmployersPerStudentsNum / kEmployersPerStudentsDen));
  agency_count_ = static_cast<uint32_t>(std::max<uint64_t>(3, n / kStudentsPerAgency));
  user_count_ = static_cast<uint32_t>(std::max<uint64_t>(16, n / kStudentsPerUserCompany));
  agency_first_ = general_count_;
  user_first_ = agency_first_ + agency_count_;
  const uint32_t total = user_first_ + user_count_;
  orgs_.resize(total);
  Rng rng = rng_for(Stream::kWorld, 0);
  const uint64_t enterprise_offset = rng.next() % kEnterpriseBodies, nsso_offset = rng.next() % kNssoRadixes;
  const Share by_nsso = share_of(options_.employer_id_share), by_name = share_of(options_.user_company_by_name_share);
  const Share daily = share_of(options_.day_by_day_employer_share);
  for (uint32_t o = 0; o < total; ++o) {
    Organisation& org = orgs_[o];
    const uint64_t body = kEnterpriseBodyFirst + spread(o, enterprise_offset, kEnterpriseBodies);
    org.enterprise_number = body * 100 + (97 - body % 97);
    const bool user = o >= user_first_;
    org.sector = static_cast<Sector>(
        draw(rng, user ? std::span<const Bucket>(kUserCompanySectors) : std::span<const Bucket>(kEmployerSectors)));
    if (o >= agency_first_ && !user) org.sector = Sector::kOther;
    org.municipality = static_cast<uint8_t>(rng.below(std::size(kMunicipalities)));
    if (!user && rng.chance(by_nsso)) {
      const uint64_t radix = kNssoRadixFirst + spread(o, nsso_offset, kNssoRadixes);
      const uint64_t check = 96 - radix * 100 % 97;
      org.nsso_number = radix * 100 + (check == 0 ? 97 : check);
    }
    org.day_by_day = o < general_count_ && rng.chance(daily);
    org.by_name = user && rng.chance(by_name);
    if (o < general_count_ && org.sector == Sector::kHoreca) horeca_.push_back(o);
    if (o < general_count_ && org.sector >= Sector::kHoreca && org.sector <= Sector::kHorticulture)
      seasonal_.push_back(o);
  }
  if (horeca_.empty()) {  // tiny streams: flexi and EXT workers need a horeca employer
    orgs_[0].sector = Sector::kHoreca;
    horeca_.push_back(0);
    seasonal_.push_back(0);
  }
}

// A new person. Running out of SSINs (only with extreme options) is reported
// by plan(); until then the space wraps so the plan can finish.
uint32_t Planner::add_worker(bool student, Rng& rng) {
  const bool bis = !student && rng.chance(kBisNumber);
  const SsinSpace& space = student ? students_space_ : others_space_;
  uint64_t& made = student ? students_made_ : others_made_;
  if (made >= space.capacity()) ssins_exhausted_ = true;
  ssins_.push_back(space.ssin(made++ % space.capacity(), bis));
  return static_cast<uint32_t>(ssins_.size() - 1);
}

uint32_t Planner::add_period(const Period& p) {
  periods_.push_back(p);
  return static_cast<uint32_t>(periods_.size() - 1);
}

void Planner::add_event(uint32_t time, uint32_t period, DeclarationKind kind, uint8_t flaw, uint16_t aux) {
  events_.push_back(Event{time, period, kind_of(kind), flaw, aux});
}

Period Planner::new_period(Profile profile, uint32_t worker, uint32_t employer, int32_t start, int32_t end) const {
  Period p{};
  p.worker = worker;
  p.employer = employer;
  p.user_company = kNone;
  p.start = day16(start);
  p.end = end == kOpenDay ? kOpenDay : day16(end);
  p.changed_end = kNoDay;
  p.start_hour = p.end_hour = p.changed_end_hour = kNoHour;
  p.profile = profile;
  return p;
}

// Records the IN 0-20 days before the start; on the day itself, early in the
// morning (02:00-03:59 UTC: 03:00-05:59 on a Belgian clock, summer or winter),
// before any work starts (the earliest shift starts at 06:00, Brussels time,
// which 90373-460 reads); on an earlier day before 22:00 UTC, still that day
// in Brussels.
uint32_t Planner::record_in(Rng& rng, uint32_t index, Lead lead) {
  Period& p = periods_[index];
  int32_t days = draw(rng, lead.days);
  if (lead.at_least_a_day) days = std::max(days, 1);
  const int32_t day = p.start - days;
  p.in_time =
      days == 0 ? at(day, rng.between(2 * kHour, 4 * kHour - 1)) : at(day, rng.between(7 * kHour, 22 * kHour - 1));
  add_event(p.in_time, index, DeclarationKind::kIn);
  return p.in_time;
}

// A CANCEL between the IN (recorded at least a day ahead) and the start.
void Planner::record_cancel(Rng& rng, uint32_t index) {
  Period& p = periods_[index];
  const uint32_t last = at(p.start, 0) - 60;
  DIMONA_ASSERT(p.in_time + 60 < last);
  p.flags |= kCancelled;
  add_event(p.in_time + 60 + rng.below(last - p.in_time - 60), index, DeclarationKind::kCancel);
}

// An OUT ending the period on a day in [first, last], recorded that evening.
void Planner::record_out(Rng& rng, uint32_t index, int32_t first, int32_t last) {
  Period& p = periods_[index];
  const int32_t end = rng.between(first, last);
  p.changed_end = day16(end);
  p.flags |= kHasOut;
  add_event(at(end, rng.between(16 * kHour, 22 * kHour - 1)), index, DeclarationKind::kOut);
}

// --- Students ----------------------------------------------------------------

void Planner::add_student(uint64_t s) {
  Rng rng = rng_for(Stream::kStudents, s);
  const uint32_t worker = add_worker(true, rng);
  const int32_t year_hours = draw(rng, kStudentYearHours);
  Slot slots[kSlotsMax];
  const int n = draw_slots(rng, slots);
  const std::span<const QuarterPattern> patterns = year_hours >= kHeavyStudentHours
                                                       ? std::span<const QuarterPattern>(kHeavyPatterns)
                                                       : std::span<const QuarterPattern>(kLightPatterns);
  uint32_t total = 0;
  for (const QuarterPattern& qp : patterns) total += qp.weight;
  uint32_t r = rng.below(total);
  const QuarterPattern* pattern = patterns.data();
  while (r >= pattern->weight) r -= pattern->weight, ++pattern;
  int32_t left = year_hours;
  int widest = 0;
  int32_t quarter_hours[4];
  for (int q = 0; q < 4; ++q) {
    quarter_hours[q] = year_hours * pattern->percent[q] / 100;
    left -= quarter_hours[q];
    if (pattern->percent[q] > pattern->percent[widest]) widest = q;
  }
  quarter_hours[widest] += left;
  for (int q = 0; q < 4; ++q)
    if (quarter_hours[q] > 0) add_student_quarter(rng, worker, slots, n, q, quarter_hours[q]);
}

int Planner::draw_slots(Rng& rng, Slot* slots) {
  const int wanted = draw(rng, kEmployersPerStudent);
  const Share interim = share_of(options_.student_interim_share);
  int made = 0;
  for (int tries = 0; made < wanted && tries < 8; ++tries) {
    Slot slot;
    if (rng.chance(interim)) {
      slot.interim = true;
      slot.employer = agency_first_ + rng.skewed(agency_count_, 2);
      slot.user_company = user_first_ + rng.skewed(user_count_, 2);
      slot.daily = rng.chance(kInterimStudentDaily);
    } else {
      slot.employer = rng.skewed(general_count_, 3);
      slot.daily = orgs_[slot.employer].day_by_day;
    }
    const bool taken = std::any_of(slots, slots + made, [&](const Slot& o) {
      return o.employer == slot.employer && o.user_company == slot.user_company;
    });
    if (!taken) slots[made++] = slot;
  }
  return made;
}

// Splits a quarter's hours over the student's employers working that quarter
// (the first always does; the others 55 % of the quarters).
void Planner::add_student_quarter(Rng& rng, uint32_t worker, const Slot* slots, int n, int q, int32_t hours) {
  int32_t part[kSlotsMax] = {};
  int32_t total = 0;
  for (int i = 0; i < n; ++i) {
    if (i == 0 || rng.below(100) < 55) part[i] = rng.between(1, 4);
    total += part[i];
  }
  int32_t given = 0;
  for (int i = 0; i < n; ++i) given += part[i] = hours * part[i] / total;
  part[0] += hours - given;
  for (int i = 0; i < n; ++i) {
    if (part[i] <= 0) continue;
    if (slots[i].daily)
      add_student_days(rng, worker, slots[i], q, part[i]);
    else
      add_student_period(rng, worker, slots[i], q, part[i]);
  }
}

Period Planner::student_period(Rng& rng, uint32_t worker, const Slot& slot, int32_t start, int32_t end,
                               int32_t hours) const {
  Period p = new_period(slot.interim ? Profile::kStudentInterim : Profile::kStudent, worker, slot.employer, start, end);
  p.user_company = slot.user_company;
  p.hours = static_cast<uint16_t>(hours);
  p.flags = kHasHours;
  if (!slot.interim && rng.chance(share_of(options_.place_of_work_share))) p.flags |= kPlaceOfWork;
  return p;
}

// One period for the quarter at this employer (DOMAIN.md §2.2), long enough
// for the hours at 4-8 hours a day, five days a week.
void Planner::add_student_period(Rng& rng, uint32_t worker, const Slot& slot, int q, int32_t hours) {
  const int32_t first = cal_.quarter_first[q], length = quarter_days(q);
  const int32_t per_day = rng.between(4, 8);
  const int32_t needed = std::clamp((hours * 7 + 5 * per_day - 1) / (5 * per_day), 1, length);
  int32_t offset = static_cast<int32_t>(rng.below(static_cast<uint64_t>(length - needed + 1)));
  if (rng.below(100) < 35) {  // many contracts start on the first of a month
    const CivilDate c = civil_from_date(cal_.date(first + offset));
    offset = cal_.plan_day(date_from_civil(c.year, c.month, 1)) - first;
  }
  const int32_t days =
      std::min(length - offset, needed + static_cast<int32_t>(rng.below(static_cast<uint64_t>(needed / 2 + 1))));
  hours = std::min({hours, int32_t{kQuarterPeriodHoursMax}, kHoursPerDayMax * days});
  const uint32_t index =
      add_period(student_period(rng, worker, slot, first + offset, first + offset + days - 1, hours));
  add_student_fate(rng, index, days > 1);
}

// Single-day INs (startDate = endDate), 3-8 hours each (an interim daily
// contract is a working day: 5-8 hours), on distinct days of a window of the
// quarter (selection sampling, so days are in order).
void Planner::add_student_days(Rng& rng, uint32_t worker, const Slot& slot, int q, int32_t hours) {
  const int32_t length = quarter_days(q);
  const int32_t per_day = rng.between(slot.interim ? 5 : 3, 8);
  const int32_t count = std::min((hours + per_day - 1) / per_day, length);
  const int32_t window =
      std::min(length, 2 * count + static_cast<int32_t>(rng.below(static_cast<uint64_t>(count + 1))));
  const int32_t window_first =
      cal_.quarter_first[q] + static_cast<int32_t>(rng.below(static_cast<uint64_t>(length - window + 1)));
  int32_t left = count;
  for (int32_t i = 0; i < window && left > 0; ++i) {
    if (static_cast<int32_t>(rng.below(static_cast<uint64_t>(window - i))) >= left) continue;
    const int32_t k = count - left;
    const int32_t day_hours = hours / count + (k < hours % count ? 1 : 0);
    const uint32_t index = add_period(student_period(rng, worker, slot, window_first + i, window_first + i, day_hours));
    add_student_fate(rng, index, false);
    --left;
  }
  DIMONA_ASSERT(left == 0);
}

void Planner::add_student_fate(Rng& rng, uint32_t index, bool multi_day) {
  const std::span<const Bucket> lead = multi_day ? std::span<const Bucket>(kPlannedLeadDays) : kDailyLeadDays;
  if (rng.chance(share_of(options_.student_cancel_share))) {
    record_in(rng, index, Lead{lead, true});
    record_cancel(rng, index);
    const Period& old = periods_[index];
    if (!multi_day || !rng.chance(kStudentReplaced)) return;
    // Moving a STU start is a CANCEL and a new IN (DOMAIN.md §8 rule 7).
    Period moved = old;
    moved.flags &= static_cast<uint8_t>(kHasHours | kPlaceOfWork);
    moved.start = static_cast<int16_t>(std::min<int32_t>(old.start + rng.between(1, 3), old.end));
    const uint32_t cancel_time = events_.back().time;
    moved.in_time = cancel_time + static_cast<uint32_t>(rng.between(5 * 60, 120 * 60));
    const uint32_t moved_index = add_period(moved);
    add_event(moved.in_time, moved_index, DeclarationKind::kIn);
    return;
  }
  record_in(rng, index, Lead{lead, false});
  const Period& p = periods_[index];
  if (multi_day && rng.chance(share_of(options_.student_out_share))) record_out(rng, index, p.start, p.end - 1);
  if (rng.chance(share_of(options_.student_update_share))) add_student_update(rng, index, multi_day);
}

// The actual hours, declared 1-30 days after the (possibly earlier) end.
void Planner::add_student_update(Rng& rng, uint32_t index, bool multi_day) {
  Period& p = periods_[index];
  int32_t hours = std::clamp(p.hours * rng.between(60, 115) / 100, 1, int32_t{kQuarterPeriodHoursMax});
  if (hours == p.hours) hours = p.hours > 1 ? p.hours - 1 : p.hours + 1;  // never "no changes" (90378-444)
  p.changed_hours = static_cast<uint16_t>(hours);
  if (rng.chance(kUpdateRepeatsStart)) p.flags |= kRepeatStart;
  if (multi_day && !(p.flags & kHasOut) && rng.chance(kUpdateMovesEnd)) {
    p.changed_end = day16(rng.between(p.start, p.end));
    p.flags |= kUpdateEnd;
  }
  const int32_t end = (p.flags & kHasOut) ? p.changed_end : p.end;
  // One draw per statement: the order of evaluation of arguments is unspecified.
  const int32_t day = end + rng.between(1, 30);
  add_event(at(day, rng.between(8 * kHour, 19 * kHour)), index, DeclarationKind::kUpdate);
}

// --- Interim: mostly daily contracts (startDate = endDate) -----------------------

void Planner::add_interim_worker(uint64_t i) {
  Rng rng = rng_for(Stream::kInterim, i);
  const uint32_t worker = add_worker(false, rng);
  const int agencies = rng.chance(kInterimSecondAgency) ? 2 : 1;
  uint32_t agency[2], users[2][3];
  int user_count[2];
  for (int a = 0; a < agencies; ++a) {
    agency[a] = agency_first_ + rng.skewed(agency_count_, 2);
    user_count[a] = rng.between(1, 3);
    for (int u = 0; u < user_count[a]; ++u) users[a][u] = user_first_ + rng.skewed(user_count_, 2);
  }
  const int32_t contracts = draw(rng, kInterimContracts);
  const bool weekly = rng.chance(kInterimWeeklyWorker);
  int32_t day =
      cal_.year_first + static_cast<int32_t>(rng.below(static_cast<uint64_t>(std::max(1, 365 - contracts * 3 / 2))));
  int a = 0, u = 0;
  for (int32_t c = 0; c < contracts; ++c) {
    while (cal_.weekday(day) == 6 || (cal_.weekday(day) == 5 && rng.below(100) < 70)) ++day;
    if (day > cal_.year_last) break;
    if (rng.below(100) < 20) {  // mostly the same user company as the day before
      a = agencies == 2 && rng.below(100) < 30 ? 1 - a : a;
      u = static_cast<int>(rng.below(static_cast<uint64_t>(user_count[a])));
    }
    u = std::min(u, user_count[a] - 1);
    const int32_t end = weekly && rng.below(2) == 0 ? std::min(day + 4, cal_.year_last) : day;
    add_interim_contract(rng, worker, agency[a], users[a][u], day, end);
    day = end + 1 + draw(rng, kInterimGapDays);
  }
}

void Planner::add_interim_contract(Rng& rng, uint32_t worker, uint32_t agency, uint32_t user, int32_t start,
                                   int32_t end) {
  Period p = new_period(Profile::kInterim, worker, agency, start, end);
  p.user_company = user;
  const uint32_t index = add_period(p);
  if (start == end) {
    const bool cancel = rng.chance(kInterimCancel);
    record_in(rng, index, Lead{kDailyLeadDays, cancel});
    if (cancel) record_cancel(rng, index);
    return;
  }
  record_in(rng, index, Lead{kWeeklyLeadDays, false});
  if (rng.chance(kInterimOut)) record_out(rng, index, start, end - 1);
}

// --- Flexi (FLX, JC 302): days with hours, or per-quarter frames ----------------

void Planner::add_flexi_worker(uint64_t i) {
  Rng rng = rng_for(Stream::kFlexi, i);
  const uint32_t worker = add_worker(false, rng);
  uint32_t employers[2];
  employers[0] = horeca_[rng.skewed(static_cast<uint32_t>(horeca_.size()), 2)];
  employers[1] = horeca_[rng.skewed(static_cast<uint32_t>(horeca_.size()), 2)];
  const int count = rng.below(4) == 0 && employers[1] != employers[0] ? 2 : 1;
  if (rng.chance(kFlexiFrames)) return add_flexi_frames(rng, worker, employers[0]);
  add_flexi_days(rng, worker, employers, count, draw(rng, kFlexiDays));
}

void Planner::add_flexi_days(Rng& rng, uint32_t worker, const uint32_t* employers, int count, int32_t days) {
  int32_t day = cal_.year_first + static_cast<int32_t>(rng.below(static_cast<uint64_t>(std::max(1, 365 - days * 3))));
  for (int32_t made = 0; made < days && day <= cal_.year_last; ++day) {
    const int wd = cal_.weekday(day);
    if (rng.below(100) >= (wd >= 4 ? 55u : 15u)) continue;  // mostly Friday to Sunday
    const Shift& shift = kFlexiShifts[rng.below(std::size(kFlexiShifts))];
    const int32_t late = 15 * static_cast<int32_t>(rng.below(3));
    Period p = new_period(Profile::kFlexi, worker, employers[count == 2 ? rng.below(2) : 0], day, day);
    p.start_hour = hhmm(shift.start + late);
    p.end_hour = hhmm(shift.end + late);
    const uint32_t index = add_period(p);
    ++made;
    const bool cancel = rng.chance(kFlexiCancel);
    record_in(rng, index, Lead{kDailyLeadDays, cancel});
    if (cancel) {
      record_cancel(rng, index);
    } else if (rng.chance(kFlexiLonger)) {  // worked longer: UPDATE endHour the next morning
      periods_[index].changed_end_hour = hhmm(std::min(shift.end + late + 60, kLastMinute));
      add_event(at(day + 1, rng.between(9 * kHour, 12 * kHour)), index, DeclarationKind::kUpdate);
    }
  }
}

// FLX is declared per quarter (DOMAIN.md §3): a frame to the quarter's end.
void Planner::add_flexi_frames(Rng& rng, uint32_t worker, uint32_t employer) {
  const int first = static_cast<int>(rng.below(4));
  const int last = first + static_cast<int>(rng.below(static_cast<uint64_t>(4 - first)));
  for (int q = first; q <= last; ++q) {
    const int32_t start = cal_.quarter_first[q] + rng.between(0, 20), end = cal_.quarter_first[q + 1] - 1;
    const uint32_t index = add_period(new_period(Profile::kFlexi, worker, employer, start, end));
    record_in(rng, index, Lead{kPlannedLeadDays, false});
    if (rng.chance(kFlexiOut)) record_out(rng, index, start, end - 1);
  }
}

// --- Occasional workers (EXT): one or two days, with hours, never three in a row

void Planner::add_occasional_worker(uint64_t i) {
  Rng rng = rng_for(Stream::kOccasional, i);
  const uint32_t worker = add_worker(false, rng);
  const uint32_t employer = seasonal_[rng.skewed(static_cast<uint32_t>(seasonal_.size()), 2)];
  const int32_t periods = draw(rng, kOccasionalPeriods);
  int32_t day = cal_.year_first + static_cast<int32_t>(rng.below(200));
  for (int32_t k = 0; k < periods; ++k) {
    const int32_t end = rng.below(100) < 30 ? day + 1 : day;
    if (end > cal_.year_last) break;
    const int32_t start_minute =
        orgs_[employer].sector == Sector::kHoreca ? rng.between(16, 19) * 60 : rng.between(6, 9) * 60;
    Period p = new_period(Profile::kOccasional, worker, employer, day, end);
    p.start_hour = hhmm(start_minute);
    p.end_hour = hhmm(std::min(start_minute + rng.between(4, 8) * 60, kLastMinute));  // never past midnight
    const uint32_t index = add_period(p);
    const bool cancel = rng.chance(kOccasionalCancel);
    record_in(rng, index, Lead{kDailyLeadDays, cancel});
    if (cancel) record_cancel(rng, index);
    day = end + 2 + static_cast<int32_t>(rng.below(10));
  }
}

// --- Ordinary workers (OTH): open-ended or fixed-term ---------------------------

int32_t add_months(const Calendar& cal, int32_t day, int32_t months) {
  const CivilDate c = civil_from_date(cal.date(day));
  const int32_t index = c.year * 12 + c.month - 1 + months;
  const Date first = date_from_civil(index / 12, index % 12 + 1, 1);
  const Date next = date_from_civil((index + 1) / 12, (index + 1) % 12 + 1, 1);
  return cal.plan_day(Date{first.days + std::min(c.day - 1, next.days - first.days - 1)});
}

void Planner::add_ordinary_worker(uint64_t i) {
  Rng rng = rng_for(Stream::kOrdinary, i);
  const uint32_t worker = add_worker(false, rng);
  const uint32_t employer = rng.skewed(general_count_, 3);
  int32_t start = cal_.year_first + static_cast<int32_t>(rng.below(365));
  if (rng.below(100) < 40) start -= civil_from_date(cal_.date(start)).day - 1;  // the first of the month
  const bool open = rng.chance(kOrdinaryOpen);
  const int32_t end = open ? kOpenDay : add_months(cal_, start, rng.between(1, 12)) - 1;
  const uint32_t index = add_period(new_period(Profile::kOrdinary, worker, employer, start, end));
  record_in(rng, index, Lead{kPlannedLeadDays, false});
  add_ordinary_fate(rng, index);
}

void Planner::add_ordinary_fate(Rng& rng, uint32_t index) {
  const Period p = periods_[index];
  if (p.end == kOpenDay) {
    if (p.start + 14 <= cal_.year_last && rng.chance(kOrdinaryOut))
      record_out(rng, index, p.start + 14, cal_.year_last);
    return;
  }
  if (p.end < cal_.year_last && rng.chance(kOrdinaryRenewal)) {  // a new contract from the next day
    const bool open = rng.chance(kOrdinaryOpen);
    const int32_t end = open ? kOpenDay : add_months(cal_, p.end + 1, rng.between(1, 12)) - 1;
    const uint32_t next = add_period(new_period(Profile::kOrdinary, p.worker, p.employer, p.end + 1, end));
    record_in(rng, next, Lead{kPlannedLeadDays, false});
    return;
  }
  if (rng.chance(kOrdinaryExtension)) {  // prolonged before it ends
    periods_[index].changed_end = day16(add_months(cal_, p.end + 1, rng.between(1, 3)) - 1);
    periods_[index].flags |= kUpdateEnd;
    const int32_t day = p.end - rng.between(1, 10);
    const uint32_t time = std::max(p.in_time + kHour, at(day, rng.between(9 * kHour, 17 * kHour)));
    add_event(time, index, DeclarationKind::kUpdate);
  } else if (p.end > p.start && rng.chance(kOrdinaryExtension)) {
    record_out(rng, index, p.start, p.end - 1);
  }
}

// --- Bad lines -------------------------------------------------------------------

constexpr Bucket kBadRuleWeights[] = {
    {10, 0, 0}, {8, 1, 1}, {10, 2, 2}, {8, 3, 3},   {7, 4, 4},   {10, 5, 5},  {8, 6, 6},
    {12, 7, 7}, {6, 8, 8}, {8, 9, 9},  {7, 10, 10}, {6, 11, 11}, {5, 12, 12},
};
static_assert(std::size(kBadRuleWeights) == kBadRules);

void Planner::add_bad_lines() {
  valid_periods_ = static_cast<uint32_t>(periods_.size());
  const uint64_t valid = events_.size();
  // bad / (valid + bad) = share, in fixed point so every platform agrees.
  const auto ppm = static_cast<uint64_t>(std::llround(options_.bad_share * 1e6));
  const uint64_t bad = ppm == 0 ? 0 : (valid * ppm + (1'000'000 - ppm) / 2) / (1'000'000 - ppm);
  const auto malformed_ppm = static_cast<uint64_t>(std::llround(options_.malformed_share_of_bad * 1e6));
  const uint64_t malformed = (bad * malformed_ppm + 500'000) / 1'000'000;
  Rng rng = rng_for(Stream::kBad, 0);
  for (uint64_t k = 0; k < malformed; ++k) add_malformed(rng, static_cast<MalformedKind>(rng.below(kMalformedKinds)));
  for (uint64_t k = malformed; k < bad; ++k) add_bad(rng, static_cast<BadRule>(draw(rng, kBadRuleWeights)));
}

template <typename Pred>
std::optional<uint32_t> Planner::pick_valid(Rng& rng, Pred pred) {
  for (int tries = 0; tries < 64; ++tries) {
    const uint32_t index = rng.below(valid_periods_);
    if (pred(periods_[index])) return index;
  }
  return std::nullopt;
}

// A copy of a valid period for a person with no other declaration, declared
// a few minutes after the original (still not late: an IN is recorded before
// 22:00 UTC the day before, or before 04:00 UTC on the day, before any shift).
uint32_t Planner::copy_for_phantom(Rng& rng, uint32_t index, uint8_t flaw) {
  Period copy = periods_[index];
  copy.worker = add_worker(is_student(copy.profile), rng);
  copy.flags = static_cast<uint8_t>((copy.flags & (kHasHours | kPlaceOfWork)) | kBadCopy);
  copy.changed_end = kNoDay;
  copy.changed_hours = 0;
  copy.changed_end_hour = kNoHour;
  copy.in_time += static_cast<uint32_t>(rng.between(1, 600));
  DIMONA_ASSERT(day_of(copy.in_time) <= copy.start);  // never late
  const uint32_t copy_index = add_period(copy);
  add_event(copy.in_time, copy_index, DeclarationKind::kIn, flaw, static_cast<uint16_t>(rng.below(1 << 16)));
  return copy_index;
}

void Planner::add_malformed(Rng& rng, MalformedKind kind) {
  const auto source = pick_valid(rng, [](const Period& p) { return is_student(p.profile); });
  copy_for_phantom(rng, source.value_or(0), flaw_of(kind));
}

void Planner::add_bad(Rng& rng, BadRule rule) {
  if (add_bad_copy(rng, rule) || add_bad_follow_up(rng, rule)) return;
  add_bad(rng, BadRule::kUnknownPeriod);  // no period fits the rule (tiny streams)
}

// Bad INs that break a shape rule: copies for a phantom worker.
bool Planner::add_bad_copy(Rng& rng, BadRule rule) {
  const auto any = [](const Period&) { return true; };
  const auto student = [](const Period& p) { return is_student(p.profile); };
  const auto flaw = flaw_of(rule);
  std::optional<uint32_t> source;
  switch (rule) {
    case BadRule::kInvalidSsin:
    case BadRule::kInvalidEnterpriseNumber: source = pick_valid(rng, any); break;
    case BadRule::kStudentCrossesQuarter:
    case BadRule::kStudentWithoutHours: source = pick_valid(rng, student); break;
    case BadRule::kHoursOutOfDomain:
      if (rng.below(2) == 0) return false;  // half of them on an UPDATE
      source = pick_valid(rng, student);
      break;
    case BadRule::kHoursOnNonStudent:
      source = pick_valid(
          rng, [](const Period& p) { return p.profile == Profile::kOrdinary || p.profile == Profile::kFlexi; });
      break;
    case BadRule::kInterimWithoutUsingEmployer:
      source = pick_valid(rng, [](const Period& p) { return is_interim(p.profile); });
      break;
    case BadRule::kUsingEmployerOutsideInterim:
      source = pick_valid(
          rng, [](const Period& p) { return p.profile == Profile::kStudent || p.profile == Profile::kOrdinary; });
      break;
    default: return false;
  }
  if (!source) return false;
  Period& copy = periods_[copy_for_phantom(rng, *source, flaw)];
  if (rule == BadRule::kStudentCrossesQuarter) {
    copy.end = day16(cal_.plan_day(first_day_of_quarter(quarter_index(cal_.date(copy.start)) + 1)) + rng.between(0, 9));
  } else if (rule == BadRule::kStudentWithoutHours) {
    copy.flags &= static_cast<uint8_t>(~kHasHours);
  } else if (rule == BadRule::kHoursOnNonStudent) {
    copy.flags |= kHasHours;
    copy.hours = static_cast<uint16_t>(rng.between(4, 40));
  } else if (rule == BadRule::kHoursOutOfDomain) {
    copy.hours = rng.below(2) == 0 ? 0 : 1000;
  } else if (rule == BadRule::kInterimWithoutUsingEmployer) {
    copy.user_company = kNone;
  } else if (rule == BadRule::kUsingEmployerOutsideInterim) {
    copy.user_company = user_first_ + rng.below(user_count_);
  }
  return true;
}

// Bad lines about a valid period (or an id that was never declared).
bool Planner::add_bad_follow_up(Rng& rng, BadRule rule) {
  const auto live = [](const Period& p) { return !(p.flags & kCancelled); };
  const auto live_student = [](const Period& p) { return !(p.flags & kCancelled) && is_student(p.profile); };
  const auto flaw = flaw_of(rule);
  std::optional<uint32_t> source;
  switch (rule) {
    case BadRule::kHoursOutOfDomain:
    case BadRule::kStudentStartDateChanged: {
      source = pick_valid(rng, [&](const Period& p) {
        return live_student(p) && (rule != BadRule::kStudentStartDateChanged || p.end > p.start);
      });
      if (!source) return false;
      const uint16_t hours = rng.below(2) == 0 ? 0 : 1000;
      add_event(periods_[*source].in_time + static_cast<uint32_t>(rng.between(kHour, 10 * 24 * kHour)), *source,
                DeclarationKind::kUpdate, flaw, hours);
      return true;
    }
    case BadRule::kUnknownPeriod: {
      source = pick_valid(rng, [](const Period&) { return true; });
      if (!source) return false;
      const auto kind = static_cast<DeclarationKind>(1 + rng.below(3));
      add_event(periods_[*source].in_time + static_cast<uint32_t>(rng.between(60, 30 * 24 * kHour)), *source, kind,
                flaw);
      return true;
    }
    case BadRule::kAlreadyCancelled: {
      source = pick_valid(rng, [](const Period& p) { return (p.flags & kCancelled) != 0; });
      if (!source) return false;  // the first CANCEL came before the start day
      add_event(at(periods_[*source].start, rng.between(0, kSecondsPerDay - 1)), *source, DeclarationKind::kCancel,
                flaw);
      return true;
    }
    case BadRule::kDuplicateIn:
    case BadRule::kOverlappingIn: {
      source = pick_valid(rng, [&](const Period& p) {
        return live(p) &&
               (rule == BadRule::kDuplicateIn || is_student(p.profile) || p.end == kOpenDay || p.end - p.start >= 2);
      });
      if (!source) return false;
      const Period& p = periods_[*source];
      const uint32_t time = p.in_time + static_cast<uint32_t>(rng.between(1, 600));
      if (rule == BadRule::kDuplicateIn) {
        add_event(time, *source, DeclarationKind::kIn, flaw);
        return true;
      }
      Period copy = p;  // same worker, employer, type, user company; a new period id
      copy.flags = static_cast<uint8_t>((p.flags & (kHasHours | kPlaceOfWork)) | kBadCopy);
      copy.changed_end = kNoDay;
      copy.changed_hours = 0;
      if (p.end > p.start)
        copy.start = static_cast<int16_t>(p.start + 1);
      else
        copy.hours = static_cast<uint16_t>(p.hours < kQuarterPeriodHoursMax ? p.hours + 1 : p.hours - 1);
      copy.in_time = time;
      add_event(time, add_period(copy), DeclarationKind::kIn, flaw);
      return true;
    }
    default: return false;
  }
}

// --- Actions (docs/actions.md) ------------------------------------------------------
// Planned after the declarations and their bad lines, each population from its
// own random stream, so the declaration lines do not depend on them.

// When the ledger learns each year's quota (schemas/quota.json: `definedAt`),
// mirrored here so that a valid attestation asks only for a year whose quota
// the ledger knows at that instant (else: quotaUnknown).
std::optional<Date> quota_defined_on(int32_t year) {
  if (year >= 2017 && year <= 2022) return date_from_civil(2017, 1, 1);
  if (year >= 2023 && year <= 2024) return date_from_civil(2023, 1, 1);
  if (year >= 2025 && year <= 2030) return date_from_civil(2025, 1, 1);
  return std::nullopt;
}

// The first day of the month `months` after the month of `d`.
Date first_of_month_plus(Date d, int32_t months) {
  const CivilDate c = civil_from_date(d);
  const int32_t index = c.year * 12 + c.month - 1 + months;
  return date_from_civil(index / 12, index % 12 + 1, 1);
}

// The birth date of a non-student (born Y-67..Y-27, so the century follows).
CivilDate birth_of(uint64_t ssin, int32_t year) {
  const auto yy = static_cast<int32_t>(ssin / 1'000'000'000);
  auto month = static_cast<int32_t>(ssin / 10'000'000 % 100);
  if (month > 40) month -= 40;  // BIS number, sex known
  const int32_t first = year - 67;
  return CivilDate{first + (yy - first % 100 + 100) % 100, month, static_cast<int32_t>(ssin / 100'000 % 100)};
}

// Career breaks (DOMAIN.md §5): the kind of leave, its fraction, how long it
// runs and the attachment an employer adds. Mostly 1/5 time credit and
// parental leave at 1/2 or 1/10 (docs/generator.md gives the shares).
enum BreakFraction : uint8_t { kBreakFull, kBreakHalf, kBreakFifth, kBreakTenth };
constexpr std::string_view kBreakFractionNames[] = {"FULL", "1/2", "1/5", "1/10"};
constexpr uint16_t kRegimeDuringPermille[] = {0, 500, 800, 900};
struct LeaveShape {
  std::string_view kind;
  BreakFraction fraction;
  uint32_t weight;
  int32_t months_min, months_max;
  std::string_view attachment;
};
constexpr LeaveShape kLeaveShapes[] = {
    {"TIME_CREDIT", kBreakFifth, 40, 6, 24, "time-credit-motive.pdf"},
    {"TIME_CREDIT", kBreakHalf, 10, 6, 24, "time-credit-motive.pdf"},
    {"PARENTAL_LEAVE", kBreakHalf, 15, 2, 8, "birth-certificate.pdf"},
    {"PARENTAL_LEAVE", kBreakTenth, 10, 10, 40, "birth-certificate.pdf"},
    {"PARENTAL_LEAVE", kBreakFifth, 5, 4, 20, "birth-certificate.pdf"},
    {"PARENTAL_LEAVE", kBreakFull, 5, 1, 4, "birth-certificate.pdf"},
    {"END_OF_CAREER_TIME_CREDIT", kBreakFifth, 5, 12, 36, "career-statement.pdf"},
    {"END_OF_CAREER_TIME_CREDIT", kBreakHalf, 3, 12, 36, "career-statement.pdf"},
    {"MEDICAL_ASSISTANCE", kBreakFifth, 3, 1, 12, "medical-certificate.pdf"},
    {"MEDICAL_ASSISTANCE", kBreakFull, 1, 1, 12, "medical-certificate.pdf"},
    {"PALLIATIVE_CARE", kBreakFull, 2, 1, 1, "palliative-care-certificate.pdf"},
    {"PALLIATIVE_CARE", kBreakHalf, 1, 1, 1, "palliative-care-certificate.pdf"},
};
static_assert(std::size(kLeaveShapes) <= 16);  // 4 bits of Event::aux

uint32_t draw_leave(Rng& rng) {
  uint32_t total = 0;
  for (const LeaveShape& l : kLeaveShapes) total += l.weight;
  uint32_t r = rng.below(total);
  for (uint32_t i = 0; i < std::size(kLeaveShapes); ++i) {
    if (r < kLeaveShapes[i].weight) return i;
    r -= kLeaveShapes[i].weight;
  }
  DIMONA_ASSERT(false);
  return 0;
}

// Event::aux of a career-break request or notification: the leave shape, the
// months it runs (0: a notification without endDate), multipleEmployers.
uint16_t break_aux(uint32_t shape, int32_t months, bool multiple) {
  DIMONA_ASSERT(shape < 16 && months >= 0 && months < 64);
  return static_cast<uint16_t>(shape | static_cast<uint32_t>(months) << 4 | (multiple ? 1u : 0u) << 10);
}
uint32_t break_shape(uint16_t aux) { return aux & 15u; }
int32_t break_months(uint16_t aux) { return static_cast<int32_t>(aux >> 4 & 63u); }
bool break_multiple(uint16_t aux) { return (aux >> 10 & 1u) != 0; }
constexpr uint16_t kAttachmentToNotification = 1 << 4;

// Flexi data (DOMAIN.md §3, §8 rule 13): occupation fractions in permille.
constexpr Bucket kEligibleFractions[] = {{55, 1000, 1000}, {15, 800, 800}, {10, 900, 900}, {20, 850, 999}};
constexpr Bucket kBelowFractions[] = {{30, 500, 500}, {15, 600, 600}, {15, 750, 750}, {40, 400, 799}};
constexpr Bucket kBeforeReductionFractions[] = {{70, 1000, 1000}, {30, 900, 999}};
constexpr uint32_t kEligibleFractionMin = 800;
// Of the flexi workers who are not pensioners: below 0.80 at T-3, or down
// from T-5 to T-4 or T-4 to T-3 (shares of all flexi workers: ~8 % and ~5 %).
constexpr uint32_t kBelowPerMille = 94, kReductionPerMille = 59;
constexpr Share kFractionRises = per_mille(150);
// Pensioners: most flexi workers of 61 and over who were 60 by September
// of Y-1 (about 16 % of flexi workers), so ~15 % of flexi workers.
constexpr int32_t kPensionerAgeMin = 61;
constexpr Share kPensionerOfOld = per_mille(930);
constexpr int32_t kFirstPensionerYear = 2018;  // the pensioner route exists since 2018
constexpr int32_t kReductionRuleQuarter = 2024 * 4;  // the reduction test applies from 2024-Q1

// Gross wages on the occupation quarters (docs/generator.md "Wages"), in 2025 euros for every
// year. A student earns, per employer, an hourly rate from about the 2025 student minimum
// wage up to sector scales, on the hours the ledger counts. A flexi worker's main job is a
// fraction of a full-time quarter (38 h a week, 13 weeks) at an ordinary worker's hourly rate.
constexpr int32_t kStudentHourlyCentsMin = 1100, kStudentHourlyCentsMax = 1600;
constexpr int32_t kMainJobHourlyCentsMin = 1500, kMainJobHourlyCentsMax = 3000;
constexpr int32_t kFullTimeQuarterHours = 38 * 13;
constexpr int32_t kStudentFractionPermilleMax = 1500;  // limits::occupation_fraction_max
static_assert(kStudentFractionPermilleMax == static_cast<int32_t>(limits::occupation_fraction_max * 1000));
// A student's hours at one employer in a quarter are at most their year's (kStudentYearHours: 1 100,
// +15 % by an UPDATE); a main job is at most 1.5 full-time quarters: both far inside the wage limit.
static_assert(int64_t{kStudentHourlyCentsMax} * 1100 * 115 / 100 < limits::quarterly_gross_wage_euros_max * 100);
static_assert(int64_t{kMainJobHourlyCentsMax} * kFullTimeQuarterHours * 3 / 2 < limits::quarterly_gross_wage_euros_max * 100);

constexpr Bucket kAttestationsPerStudent[] = {{60, 1, 1}, {28, 2, 2}, {12, 3, 3}};
constexpr Share kAttestationBeforePeriod = per_mille(750);
constexpr Share kNextYearAttestation = per_mille(60);
constexpr uint32_t kGrantPerMille = 800, kRefusalPerMille = 100;  // the rest never answer
constexpr Share kRevoked = per_mille(50);
constexpr Share kLinkChannel = per_mille(500);
constexpr Share kAcceptsNotifications = per_mille(850);
constexpr double kAcceptsNotificationsShare = 0.85;
constexpr Share kMultipleEmployers = per_mille(50);
constexpr Share kBreakAttachment = per_mille(200);
constexpr Share kBreakCancelled = per_mille(100);
constexpr Share kBreakEndDateChanged = per_mille(150);
constexpr Share kEmployeePartOfOpen = per_mille(890);  // ~80 % of all requests
constexpr Share kOnemGranted = per_mille(900);
constexpr Share kNotificationEndDate = per_mille(700);
constexpr Share kNotificationAttachment = per_mille(100);
constexpr Share kPostponed = per_mille(200);
constexpr Share kValidated = per_mille(700);
constexpr int32_t kSettingsLastDay = 19;  // employer settings from 2 to 20 January

// Data-access tokens: 100 bits (20 Crockford base32 characters) from the
// seed and the request index. The low 64 bits are a bijection of the index,
// so no two requests share a token, and the unknown-token lines (indices from
// kUnknownTokenIndexBase) never hit a real one.
constexpr uint64_t kUnknownTokenIndexBase = uint64_t{1} << 40;
struct Token {
  uint64_t hi;  // 36 bits
  uint64_t lo;
};
Token access_token(uint64_t seed, uint64_t index) {
  const uint64_t key = mix(seed, static_cast<uint64_t>(Stream::kTokens));
  uint64_t z = key + index;  // splitmix64's finalizer: a bijection of z
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return Token{mix(key, index) >> 28, z ^ (z >> 31)};
}
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// A time 0-N days after `from` at an hour of the sender's (citizens 7-23 h,
// employers and ONEM 8-18 h), always after `from`.
struct Hours {
  int32_t first, last;  // [first, last) o'clock
};
constexpr Hours kCitizenHours{7, 23}, kOfficeHours{8, 18};
uint32_t later(Rng& rng, uint32_t from, int32_t min_days, int32_t max_days, Hours hours) {
  const int32_t day = day_of(from) + rng.between(min_days, max_days);
  const uint32_t time = at(day, rng.between(hours.first * kHour, hours.last * kHour - 1));
  return std::max(time, from + 60);
}

bool Planner::accepts_notifications(uint32_t org) const {
  return (mix(mix(options_.seed, static_cast<uint64_t>(Stream::kEmployerSettings)), org) >> 32) <
         kAcceptsNotifications.threshold;
}

uint32_t Planner::add_action(uint32_t time, ActionLine line, const ActionRecord& record, uint16_t aux, uint8_t flaw) {
  DIMONA_ASSERT(day_of(time) < kDayTableDays);
  actions_.push_back(record);
  const auto index = static_cast<uint32_t>(actions_.size() - 1);
  events_.push_back(Event{time, index, kind_of(line), flaw, aux});
  return index;
}

// Each population's valid periods are contiguous and in person order.
void Planner::index_people() {
  const uint32_t people = population_first_[kPopulations];
  period_first_.assign(static_cast<size_t>(people) + 1, 0);
  uint32_t last = 0;
  for (uint32_t i = 0; i < valid_periods_; ++i) {
    const uint32_t w = periods_[i].worker;
    DIMONA_ASSERT(w >= last && w < people);
    last = w;
    ++period_first_[w + 1];
  }
  std::partial_sum(period_first_.begin(), period_first_.end(), period_first_.begin());
}

void Planner::add_actions() {
  index_people();
  has_settings_.assign(orgs_.size(), false);
  const size_t declaration_events = events_.size();
  for (uint32_t i = 0; i < people(kPopFlexi); ++i) add_flexi_data(i);
  for (uint32_t s = 0; s < people(kPopStudents); ++s) add_student_wages(s);
  for (uint32_t s = 0; s < people(kPopStudents); ++s) add_attestations(s);
  for (uint32_t w = population_first_[kPopStudents]; w < population_first_[kPopStudents + 1]; ++w)
    add_data_access(w, true);
  for (uint32_t w = population_first_[kPopFlexi]; w < population_first_[kPopFlexi + 1]; ++w) add_data_access(w, false);
  for (uint32_t i = 0; i < people(kPopOrdinary); ++i) add_career_break(i);
  add_employer_settings();
  DIMONA_ASSERT(events_.size() - declaration_events == actions_.size());
  add_bad_actions();
}

// --- Flexi data: occupation quarters at the main employer, or the pension ----------

// Each quarter's occupation is recorded (DmfA) 15-45 days after it ends;
// quarters that ended before the stream starts are recorded on its first two
// days. So every record a FLX IN needs (T-3 at the latest, which ended two
// quarters before T) comes months before it.
void Planner::add_flexi_data(uint64_t i) {
  const uint32_t worker = population_first_[kPopFlexi] + static_cast<uint32_t>(i);
  const uint32_t b = period_first_[worker], e = period_first_[worker + 1];
  if (b == e) return;
  Rng rng = rng_for(Stream::kFlexiData, i);
  const int32_t y4 = options_.year * 4;
  int quarter_of_period[4] = {};
  int q_min = 3, q_max = 0;
  uint32_t flexi_employers[2] = {kNone, kNone};
  for (uint32_t k = b; k < e; ++k) {
    const Period& p = periods_[k];
    int q = 0;
    while (q < 3 && p.start >= cal_.quarter_first[q + 1]) ++q;
    ++quarter_of_period[q];
    q_min = std::min(q_min, q);
    q_max = std::max(q_max, q);
    if (flexi_employers[0] == kNone || flexi_employers[0] == p.employer)
      flexi_employers[0] = p.employer;
    else
      flexi_employers[1] = p.employer;
  }
  const auto history_time = [&] {
    const int32_t day = rng.between(0, 1);
    return at(day, rng.between(8 * kHour, 18 * kHour - 1));
  };

  // Pensioners (DOMAIN.md §3): pensioned by the end of T-2 of every quarter of Y.
  if (options_.year >= kFirstPensionerYear) {
    const CivilDate birth = birth_of(ssins_[worker], options_.year);
    if (birth.year <= options_.year - kPensionerAgeMin && rng.chance(kPensionerOfOld)) {
      const Date birthday_month = date_from_civil(birth.year, birth.month, 1);
      const Date earliest = first_of_month_plus(birthday_month, 60 * 12 + 1);
      const Date latest = date_from_civil(options_.year - 1, 9, 1);  // T-2 of Q1 ends on 30 September Y-1
      const int32_t age = rng.between(60, 65);
      if (earliest <= latest) {
        const Date pension = std::clamp(first_of_month_plus(birthday_month, age * 12 + 1), earliest, latest);
        const uint32_t time = history_time();
        add_action(time, ActionLine::kPensionStatus, ActionRecord{worker, kNone, 0, pension.days});
        return;
      }
    }
  }

  // The main employer: any ordinary employer, never one of the flexi employers.
  uint32_t main = kNone;
  for (int tries = 0; tries < 32 && main == kNone; ++tries) {
    const uint32_t o = rng.skewed(general_count_, 3);
    if (o != flexi_employers[0] && o != flexi_employers[1]) main = o;
  }
  for (uint32_t o = 0; main == kNone; ++o)
    if (o != flexi_employers[0] && o != flexi_employers[1]) main = o;

  // The main job's hourly rate: a stream of its own, so the fractions are those of before wages.
  Rng wage_rng = rng_for(Stream::kWages, worker);
  const int32_t hourly_cents = wage_rng.between(kMainJobHourlyCentsMin, kMainJobHourlyCentsMax);

  // The quarters T-5..T-3 of every quarter T worked: contiguous, at most six.
  const int32_t first = y4 + q_min - 5, last = y4 + q_max - 3;
  const auto n = static_cast<int32_t>(last - first + 1);
  DIMONA_ASSERT(n >= 3 && n <= 6);
  uint16_t fraction[6];
  const uint32_t group = rng.below(1000);
  if (group < kBelowPerMille) {
    const auto f = static_cast<uint16_t>(draw(rng, kBelowFractions));
    std::fill_n(fraction, n, f);
  } else if (group < kBelowPerMille + kReductionPerMille) {
    // Down at the start of T-4 or T-3 of a quarter T worked, still at least 0.80.
    int32_t t = 0;
    for (int32_t pick = rng.between(1, static_cast<int32_t>(e - b)), q = 0; q < 4; ++q) {
      pick -= quarter_of_period[q];
      if (pick <= 0) {
        t = y4 + q;
        break;
      }
    }
    const int32_t lower_from = t - 4 + static_cast<int32_t>(rng.below(2));
    const int32_t high = draw(rng, kBeforeReductionFractions);
    const int32_t low = rng.between(static_cast<int32_t>(kEligibleFractionMin), high - 50);
    for (int32_t k = 0; k < n; ++k) fraction[k] = static_cast<uint16_t>(first + k < lower_from ? high : low);
  } else {
    auto f = static_cast<uint16_t>(draw(rng, kEligibleFractions));
    std::fill_n(fraction, n, f);
    if (f <= 950 && rng.chance(kFractionRises)) {  // more hours from some quarter on: no reduction
      const int32_t from = rng.between(1, n - 1);
      f = static_cast<uint16_t>(rng.between(f + 50, 1000));
      std::fill(fraction + from, fraction + n, f);
    }
  }
  for (int32_t k = 0; k < n; ++k) {
    const int32_t quarter = first + k;
    const int32_t end = cal_.plan_day(first_day_of_quarter(quarter + 1)) - 1;
    uint32_t time;
    if (end < 0) {
      time = history_time();
    } else {
      const int32_t day = end + rng.between(15, 45);
      time = at(day, rng.between(8 * kHour, 18 * kHour - 1));
    }
    const int64_t cents = (int64_t{fraction[k]} * kFullTimeQuarterHours * hourly_cents + 500) / 1000;
    add_action(time, ActionLine::kOccupationQuarter,
               ActionRecord{worker, main, static_cast<uint32_t>(quarter), static_cast<int32_t>(cents)}, fraction[k]);
  }
  // What rule 13 makes of each FLX IN (its start quarter T).
  for (int q = 0; q < 4; ++q) {
    if (quarter_of_period[q] == 0) continue;
    const int32_t t = y4 + q;
    const uint16_t t3 = fraction[t - 3 - first], t4 = fraction[t - 4 - first], t5 = fraction[t - 5 - first];
    const bool eligible = t3 >= kEligibleFractionMin && (t < kReductionRuleQuarter || (t5 <= t4 && t4 <= t3));
    if (!eligible) flexi_ins_not_eligible_ += static_cast<uint64_t>(quarter_of_period[q]);
  }
}

// --- Students' gross wages: the DmfA of each quarter worked ---------------------------

// Per employer and quarter a student worked (valid periods, cancelled ones out),
// the hours the ledger counts (the UPDATE's, else the IN's) at that employer's
// hourly rate; the fraction is those hours of a full-time quarter. Recorded, as
// the flexi data, 15-45 days after the quarter ends.
void Planner::add_student_wages(uint64_t s) {
  const auto worker = static_cast<uint32_t>(population_first_[kPopStudents] + s);
  const uint32_t b = period_first_[worker], e = period_first_[worker + 1];
  struct Job {
    uint32_t employer;
    int32_t hourly_cents;
    int32_t hours[4];
  };
  Job jobs[kSlotsMax];
  int n = 0;
  Rng rng = rng_for(Stream::kWages, worker);
  for (uint32_t k = b; k < e; ++k) {
    const Period& p = periods_[k];
    DIMONA_ASSERT(is_student(p.profile));
    if (p.flags & kCancelled) continue;
    int j = 0;
    while (j < n && jobs[j].employer != p.employer) ++j;
    if (j == n) {
      DIMONA_ASSERT(n < kSlotsMax);
      jobs[n++] = Job{p.employer, rng.between(kStudentHourlyCentsMin, kStudentHourlyCentsMax), {}};
    }
    int q = 0;
    while (q < 3 && p.start >= cal_.quarter_first[q + 1]) ++q;
    jobs[j].hours[q] += p.changed_hours != 0 ? p.changed_hours : p.hours;
  }
  for (int j = 0; j < n; ++j) {
    for (int q = 0; q < 4; ++q) {
      const int32_t hours = jobs[j].hours[q];
      if (hours == 0) continue;
      const int64_t cents = int64_t{hours} * jobs[j].hourly_cents;
      DIMONA_ASSERT(cents < limits::quarterly_gross_wage_euros_max * 100);
      const int32_t permille =
          std::min(kStudentFractionPermilleMax, (hours * 1000 + kFullTimeQuarterHours / 2) / kFullTimeQuarterHours);
      const int32_t day = cal_.quarter_first[q + 1] - 1 + rng.between(15, 45);
      const uint32_t time = at(day, rng.between(8 * kHour, 18 * kHour - 1));
      add_action(time, ActionLine::kOccupationQuarter,
                 ActionRecord{worker, jobs[j].employer, static_cast<uint32_t>(options_.year * 4 + q),
                              static_cast<int32_t>(cents)},
                 static_cast<uint16_t>(permille));
    }
  }
}

// --- Attestations (seed 001, rule 11) ------------------------------------------------

// 1-3 requests for Y, in Y, most a few days before one of the student's
// periods starts; a few in December for Y+1 (allowed from 1 December).
void Planner::add_attestations(uint64_t s) {
  const int32_t y = options_.year;
  const std::optional<Date> known = quota_defined_on(y);
  if (!known || cal_.plan_day(*known) > cal_.year_first) return;  // the ledger could not answer
  Rng rng = rng_for(Stream::kAttestations, s);
  if (!rng.chance(share_of(options_.attestation_share))) return;
  const auto worker = static_cast<uint32_t>(population_first_[kPopStudents] + s);
  const uint32_t b = period_first_[worker], e = period_first_[worker + 1];
  const int32_t count = draw(rng, kAttestationsPerStudent);
  for (int32_t k = 0; k < count; ++k) {
    int32_t day;
    if (b < e && rng.chance(kAttestationBeforePeriod)) {
      const Period& p = periods_[b + rng.below(e - b)];
      day = p.start - rng.between(1, 10);
    } else {
      day = cal_.year_first + static_cast<int32_t>(rng.below(365));
    }
    day = std::clamp(day, cal_.year_first + 1, cal_.year_last);  // never on 1 January: the quota is defined then
    const uint32_t time = at(day, rng.between(7 * kHour, 23 * kHour - 1));
    add_action(time, ActionLine::kAttestationRequest, ActionRecord{worker, kNone, static_cast<uint32_t>(y), 0});
  }
  const int32_t december = cal_.plan_day(date_from_civil(y, 12, 1));
  const std::optional<Date> next = quota_defined_on(y + 1);
  if (rng.chance(kNextYearAttestation) && next && cal_.plan_day(*next) < december) {
    const int32_t day = december + static_cast<int32_t>(rng.below(31));
    const uint32_t time = at(day, rng.between(7 * kHour, 23 * kHour - 1));
    add_action(time, ActionLine::kAttestationRequest, ActionRecord{worker, kNone, static_cast<uint32_t>(y + 1), 0});
  }
}

// --- Data-access consent (seed 003, rule 12) -----------------------------------------

// The employer of the person's first period asks, 1-5 days before its IN;
// the citizen grants (80 %, within 3 days), refuses (10 %) or never answers;
// 5 % of grants are revoked 1-26 days later (before any grant expires).
void Planner::add_data_access(uint32_t worker, bool student) {
  const uint32_t b = period_first_[worker], e = period_first_[worker + 1];
  if (b == e) return;
  Rng rng = rng_for(Stream::kDataAccess, worker);
  if (!rng.chance(share_of(options_.data_access_share))) return;
  uint32_t first = b;
  for (uint32_t k = b + 1; k < e; ++k)
    if (periods_[k].in_time < periods_[first].in_time) first = k;
  const Period& p = periods_[first];
  const int32_t day = std::max(0, day_of(p.in_time) - rng.between(1, 5));
  const uint32_t time = at(day, rng.between(8 * kHour, 18 * kHour - 1));
  DIMONA_ASSERT(time < p.in_time);
  const uint32_t r = requests_++;
  const uint16_t aux = static_cast<uint16_t>((student ? 1u : 0u) | (rng.chance(kLinkChannel) ? 2u : 0u));
  add_action(time, ActionLine::kDataAccessRequest, ActionRecord{worker, p.employer, r, 0}, aux);
  const uint32_t fate = rng.below(1000);
  if (fate >= kGrantPerMille + kRefusalPerMille) return;
  const uint32_t answer = later(rng, time, 0, 3, kCitizenHours);
  const ActionRecord record{worker, p.employer, r, 0};
  answers_.push_back(Answer{answer, worker, r});
  if (fate >= kGrantPerMille) {
    add_action(answer, ActionLine::kDataAccessRefusal, record);
    return;
  }
  add_action(answer, ActionLine::kDataAccessGrant, record);
  if (rng.chance(kRevoked)) add_action(later(rng, answer, 1, 26, kCitizenHours), ActionLine::kDataAccessRevocation, record);
}

// --- Career breaks (seed 004, rule 15) -------------------------------------------------

void Planner::add_career_break(uint64_t i) {
  const uint32_t worker = population_first_[kPopOrdinary] + static_cast<uint32_t>(i);
  const uint32_t b = period_first_[worker];
  if (b == period_first_[worker + 1]) return;
  Rng rng = rng_for(Stream::kCareerBreak, i);
  const Period& contract = periods_[b];
  if (rng.chance(share_of(options_.career_break_share))) return add_career_break_request(rng, worker, contract);
  // Only to employers that accept notifications: scaled so the share is of all workers.
  const double notify = std::min(1.0, options_.career_break_notification_share / kAcceptsNotificationsShare);
  if (accepts_notifications(contract.employer) && rng.chance(share_of(notify)))
    add_career_break_notification(rng, worker, contract);
}

// The employer's part, from a week after the contract starts; the break
// starts on the first of a month 4-6 months later. Then: an attachment
// (20 %), cancelled (10 %), or an end-date change (15 %) and the employee's
// part (89 % of the rest) 9-25 days after the request, and ONEM's decision
// 2-6 weeks after that.
void Planner::add_career_break_request(Rng& rng, uint32_t worker, const Period& contract) {
  const int32_t first = contract.start + 7;
  if (first > cal_.year_last) return;
  const int32_t day = rng.between(first, cal_.year_last);
  const uint32_t t0 = at(day, rng.between(kOfficeHours.first * kHour, kOfficeHours.last * kHour - 1));
  const uint32_t shape = draw_leave(rng);
  const int32_t months = rng.between(kLeaveShapes[shape].months_min, kLeaveShapes[shape].months_max);
  const Date start = first_of_month_plus(cal_.date(day), rng.between(4, 6));
  const bool multiple = rng.chance(kMultipleEmployers);
  const uint32_t employer = contract.employer;
  const auto t = static_cast<uint32_t>(tickets_.size());
  tickets_.push_back(TicketPlan{worker, employer, t0, 0, 0, false});
  has_settings_[employer] = true;
  const ActionRecord record{worker, employer, t, 0};
  add_action(t0, ActionLine::kCareerBreakRequest, ActionRecord{worker, employer, t, start.days},
             break_aux(shape, months, multiple));
  if (rng.chance(kBreakAttachment))
    add_action(later(rng, t0, 0, 3, kOfficeHours), ActionLine::kCareerBreakAttachment, record,
               static_cast<uint16_t>(shape));
  if (rng.chance(kBreakCancelled)) {
    add_action(later(rng, t0, 4, 15, kOfficeHours), ActionLine::kCareerBreakCancellation, record);
    tickets_[t].cancelled = true;
    return;
  }
  if (rng.chance(kBreakEndDateChanged)) {
    const int32_t change = rng.between(1, 3);
    int32_t changed = rng.chance(per_mille(500)) ? months + change : months - change;
    if (changed < 1) changed = months + change;
    const Date end = Date{first_of_month_plus(start, changed).days - 1};
    add_action(later(rng, t0, 4, 8, kOfficeHours), ActionLine::kCareerBreakEndDate,
               ActionRecord{worker, employer, t, end.days});
  }
  if (!rng.chance(kEmployeePartOfOpen)) return;
  const uint32_t part = later(rng, t0, 9, 25, kCitizenHours);
  add_action(part, ActionLine::kCareerBreakEmployeePart, record);
  const uint32_t decision = later(rng, part, 14, 42, kOfficeHours);
  add_action(decision, ActionLine::kOnemDecision, record, rng.chance(kOnemGranted) ? 0 : 1);
  tickets_[t].employee_part_time = part;
  tickets_[t].decision_time = decision;
}

// A notification by the employee (from 21 January, once the employer's
// settings are in, and a week into the contract), for a break from the first
// of a month 4-6 months later; an attachment (10 %), a postponement (20 %),
// then validated (70 %) or refused 1-3 weeks later.
void Planner::add_career_break_notification(Rng& rng, uint32_t worker, const Period& contract) {
  const int32_t first = std::max(contract.start + 7, cal_.year_first + kSettingsLastDay + 1);
  if (first > cal_.year_last) return;
  const int32_t day = rng.between(first, cal_.year_last);
  const uint32_t employer = contract.employer;
  has_settings_[employer] = true;
  const uint32_t n = add_notification(rng, worker, employer, day, kValid);
  const ActionRecord created = actions_.back();
  const uint32_t t0 = events_.back().time;
  const uint16_t shape = static_cast<uint16_t>(break_shape(events_.back().aux));
  const ActionRecord record{worker, employer, n, 0};
  if (rng.chance(kNotificationAttachment))
    add_action(later(rng, t0, 0, 2, kOfficeHours), ActionLine::kCareerBreakAttachment, record,
               static_cast<uint16_t>(shape | kAttachmentToNotification));
  if (rng.chance(kPostponed)) {
    const Date from = first_of_month_plus(Date{created.date}, rng.between(1, 3));
    add_action(later(rng, t0, 2, 6, kOfficeHours), ActionLine::kCareerBreakPostponement,
               ActionRecord{worker, employer, n, from.days});
  }
  const uint32_t close = later(rng, t0, 7, 20, kOfficeHours);
  add_action(close,
             rng.chance(kValidated) ? ActionLine::kCareerBreakNotificationValidation
                                    : ActionLine::kCareerBreakNotificationRefusal,
             record);
}

uint32_t Planner::add_notification(Rng& rng, uint32_t worker, uint32_t employer, int32_t day, uint8_t flaw) {
  const uint32_t time = at(day, rng.between(kCitizenHours.first * kHour, kCitizenHours.last * kHour - 1));
  const uint32_t shape = draw_leave(rng);
  const int32_t months = rng.chance(kNotificationEndDate)
                             ? rng.between(kLeaveShapes[shape].months_min, kLeaveShapes[shape].months_max)
                             : 0;
  const Date start = first_of_month_plus(cal_.date(day), rng.between(4, 6));
  const uint32_t n = notifications_++;
  add_action(time, ActionLine::kCareerBreakNotification, ActionRecord{worker, employer, n, start.days},
             break_aux(shape, months, false), flaw);
  return n;
}

// One settings line for every employer in a career-break action, 2-20 January.
void Planner::add_employer_settings() {
  for (uint32_t o = 0; o < orgs_.size(); ++o) {
    if (!has_settings_[o]) continue;
    Rng rng = rng_for(Stream::kEmployerSettings, o);
    const int32_t day = cal_.year_first + rng.between(1, kSettingsLastDay);
    const uint32_t time = at(day, rng.between(8 * kHour, 18 * kHour - 1));
    const auto contact = static_cast<uint32_t>(rng.next() >> 32);
    add_action(time, ActionLine::kEmployerSettings, ActionRecord{kNone, o, contact, 0},
               accepts_notifications(o) ? 1 : 0);
  }
}

// --- Bad actions: each refused on its own, none changing another line's fate ----------

constexpr Bucket kBadActionWeights[] = {{20, 0, 0}, {20, 1, 1}, {20, 2, 2}, {15, 3, 3}, {10, 4, 4}, {15, 5, 5}};
static_assert(std::size(kBadActionWeights) == kBadActions);

void Planner::add_bad_actions() {
  const uint64_t valid = actions_.size();
  const auto ppm = static_cast<uint64_t>(std::llround(options_.bad_share * 1e6));
  const uint64_t bad = ppm == 0 ? 0 : (valid * ppm + (1'000'000 - ppm) / 2) / (1'000'000 - ppm);
  Rng rng = rng_for(Stream::kActionBad, 0);
  for (uint64_t k = 0; k < bad; ++k) {
    const auto reason = static_cast<BadAction>(draw(rng, kBadActionWeights));
    if (!add_bad_action(rng, reason)) add_bad_action(rng, BadAction::kUnknownToken);  // tiny streams
  }
}

bool Planner::add_bad_action(Rng& rng, BadAction reason) {
  const uint8_t flaw = flaw_of(reason);
  const int32_t y = options_.year;
  switch (reason) {
    case BadAction::kYearNotAvailable: {
      // Y+1 before December, once the ledger knows Y+1's quota (else the
      // refusal would be quotaUnknown); when it learns it only in December, Y-1.
      int32_t year = y + 1, first = cal_.year_first + 1;
      const int32_t last = cal_.plan_day(date_from_civil(y, 12, 1)) - 1;
      const std::optional<Date> next = quota_defined_on(y + 1);
      if (next) first = std::max(first, cal_.plan_day(*next) + 1);
      if (!next || first > last) {
        if (!quota_defined_on(y - 1)) return false;
        year = y - 1;
        first = cal_.year_first + 1;
      }
      const uint32_t worker = population_first_[kPopStudents] + rng.below(people(kPopStudents));
      const int32_t day = rng.between(first, last);
      const uint32_t time = at(day, rng.between(7 * kHour, 23 * kHour - 1));
      add_action(time, ActionLine::kAttestationRequest, ActionRecord{worker, kNone, static_cast<uint32_t>(year), 0},
                 0, flaw);
      return true;
    }
    case BadAction::kTokenAlreadyUsed: {
      if (answers_.empty()) return false;
      const Answer a = answers_[rng.below(answers_.size())];
      add_action(later(rng, a.time, 0, 10, kCitizenHours), ActionLine::kDataAccessGrant,
                 ActionRecord{a.worker, kNone, a.request, 0}, 0, flaw);
      return true;
    }
    case BadAction::kUnknownToken: {
      const uint32_t students = people(kPopStudents), flexi = people(kPopFlexi);
      const uint32_t pick = rng.below(students + flexi);
      const uint32_t worker =
          pick < students ? population_first_[kPopStudents] + pick : population_first_[kPopFlexi] + pick - students;
      const int32_t day = rng.between(cal_.year_first, cal_.year_last);
      const uint32_t time = at(day, rng.between(7 * kHour, 23 * kHour - 1));
      add_action(time, ActionLine::kDataAccessGrant, ActionRecord{worker, kNone, unknown_tokens_++, 0}, 0, flaw);
      return true;
    }
    case BadAction::kEmployeePartCompleted:
    case BadAction::kEmployeePartNotCompleted:
    case BadAction::kNotificationsNotAccepted: {
      if (tickets_.empty()) return false;
      for (int tries = 0; tries < 64; ++tries) {
        const auto t = static_cast<uint32_t>(rng.below(tickets_.size()));
        const TicketPlan& plan = tickets_[t];
        const ActionRecord record{plan.worker, plan.employer, t, 0};
        if (reason == BadAction::kEmployeePartCompleted) {
          if (plan.employee_part_time == 0) continue;  // between the employee's part and ONEM's decision (14+ days)
          const uint32_t time = later(rng, plan.employee_part_time, 0, 12, kOfficeHours);
          DIMONA_ASSERT(time < plan.decision_time);
          add_action(time, ActionLine::kCareerBreakCancellation, record, 0, flaw);
          return true;
        }
        if (reason == BadAction::kEmployeePartNotCompleted) {
          if (plan.cancelled) continue;  // while the request waits for the employee's part (9+ days)
          const uint32_t time = later(rng, plan.request_time, 1, plan.employee_part_time != 0 ? 7 : 30, kOfficeHours);
          DIMONA_ASSERT(plan.employee_part_time == 0 || time < plan.employee_part_time);
          add_action(time, ActionLine::kOnemDecision, record, rng.chance(kOnemGranted) ? 0 : 1, flaw);
          return true;
        }
        // An employee of an employer whose settings (in by 20 January) refuse notifications.
        if (accepts_notifications(plan.employer)) continue;
        const int32_t first = std::max(day_of(plan.request_time) + 1, cal_.year_first + kSettingsLastDay + 1);
        if (first > cal_.year_last) continue;
        const int32_t day = rng.between(first, cal_.year_last);
        add_notification(rng, plan.worker, plan.employer, day, flaw);
        return true;
      }
      return false;
    }
  }
  return false;
}

Status Planner::check_action_ids() const {
  namespace lim = generator_limits;
  if (requests_ > lim::requests_per_year_max || tickets_.size() > lim::tickets_per_year_max ||
      notifications_ > lim::notifications_per_year_max)
    return invalid_argument("the options give more actions than a year's action id space holds");
  return Status::ok();
}

// Lines each kind of person gives on average with the default shape (docs/generator.md);
// only used to size the vectors once, so a wrong guess costs a reallocation.
constexpr double kLinesPerStudent = 12.5, kLinesPerInterim = 36, kLinesPerFlexi = 26, kLinesPerOccasional = 7,
                 kLinesPerOrdinary = 1.6;
constexpr double kActionsPerStudent = 3.3 /* 2.37 of them occupation quarters */, kActionsPerFlexi = 4.6, kActionsPerOrdinary = 0.09;

void Planner::reserve() {
  const auto n = static_cast<double>(options_.students);
  const double lines = n * (kLinesPerStudent + kLinesPerInterim * options_.interim_workers_per_student +
                            kLinesPerFlexi * options_.flexi_workers_per_student +
                            kLinesPerOccasional * options_.occasional_workers_per_student +
                            kLinesPerOrdinary * options_.ordinary_workers_per_student);
  const double capped = std::min(lines * (1.02 + options_.bad_share), 1.3 * generator_limits::periods_per_year_max);
  const auto expected = static_cast<size_t>(capped);
  const double actions = options_.actions ? n * (kActionsPerStudent + kActionsPerFlexi * options_.flexi_workers_per_student +
                                                 kActionsPerOrdinary * options_.ordinary_workers_per_student)
                                          : 0.0;
  const auto expected_actions = static_cast<size_t>(actions * (1.02 + options_.bad_share));
  events_.reserve(expected + expected_actions);
  actions_.reserve(expected_actions);
  periods_.reserve(expected * 85 / 100);
}

Status Planner::plan() {
  build_world();
  reserve();
  const uint64_t n = options_.students;
  const auto first_of = [this](Population p) { population_first_[p] = static_cast<uint32_t>(ssins_.size()); };
  first_of(kPopStudents);
  for (uint64_t s = 0; s < n; ++s) add_student(s);
  first_of(kPopInterim);
  const uint64_t interim = per_student(n, options_.interim_workers_per_student);
  for (uint64_t i = 0; i < interim; ++i) add_interim_worker(i);
  first_of(kPopFlexi);
  const uint64_t flexi = per_student(n, options_.flexi_workers_per_student);
  for (uint64_t i = 0; i < flexi; ++i) add_flexi_worker(i);
  first_of(kPopOccasional);
  const uint64_t occasional = per_student(n, options_.occasional_workers_per_student);
  for (uint64_t i = 0; i < occasional; ++i) add_occasional_worker(i);
  first_of(kPopOrdinary);
  const uint64_t ordinary = per_student(n, options_.ordinary_workers_per_student);
  for (uint64_t i = 0; i < ordinary; ++i) add_ordinary_worker(i);
  first_of(kPopulations);
  if (periods_.empty()) return invalid_argument("the options give an empty year");
  add_bad_lines();
  if (periods_.size() > generator_limits::periods_per_year_max)
    return invalid_argument("the options give more periods than a year's period id space holds");
  if (ssins_exhausted_) return invalid_argument("the options give more people than a birth-year range has SSINs");
  if (options_.actions) {
    add_actions();
    DIMONA_TRY(check_action_ids());
  }
  return Status::ok();
}

// Folds the valid student periods the way a ledger would (DOMAIN.md §8).
GeneratorStats Planner::student_stats() const {
  GeneratorStats stats;
  stats.quota_hours = quota_of(options_.year);
  std::vector<uint32_t> hours_of(ssins_.size(), 0);
  for (const Period& p : periods_) {
    if (p.flags & kBadCopy) continue;
    if (is_interim(p.profile)) {
      ++stats.interim_periods;
      if (p.start == p.end) ++stats.interim_daily_periods;
    }
    if (!is_student(p.profile)) continue;
    ++stats.student_periods;
    if (p.flags & kCancelled) continue;
    const uint32_t hours = p.changed_hours != 0 ? p.changed_hours : p.hours;
    stats.student_hours_by_quarter[quarter_of(cal_.date(p.start)) - 1] += hours;
    if (is_interim(p.profile)) stats.student_interim_hours += hours;
    hours_of[p.worker] += hours;
  }
  for (const uint32_t h : hours_of) stats.students_over_quota += h > stats.quota_hours ? 1 : 0;
  return stats;
}

// Stable LSD radix sort on the time: 11 bits a pass, creation order kept for
// equal times (an IN is created before anything that refers to it).
void sort_by_time(std::vector<Event>& events) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  uint32_t max_time = 0;
  for (const Event& e : events) max_time = std::max(max_time, e.time);
  std::vector<Event> scratch(events.size());
  for (int shift = 0; shift < 32 && (max_time >> shift) != 0; shift += kBits) {
    std::vector<size_t> offset(kBuckets + 1, 0);
    for (const Event& e : events) ++offset[((e.time >> shift) & (kBuckets - 1)) + 1];
    for (size_t b = 1; b <= kBuckets; ++b) offset[b] += offset[b - 1];
    for (const Event& e : events) scratch[offset[(e.time >> shift) & (kBuckets - 1)]++] = e;
    events.swap(scratch);
  }
}

// ----------------------------------------------------------------------------
// Printing: a hand-rolled buffer, whole lines, chunks to the sink.

// How far ahead of the line being printed its period is fetched into the cache.
constexpr size_t kPrefetchEvents = 16;

class Printer {
 public:
  Printer(const Planner& plan, const std::function<Status(std::string_view)>& sink, GeneratorStats& stats);
  Status print(const std::vector<Event>& events);

 private:
  template <size_t N>
  void lit(const char (&s)[N]) {
    std::memcpy(cursor_, s, N - 1);
    cursor_ += N - 1;
  }
  void text(std::string_view s) {
    std::memcpy(cursor_, s.data(), s.size());
    cursor_ += s.size();
  }
  void digits(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) cursor_[i] = static_cast<char>('0' + v % 10);
    cursor_ += width;
  }
  void number(uint64_t v) {
    int width = 1;
    for (uint64_t t = v; t >= 10; t /= 10) ++width;
    digits(v, width);
  }
  void date(int32_t day) {
    DIMONA_ASSERT(day >= 0 && day < kDayTableDays);
    std::memcpy(cursor_, &dates_[static_cast<size_t>(day) * 10], 10);
    cursor_ += 10;
  }
  void print_line(const Event& e);
  void print_recorded_at(uint32_t time);
  void print_employer(const Period& p, uint8_t flaw);
  void print_organisation(uint32_t org);
  // Actions.
  void print_action(const Event& e);
  void print_action_body(ActionLine line, const ActionRecord& a, const Event& e);
  void print_any_date(int32_t days);  // a quoted date, any day
  void print_id(uint64_t id);         // a quoted 12-digit id
  void print_token(uint64_t index);   // a quoted data-access token
  void print_permille(uint32_t permille);
  void print_cents(int32_t cents);
  void print_employer_settings(const ActionRecord& a, const Event& e);
  void print_in(const Period& p, uint32_t index, uint8_t flaw);
  void print_update(const Period& p, const Event& e);
  void print_using_employer(uint32_t user);
  void print_address(const Organisation& org, uint32_t salt);
  void print_period_id(uint32_t index, uint8_t flaw);
  void count(const Event& e);
  bool follow_up_names_employer(const Event& e) const {
    return (mix(plan_.options().seed ^ e.period, static_cast<uint64_t>(e.kind)) >> 32) < employer_share_.threshold;
  }

  const Planner& plan_;
  const std::function<Status(std::string_view)>& sink_;
  GeneratorStats& stats_;
  Share employer_share_;
  std::vector<char> dates_;
  std::unique_ptr<char[]> buffer_;
  char* cursor_;
};

Printer::Printer(const Planner& plan, const std::function<Status(std::string_view)>& sink, GeneratorStats& stats)
    : plan_(plan),
      sink_(sink),
      stats_(stats),
      employer_share_(share_of(plan.options().employer_on_follow_up_share)),
      dates_(static_cast<size_t>(kDayTableDays) * 10),
      buffer_(std::make_unique<char[]>(generator_limits::chunk_bytes + generator_limits::line_bytes_max)),
      cursor_(buffer_.get()) {
  for (int32_t d = 0; d < kDayTableDays; ++d)
    format_date(plan.calendar().date(d), &dates_[static_cast<size_t>(d) * 10]);
}

Status Printer::print(const std::vector<Event>& events) {
  const std::vector<Period>& periods = plan_.periods();
  for (size_t i = 0; i < events.size(); ++i) {
    // Events are in time order, periods in creation order: fetch ahead.
    if (i + kPrefetchEvents < events.size() && !is_action(events[i + kPrefetchEvents].kind))
      __builtin_prefetch(&periods[events[i + kPrefetchEvents].period]);
    const Event& e = events[i];
    char* const line = cursor_;
    print_line(e);
    DIMONA_ASSERT(static_cast<size_t>(cursor_ - line) <= generator_limits::line_bytes_max);
    if (e.flaw == flaw_of(MalformedKind::kTruncated)) {  // stop inside the JSON, keep the line
      const auto length = static_cast<uint32_t>(cursor_ - line - 1);
      cursor_ = line + 10 + e.aux % (length - 12);
      *cursor_++ = '\n';
    }
    stats_.bytes += static_cast<uint64_t>(cursor_ - line);
    count(e);
    if (static_cast<size_t>(cursor_ - buffer_.get()) >= generator_limits::chunk_bytes) {
      DIMONA_TRY(sink_(std::string_view(buffer_.get(), static_cast<size_t>(cursor_ - buffer_.get()))));
      cursor_ = buffer_.get();
    }
  }
  if (cursor_ != buffer_.get())
    DIMONA_TRY(sink_(std::string_view(buffer_.get(), static_cast<size_t>(cursor_ - buffer_.get()))));
  cursor_ = buffer_.get();
  return Status::ok();
}

void Printer::count(const Event& e) {
  ++stats_.lines;
  if (is_action(e.kind)) {
    ++stats_.actions;
    ++stats_.actions_by_kind[static_cast<size_t>(action_line_of(e.kind))];
    if (e.flaw != kValid) {
      ++stats_.bad_actions;
      ++stats_.bad_actions_by_reason[e.flaw - 1];
    }
    return;
  }
  if (is_malformed(e.flaw)) {
    ++stats_.malformed;
    ++stats_.malformed_by_kind[e.flaw - kMalformedFlaw];
    return;
  }
  ++stats_.by_kind[static_cast<size_t>(e.kind)];
  if (is_bad(e.flaw)) {
    ++stats_.bad;
    ++stats_.bad_by_rule[e.flaw - 1];
  }
}

void Printer::print_line(const Event& e) {
  if (is_action(e.kind)) return print_action(e);
  const Period& p = plan_.periods()[e.period];
  *cursor_++ = '{';
  const bool in = e.kind == kind_of(DeclarationKind::kIn);
  if (in || follow_up_names_employer(e)) {
    print_employer(p, e.flaw);
    *cursor_++ = ',';
  }
  switch (static_cast<DeclarationKind>(e.kind)) {
    case DeclarationKind::kIn: print_in(p, e.period, e.flaw); break;
    case DeclarationKind::kUpdate: print_update(p, e); break;
    case DeclarationKind::kOut:
      lit("\"dimonaOut\":{");
      print_period_id(e.period, e.flaw);
      lit(",\"endDate\":\"");
      date(p.changed_end != kNoDay ? p.changed_end : p.end != kOpenDay ? p.end : p.start);
      lit("\"}");
      break;
    case DeclarationKind::kCancel:
      lit("\"dimonaCancel\":{");
      print_period_id(e.period, e.flaw);
      *cursor_++ = '}';
      break;
  }
  print_recorded_at(e.time);
}

void Printer::print_recorded_at(uint32_t time) {
  lit(",\"recordedAt\":\"");
  const auto day = static_cast<int32_t>(time / kSecondsPerDay);
  const uint32_t second = time % kSecondsPerDay;
  date(day);
  *cursor_++ = 'T';
  digits(second / 3600, 2);
  *cursor_++ = ':';
  digits(second / 60 % 60, 2);
  *cursor_++ = ':';
  digits(second % 60, 2);
  lit("Z\"}\n");
}

void Printer::print_employer(const Period& p, uint8_t flaw) {
  if (flaw == flaw_of(BadRule::kInvalidEnterpriseNumber)) {
    lit("\"employer\":{\"enterpriseNumber\":\"");
    digits(corrupt_enterprise_number(plan_.organisations()[p.employer].enterprise_number), 10);
    lit("\"}");
  } else {
    print_organisation(p.employer);
  }
}

void Printer::print_organisation(uint32_t index) {
  const Organisation& org = plan_.organisations()[index];
  if (org.nsso_number != 0) {
    lit("\"employer\":{\"employerId\":");
    number(org.nsso_number);
    *cursor_++ = '}';
  } else {
    lit("\"employer\":{\"enterpriseNumber\":\"");
    digits(org.enterprise_number, 10);
    lit("\"}");
  }
}

void Printer::print_period_id(uint32_t index, uint8_t flaw) {
  lit("\"periodId\":");
  if (flaw == flaw_of(BadRule::kUnknownPeriod))
    number(dimona_id_from_body(kUnknownPeriodBodyBase + index));
  else
    number(plan_.period_id(index));
}

void Printer::print_in(const Period& p, uint32_t index, uint8_t flaw) {
  const uint64_t ssin = plan_.ssins()[p.worker];
  lit("\"worker\":{\"ssin\":\"");
  digits(flaw == flaw_of(BadRule::kInvalidSsin) ? corrupt_ssin(ssin) : ssin, 11);
  lit("\"},\"dimonaIn\":{\"features\":{\"jointCommissionNumber\":\"");
  text(is_interim(p.profile) ? "322"
                             : kSectorJointCommission[static_cast<int>(plan_.organisations()[p.employer].sector)]);
  lit("\",\"workerType\":\"");
  text(worker_type(p.profile));
  lit("\"},\"startDate\":\"");
  date(p.start);
  if (p.end != kOpenDay) {
    lit("\",\"endDate\":\"");
    date(p.end);
  }
  *cursor_++ = '"';
  if (p.start_hour != kNoHour) {
    lit(",\"startHour\":\"");
    digits(p.start_hour, 4);
    lit("\",\"endHour\":\"");
    digits(p.end_hour, 4);
    *cursor_++ = '"';
  }
  if (p.flags & kHasHours) {
    if (flaw == flaw_of(MalformedKind::kUnknownField))
      lit(",\"plannedHours\":");
    else
      lit(",\"plannedHoursNumber\":");
    if (flaw == flaw_of(MalformedKind::kWrongType)) *cursor_++ = '"';
    number(p.hours);
    if (flaw == flaw_of(MalformedKind::kWrongType)) *cursor_++ = '"';
  }
  *cursor_++ = ',';
  print_period_id(index, kValid);
  if (p.user_company != kNone) print_using_employer(p.user_company);
  if (p.flags & kPlaceOfWork) {
    const Organisation& org = plan_.organisations()[p.employer];
    lit(",\"studentPlaceOfWork\":{\"name\":\"");
    text(kNames[p.employer % std::size(kNames)]);
    *cursor_++ = ' ';
    text(kMunicipalities[org.municipality].name);
    lit("\",");
    print_address(org, p.worker);
    *cursor_++ = '}';
  }
  *cursor_++ = '}';
}

void Printer::print_using_employer(uint32_t user) {
  const Organisation& org = plan_.organisations()[user];
  lit(",\"usingEmployer\":{");
  if (org.by_name) {
    lit("\"name\":\"");
    text(kNames[user % std::size(kNames)]);
    *cursor_++ = ' ';
    number(user);
    lit("\",");
    print_address(org, user);
  } else {
    lit("\"enterpriseNumber\":\"");
    digits(org.enterprise_number, 10);
    *cursor_++ = '"';
  }
  lit(",\"jointCommissionNumber\":\"");
  text(kSectorJointCommission[static_cast<int>(org.sector)]);
  lit("\"}");
}

void Printer::print_address(const Organisation& org, uint32_t salt) {
  const Municipality& m = kMunicipalities[org.municipality];
  lit("\"address\":{\"street\":\"");
  text(kStreets[salt % std::size(kStreets)]);
  lit("\",\"houseNumber\":\"");
  number(1 + salt % 180);
  lit("\",\"postCode\":\"");
  text(m.post_code);
  lit("\",\"municipality\":{\"code\":");
  number(static_cast<uint64_t>(m.nis_code));
  lit(",\"name\":\"");
  text(m.name);
  lit("\"},\"country\":");
  number(kBelgiumCountryCode);
  *cursor_++ = '}';
}

void Printer::print_update(const Period& p, const Event& e) {
  lit("\"dimonaUpdate\":{");
  print_period_id(e.period, e.flaw);
  if (e.flaw == flaw_of(BadRule::kStudentStartDateChanged)) {
    lit(",\"startDate\":\"");
    date(p.start + 1);
    *cursor_++ = '"';
  } else if (e.flaw == flaw_of(BadRule::kHoursOutOfDomain)) {
    lit(",\"plannedHoursNumber\":");
    number(e.aux);
  } else if (e.flaw == flaw_of(BadRule::kUnknownPeriod)) {
    if (p.flags & kHasHours) {
      lit(",\"plannedHoursNumber\":");
      number(p.hours);
    } else {
      lit(",\"endDate\":\"");
      date(p.end != kOpenDay ? p.end : p.start + 30);
      *cursor_++ = '"';
    }
  } else {
    if (p.flags & kRepeatStart) {
      lit(",\"startDate\":\"");
      date(p.start);
      *cursor_++ = '"';
    }
    if (p.flags & kUpdateEnd) {
      lit(",\"endDate\":\"");
      date(p.changed_end);
      *cursor_++ = '"';
    }
    if (p.changed_end_hour != kNoHour) {
      lit(",\"endHour\":\"");
      digits(p.changed_end_hour, 4);
      *cursor_++ = '"';
    }
    if (p.changed_hours != 0) {
      lit(",\"plannedHoursNumber\":");
      number(p.changed_hours);
    }
  }
  *cursor_++ = '}';
}

// --- Printing actions ----------------------------------------------------------------

// Which envelope parts each action line carries (docs/actions.md).
struct Parties {
  bool employer;
  bool worker;
};
constexpr Parties kActionParties[kActionLines] = {
    {false, true},   // attestationRequest
    {true, false},   // dataAccessRequest
    {false, true},   // dataAccessGrant
    {false, true},   // dataAccessRefusal
    {false, true},   // dataAccessRevocation
    {true, true},    // occupationQuarter
    {false, true},   // pensionStatus
    {true, false},   // employerSettings
    {true, true},    // careerBreakRequest
    {false, true},   // careerBreakEmployeePart
    {true, false},   // careerBreakCancellation
    {true, false},   // careerBreakEndDate
    {true, false},   // careerBreakAttachment
    {false, false},  // onemDecision
    {true, true},    // careerBreakNotification
    {true, false},   // careerBreakPostponement
    {true, false},   // careerBreakNotificationRefusal
    {true, false},   // careerBreakNotificationValidation
    {false, true},   // inboxArchive: never generated (its messageId is the id the ledger gives an attestation)
    {false, true},   // dataConsultation: never generated (server-internal: the ledger writes it as it answers a read)
    {false, true},   // interimOverviewSend: never generated (a worker's request for a copy changes no figure)
};

// Employer settings: a contact person, an address at the firm's domain, a phone.
struct Contact {
  std::string_view name;
  std::string_view mailbox;
};
constexpr Contact kContacts[] = {{"Marie Dubois", "marie.dubois"},     {"Jan Peeters", "jan.peeters"},
                                 {"Sofie Janssens", "sofie.janssens"}, {"Luc Lambert", "luc.lambert"},
                                 {"Nathalie Maes", "nathalie.maes"},   {"Pieter Jacobs", "pieter.jacobs"},
                                 {"Isabelle Dupont", "isabelle.dupont"}, {"Koen Mertens", "koen.mertens"}};
constexpr std::string_view kDomains[] = {"brasserie-peeters", "bakkerij-willems",   "garage-maes", "magasin-lambert",
                                         "atelier-jacobs",    "drukkerij-goossens", "ets-dubois",  "transport-claes"};
static_assert(std::size(kDomains) == std::size(kNames));
constexpr std::string_view kSectorNames[] = {"Retail",       "Horeca",       "Agriculture", "Horticulture",
                                             "Construction", "Transport",    "Electrical installation"};

void Printer::print_action(const Event& e) {
  const ActionRecord& a = plan_.actions()[e.period];
  const ActionLine line = action_line_of(e.kind);
  const Parties parties = kActionParties[static_cast<size_t>(line)];
  *cursor_++ = '{';
  if (parties.employer) {
    print_organisation(a.employer);
    *cursor_++ = ',';
  }
  if (parties.worker) {
    lit("\"worker\":{\"ssin\":\"");
    digits(plan_.ssins()[a.worker], 11);
    lit("\"},");
  }
  *cursor_++ = '"';
  text(action_line_key(line));
  lit("\":{");
  print_action_body(line, a, e);
  *cursor_++ = '}';
  print_recorded_at(e.time);
}

void Printer::print_action_body(ActionLine line, const ActionRecord& a, const Event& e) {
  switch (line) {
    case ActionLine::kAttestationRequest:
      lit("\"year\":");
      number(a.ref);
      return;
    case ActionLine::kDataAccessRequest:
      lit("\"scope\":\"");
      text((e.aux & 1u) != 0 ? "STUDENT_BALANCE" : "FLEXI");
      lit("\",\"channel\":\"");
      text((e.aux & 2u) != 0 ? "LINK" : "QR");
      lit("\",\"requestId\":");
      print_id(plan_.request_id(a.ref));
      lit(",\"token\":");
      print_token(a.ref);
      return;
    case ActionLine::kDataAccessGrant:
    case ActionLine::kDataAccessRefusal:
      lit("\"token\":");
      print_token(e.flaw == flaw_of(BadAction::kUnknownToken) ? kUnknownTokenIndexBase + a.ref : a.ref);
      return;
    case ActionLine::kDataAccessRevocation:
      lit("\"requestId\":");
      print_id(plan_.request_id(a.ref));
      return;
    case ActionLine::kOccupationQuarter:
      lit("\"year\":");
      number(a.ref / 4);
      lit(",\"quarter\":");
      number(a.ref % 4 + 1);
      lit(",\"fraction\":");
      print_permille(e.aux);
      lit(",\"grossWage\":");
      print_cents(a.date);
      return;
    case ActionLine::kPensionStatus:
      lit("\"pensionedAsOf\":");
      print_any_date(a.date);
      return;
    case ActionLine::kEmployerSettings: return print_employer_settings(a, e);
    case ActionLine::kCareerBreakRequest: {
      const LeaveShape& shape = kLeaveShapes[break_shape(e.aux)];
      lit("\"leaveKind\":\"");
      text(shape.kind);
      lit("\",\"fraction\":\"");
      text(kBreakFractionNames[shape.fraction]);
      lit("\",\"startDate\":");
      print_any_date(a.date);
      lit(",\"endDate\":");
      print_any_date(first_of_month_plus(Date{a.date}, break_months(e.aux)).days - 1);
      lit(",\"regimeBefore\":1,\"regimeDuring\":");
      print_permille(kRegimeDuringPermille[shape.fraction]);
      if (break_multiple(e.aux)) lit(",\"multipleEmployers\":true");
      lit(",\"ticket\":");
      print_id(plan_.ticket_id(a.ref));
      return;
    }
    case ActionLine::kCareerBreakEmployeePart:
    case ActionLine::kCareerBreakCancellation:
      lit("\"ticket\":");
      print_id(plan_.ticket_id(a.ref));
      return;
    case ActionLine::kCareerBreakEndDate:
      lit("\"ticket\":");
      print_id(plan_.ticket_id(a.ref));
      lit(",\"endDate\":");
      print_any_date(a.date);
      return;
    case ActionLine::kCareerBreakAttachment:
      if ((e.aux & kAttachmentToNotification) != 0) {
        lit("\"notificationId\":");
        print_id(plan_.notification_id(a.ref));
      } else {
        lit("\"ticket\":");
        print_id(plan_.ticket_id(a.ref));
      }
      lit(",\"fileName\":\"");
      text(kLeaveShapes[break_shape(e.aux)].attachment);
      *cursor_++ = '"';
      return;
    case ActionLine::kOnemDecision:
      lit("\"ticket\":");
      print_id(plan_.ticket_id(a.ref));
      lit(",\"decision\":\"");
      text(e.aux == 0 ? "GRANTED" : "REFUSED");
      *cursor_++ = '"';
      return;
    case ActionLine::kCareerBreakNotification: {
      const LeaveShape& shape = kLeaveShapes[break_shape(e.aux)];
      lit("\"leaveKind\":\"");
      text(shape.kind);
      lit("\",\"fraction\":\"");
      text(kBreakFractionNames[shape.fraction]);
      lit("\",\"startDate\":");
      print_any_date(a.date);
      if (break_months(e.aux) != 0) {
        lit(",\"endDate\":");
        print_any_date(first_of_month_plus(Date{a.date}, break_months(e.aux)).days - 1);
      }
      lit(",\"notificationId\":");
      print_id(plan_.notification_id(a.ref));
      return;
    }
    case ActionLine::kCareerBreakPostponement:
      lit("\"notificationId\":");
      print_id(plan_.notification_id(a.ref));
      lit(",\"startDate\":");
      print_any_date(a.date);
      return;
    case ActionLine::kCareerBreakNotificationRefusal:
    case ActionLine::kCareerBreakNotificationValidation:
      lit("\"notificationId\":");
      print_id(plan_.notification_id(a.ref));
      return;
    case ActionLine::kInboxArchive:  // never planned: its messageId is the ledger's id of an attestation
    case ActionLine::kDataConsultation:  // never planned: server-internal, refused from a file
    case ActionLine::kInterimOverviewSend:  // never planned: a copy sent changes no read model's figure
      DIMONA_ASSERT(false);
      return;
  }
}

void Printer::print_employer_settings(const ActionRecord& a, const Event& e) {
  const Contact& contact = kContacts[a.ref % std::size(kContacts)];
  lit("\"contactName\":\"");
  text(contact.name);
  lit("\",\"email\":\"");
  text(contact.mailbox);
  *cursor_++ = '@';
  text(kDomains[a.employer % std::size(kDomains)]);
  *cursor_++ = '-';
  number(a.employer);
  lit(".be\",\"phone\":\"+32 2 ");
  digits(100 + (a.ref >> 8) % 900, 3);
  *cursor_++ = ' ';
  digits((a.ref >> 18) % 100, 2);
  *cursor_++ = ' ';
  digits((a.ref >> 25) % 100, 2);
  lit("\",\"sector\":\"");
  text(plan_.is_agency(a.employer) ? "Temporary work"
                                   : kSectorNames[static_cast<size_t>(plan_.organisations()[a.employer].sector)]);
  lit("\",\"acceptsNotifications\":");
  if (e.aux != 0)
    lit("true");
  else
    lit("false");
}

void Printer::print_any_date(int32_t days) {
  *cursor_++ = '"';
  format_date(Date{days}, cursor_);
  cursor_ += 10;
  *cursor_++ = '"';
}

void Printer::print_id(uint64_t id) {
  *cursor_++ = '"';
  digits(id, 12);
  *cursor_++ = '"';
}

void Printer::print_token(uint64_t index) {
  const Token t = access_token(plan_.options().seed, index);
  *cursor_++ = '"';
  for (int i = 0; i < 20; ++i) {  // 100 bits, the most significant first
    const int shift = 95 - 5 * i;
    uint64_t bits;
    if (shift >= 64)
      bits = t.hi >> (shift - 64);
    else if (shift > 59)
      bits = (t.hi << (64 - shift)) | (t.lo >> shift);
    else
      bits = t.lo >> shift;
    *cursor_++ = kCrockford[bits & 31u];
  }
  *cursor_++ = '"';
}

// Euros with their two decimals: 1234.50.
void Printer::print_cents(int32_t cents) {
  DIMONA_ASSERT(cents >= 0);
  number(static_cast<uint32_t>(cents / 100));
  *cursor_++ = '.';
  digits(static_cast<uint32_t>(cents % 100), 2);
}

// A fraction in permille as the shortest JSON number: 1, 0.8, 0.875, 0.
void Printer::print_permille(uint32_t permille) {
  number(permille / 1000);
  uint32_t rest = permille % 1000;
  if (rest == 0) return;
  int width = 3;
  while (rest % 10 == 0) rest /= 10, --width;
  *cursor_++ = '.';
  digits(rest, width);
}

Status check_options(const GeneratorOptions& o) {
  namespace lim = generator_limits;
  if (o.year < lim::year_min || o.year > lim::year_max)
    return invalid_argument("year must be between " + std::to_string(lim::year_min) + " and " +
                            std::to_string(lim::year_max));
  if (o.not_after && *o.not_after < start_of(date_from_civil(o.year, 1, 1)))
    return invalid_argument("year " + std::to_string(o.year) + " has not begun by " + to_string(*o.not_after));
  if (o.students < 1 || o.students > lim::students_max)
    return invalid_argument("students must be between 1 and " + std::to_string(lim::students_max));
  const double shares[] = {o.bad_share,
                           o.malformed_share_of_bad,
                           o.student_interim_share,
                           o.day_by_day_employer_share,
                           o.student_update_share,
                           o.student_cancel_share,
                           o.student_out_share,
                           o.place_of_work_share,
                           o.employer_id_share,
                           o.user_company_by_name_share,
                           o.employer_on_follow_up_share,
                           o.attestation_share,
                           o.data_access_share,
                           o.career_break_share,
                           o.career_break_notification_share};
  for (const double s : shares)
    if (!(s >= 0.0 && s <= 1.0)) return invalid_argument("every share must be between 0 and 1");
  if (o.bad_share > lim::bad_share_max) return invalid_argument("bad_share must be at most 0.5");
  const double ratios[] = {o.interim_workers_per_student, o.flexi_workers_per_student, o.occasional_workers_per_student,
                           o.ordinary_workers_per_student};
  for (const double r : ratios)
    if (!(r >= 0.0 && r <= lim::workers_per_student_max))
      return invalid_argument("workers per student must be between 0 and 10");
  return Status::ok();
}

}  // namespace

std::string_view bad_rule_name(BadRule rule) {
  switch (rule) {
    case BadRule::kInvalidSsin: return "invalidSsin";
    case BadRule::kInvalidEnterpriseNumber: return "invalidEnterpriseNumber";
    case BadRule::kStudentCrossesQuarter: return "studentCrossesQuarter";
    case BadRule::kStudentWithoutHours: return "studentWithoutHours";
    case BadRule::kHoursOnNonStudent: return "hoursOnNonStudent";
    case BadRule::kHoursOutOfDomain: return "hoursOutOfDomain";
    case BadRule::kStudentStartDateChanged: return "studentStartDateChanged";
    case BadRule::kUnknownPeriod: return "unknownPeriod";
    case BadRule::kAlreadyCancelled: return "alreadyCancelled";
    case BadRule::kDuplicateIn: return "duplicateIn";
    case BadRule::kOverlappingIn: return "overlappingIn";
    case BadRule::kInterimWithoutUsingEmployer: return "interimWithoutUsingEmployer";
    case BadRule::kUsingEmployerOutsideInterim: return "usingEmployerOutsideInterim";
  }
  return "unknown";
}

std::string_view bad_action_name(BadAction reason) {
  switch (reason) {
    case BadAction::kYearNotAvailable: return "yearNotAvailable";
    case BadAction::kTokenAlreadyUsed: return "tokenAlreadyUsed";
    case BadAction::kUnknownToken: return "unknownToken";
    case BadAction::kEmployeePartCompleted: return "employeePartCompleted";
    case BadAction::kNotificationsNotAccepted: return "notificationsNotAccepted";
    case BadAction::kEmployeePartNotCompleted: return "employeePartNotCompleted";
  }
  return "unknown";
}

std::string_view malformed_kind_name(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::kTruncated: return "truncated";
    case MalformedKind::kUnknownField: return "unknownField";
    case MalformedKind::kWrongType: return "wrongType";
  }
  return "unknown";
}

Result<std::vector<RegisterEnterprise>> register_enterprises(const GeneratorOptions& options) {
  DIMONA_TRY(check_options(options));
  Planner planner(options);
  planner.plan_world();
  std::vector<RegisterEnterprise> out;
  out.reserve(planner.organisations().size());
  for (const Organisation& org : planner.organisations()) {
    const Municipality& place = kMunicipalities[org.municipality];
    RegisterRegion region = region_of_nis_code(place.nis_code);
    // A few employers of the province of Liège are in the German-speaking East Cantons.
    if (place.nis_code / 10000 == 6 && org.enterprise_number % 5 == 0) region = RegisterRegion::kEastCantons;
    out.push_back({org.enterprise_number, region});
  }
  return out;
}

Result<GeneratorStats> generate(const GeneratorOptions& options, const std::function<Status(std::string_view)>& sink) {
  DIMONA_TRY(check_options(options));
  Planner planner(options);
  DIMONA_TRY(planner.plan());
  GeneratorStats stats = planner.student_stats();
  stats.flexi_ins_not_eligible = planner.flexi_ins_not_eligible();
  sort_by_time(planner.events());
  if (options.not_after) {  // cut the stream at the clock: a prefix in time of the whole plan
    std::vector<Event>& events = planner.events();
    const int64_t cut = options.not_after->micros / kMicrosPerSecond -
                        int64_t{planner.calendar().epoch_days} * (kMicrosPerDay / kMicrosPerSecond);
    const auto first_after = std::find_if(events.begin(), events.end(),
                                          [cut](const Event& e) { return int64_t{e.time} > cut; });
    stats.lines_after_clock = static_cast<uint64_t>(events.end() - first_after);
    events.erase(first_after, events.end());
  }
  Printer printer(planner, sink, stats);
  DIMONA_TRY(printer.print(planner.events()));
  return stats;
}

}  // namespace dimona
