#include "bench/generator/generator.h"

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

// Period ids: year Y owns bodies [base(Y), base(Y) + periods_per_year_max);
// ids never declared (the unknown-period lines) come from the top range.
constexpr uint64_t kPeriodBodyBase = 1'000'000'000;
constexpr uint64_t kUnknownPeriodBodyBase = 9'000'000'000;
static_assert(kPeriodBodyBase + (generator_limits::year_max - generator_limits::year_min + 1) *
                                    generator_limits::periods_per_year_max <=
              kUnknownPeriodBodyBase);

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

struct Event {
  uint32_t time;    // seconds since the plan's day 0
  uint32_t period;  // index into the periods
  DeclarationKind kind;
  uint8_t flaw;  // kValid, flaw_of(BadRule) or flaw_of(MalformedKind)
  uint16_t aux;  // hours of an out-of-domain UPDATE; where a truncated line stops
};
static_assert(sizeof(Event) == 12);

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
enum class Stream : uint64_t { kWorld = 1, kStudents, kInterim, kFlexi, kOccasional, kOrdinary, kBad };

// Day hours and lead times.
struct Lead {
  std::span<const Bucket> days;
  bool at_least_a_day;
};

class Planner {
 public:
  explicit Planner(const GeneratorOptions& options);
  Status plan();
  GeneratorStats student_stats() const;

  const GeneratorOptions& options() const { return options_; }
  const Calendar& calendar() const { return cal_; }
  const std::vector<Organisation>& organisations() const { return orgs_; }
  const std::vector<uint64_t>& ssins() const { return ssins_; }
  const std::vector<Period>& periods() const { return periods_; }
  std::vector<Event>& events() { return events_; }
  uint64_t period_id(uint32_t index) const { return dimona_id_from_body(period_body_base_ + index); }

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
  period_body_base_ =
      kPeriodBodyBase + static_cast<uint64_t>(y - generator_limits::year_min) * generator_limits::periods_per_year_max;
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
  events_.push_back(Event{time, period, kind, flaw, aux});
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
// morning, before any work starts.
uint32_t Planner::record_in(Rng& rng, uint32_t index, Lead lead) {
  Period& p = periods_[index];
  int32_t days = draw(rng, lead.days);
  if (lead.at_least_a_day) days = std::max(days, 1);
  const int32_t day = p.start - days;
  p.in_time =
      days == 0 ? at(day, rng.between(5 * kHour, 7 * kHour - 1)) : at(day, rng.between(7 * kHour, 22 * kHour - 1));
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
// 22:00 the day before, or before 7:00 on the day).
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

// Lines each kind of person gives on average with the default shape (docs/generator.md);
// only used to size the vectors once, so a wrong guess costs a reallocation.
constexpr double kLinesPerStudent = 12.5, kLinesPerInterim = 36, kLinesPerFlexi = 26, kLinesPerOccasional = 7,
                 kLinesPerOrdinary = 1.6;

void Planner::reserve() {
  const auto n = static_cast<double>(options_.students);
  const double lines = n * (kLinesPerStudent + kLinesPerInterim * options_.interim_workers_per_student +
                            kLinesPerFlexi * options_.flexi_workers_per_student +
                            kLinesPerOccasional * options_.occasional_workers_per_student +
                            kLinesPerOrdinary * options_.ordinary_workers_per_student);
  const double capped = std::min(lines * (1.02 + options_.bad_share), 1.3 * generator_limits::periods_per_year_max);
  const auto expected = static_cast<size_t>(capped);
  events_.reserve(expected);
  periods_.reserve(expected * 85 / 100);
}

Status Planner::plan() {
  build_world();
  reserve();
  const uint64_t n = options_.students;
  for (uint64_t s = 0; s < n; ++s) add_student(s);
  const uint64_t interim = per_student(n, options_.interim_workers_per_student);
  for (uint64_t i = 0; i < interim; ++i) add_interim_worker(i);
  const uint64_t flexi = per_student(n, options_.flexi_workers_per_student);
  for (uint64_t i = 0; i < flexi; ++i) add_flexi_worker(i);
  const uint64_t occasional = per_student(n, options_.occasional_workers_per_student);
  for (uint64_t i = 0; i < occasional; ++i) add_occasional_worker(i);
  const uint64_t ordinary = per_student(n, options_.ordinary_workers_per_student);
  for (uint64_t i = 0; i < ordinary; ++i) add_ordinary_worker(i);
  if (periods_.empty()) return invalid_argument("the options give an empty year");
  add_bad_lines();
  if (periods_.size() > generator_limits::periods_per_year_max)
    return invalid_argument("the options give more periods than a year's period id space holds");
  if (ssins_exhausted_) return invalid_argument("the options give more people than a birth-year range has SSINs");
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
  void print_employer(const Period& p, uint8_t flaw);
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
    if (i + kPrefetchEvents < events.size()) __builtin_prefetch(&periods[events[i + kPrefetchEvents].period]);
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
  const Period& p = plan_.periods()[e.period];
  *cursor_++ = '{';
  const bool in = e.kind == DeclarationKind::kIn;
  if (in || follow_up_names_employer(e)) {
    print_employer(p, e.flaw);
    *cursor_++ = ',';
  }
  switch (e.kind) {
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
  lit(",\"recordedAt\":\"");
  const auto day = static_cast<int32_t>(e.time / kSecondsPerDay);
  const uint32_t second = e.time % kSecondsPerDay;
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
  const Organisation& org = plan_.organisations()[p.employer];
  if (flaw == flaw_of(BadRule::kInvalidEnterpriseNumber)) {
    lit("\"employer\":{\"enterpriseNumber\":\"");
    digits(corrupt_enterprise_number(org.enterprise_number), 10);
    lit("\"}");
  } else if (org.nsso_number != 0) {
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

Status check_options(const GeneratorOptions& o) {
  namespace lim = generator_limits;
  if (o.year < lim::year_min || o.year > lim::year_max)
    return invalid_argument("year must be between " + std::to_string(lim::year_min) + " and " +
                            std::to_string(lim::year_max));
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
                           o.employer_on_follow_up_share};
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

std::string_view malformed_kind_name(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::kTruncated: return "truncated";
    case MalformedKind::kUnknownField: return "unknownField";
    case MalformedKind::kWrongType: return "wrongType";
  }
  return "unknown";
}

Result<GeneratorStats> generate(const GeneratorOptions& options, const std::function<Status(std::string_view)>& sink) {
  DIMONA_TRY(check_options(options));
  Planner planner(options);
  DIMONA_TRY(planner.plan());
  GeneratorStats stats = planner.student_stats();
  sort_by_time(planner.events());
  Printer printer(planner, sink, stats);
  DIMONA_TRY(printer.print(planner.events()));
  return stats;
}

}  // namespace dimona
