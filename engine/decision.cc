#include "engine/decision.h"

#include "engine/flexi.h"

#include <algorithm>

#include "engine/base/limits.h"

namespace dimona {
namespace {

using namespace anomaly;  // NOLINT: the codes read best unqualified here

constexpr bool kBlocking = true;
constexpr bool kNonBlocking = false;

bool has_planned_hours(WorkerType t) { return t == WorkerType::kSTU || t == WorkerType::kO17 || t == WorkerType::kS17; }
// STU, O17, S17 (zone 00911) and FLX: a flexi-job is judged per quarter
// (rule 13: each quarter has its own reference quarter T-3), so one FLX
// period lies in one quarter; an open end is the only exception (not known yet).
bool needs_one_quarter(WorkerType t) { return has_planned_hours(t) || t == WorkerType::kFLX; }
bool crosses_quarters(WorkerType t, Date start, Date end) {
  if (end.days == kOpenEndDays && !has_planned_hours(t)) return false;
  return needs_one_quarter(t) && quarter_index(start) != quarter_index(end);
}

// Zone 00910: a FLX IN is sent at the earliest flexi_send_window_days before its quarter starts
// (days in Brussels, as lateness is read).
bool flexi_sent_too_early(Date start, Instant recorded_at) {
  return brussels_date(recorded_at) < flexi_window_opens(quarter_index(start));
}

bool needs_end_date(WorkerType t, JointCommission jc) {
  switch (t) {
    case WorkerType::kEXT: case WorkerType::kSTU: case WorkerType::kIVT: case WorkerType::kTRI:
    case WorkerType::kSTG: case WorkerType::kA17: case WorkerType::kO17: case WorkerType::kS17:
    case WorkerType::kT17:
      return true;
    default:
      return jc == kJointCommissionInterim;
  }
}

// Worker types the glossary closed (zone 00655), and ALT which opened late.
bool worker_type_allowed_on(WorkerType t, Date start) {
  switch (t) {
    case WorkerType::kSTX: return start < date_from_civil(2014, 1, 1);
    case WorkerType::kA17: case WorkerType::kTEA: return start < date_from_civil(2022, 1, 1);
    case WorkerType::kQUA: return start < date_from_civil(2023, 1, 1);
    case WorkerType::kALT: return !(start < date_from_civil(2023, 9, 1));
    default: return true;
  }
}

void check_employer(const Declaration& d, Decision* out) {
  if (!d.has_employer || (!d.enterprise_number.present() && !d.employer_id.present())) {
    out->add(kEmployerMissing, kBlocking);
    return;
  }
  if (d.enterprise_number.invalid()) out->add(kEnterpriseNumberInvalid, kBlocking);
  if (d.employer_id.invalid()) out->add(kNssoNumberInvalid, kBlocking);
}

// Rule 16, §6: an SSIN whose birth date is after the declaration's day fails Belgif's check.
void check_worker(const Declaration& d, Instant recorded_at, Decision* out) {
  if (d.ssin.invalid() || (d.ssin.valid() && born_after(d.ssin.value, date_of(recorded_at))))
    out->add(kSsinInvalid, kBlocking);
  else if (!d.ssin.present() && !d.has_worker_identity) out->add(kWorkerMissing, kBlocking);
  if (d.ssin.valid()) out->worker = d.ssin.value;
}

void check_features(const Declaration& d, Decision* out) {
  if (!d.worker_type.present()) out->add(kWorkerTypeMissing, kBlocking);
  else if (d.worker_type.invalid() || (d.start_date.valid() && !worker_type_allowed_on(d.worker_type.value, d.start_date.value)))
    out->add(kWorkerTypeInvalid, kBlocking);
  if (!d.joint_commission.present()) out->add(kJointCommissionMissing, kBlocking);
  else if (d.joint_commission.invalid() || !is_dimona_joint_commission(d.joint_commission.value))
    out->add(kJointCommissionInvalid, kBlocking);
}

// An address block that must be given (glossary block 90022): each indispensable zone missing, or
// all of them when the block is, is refused as not present.
void check_address(uint8_t given, Decision* out) {
  static constexpr std::pair<uint8_t, uint32_t> kZones[] = {{kAddressStreet, kAddressStreetMissing},
                                                            {kAddressHouseNumber, kAddressHouseNumberMissing},
                                                            {kAddressPostCode, kAddressPostCodeMissing},
                                                            {kAddressMunicipality, kAddressMunicipalityMissing},
                                                            {kAddressCountry, kAddressCountryMissing}};
  for (const auto& [bit, code] : kZones)
    if (!(given & bit)) out->add(code, kBlocking);
}

void check_user_company(const Declaration& d, Decision* out) {
  if (!d.joint_commission.valid()) return;
  const UsingEmployerPart& u = d.using_employer;
  if (d.joint_commission.value != kJointCommissionInterim) {
    if (u.enterprise_number.present()) out->add(kUserCompanyNumberForbidden, kBlocking);
    else if (u.present) out->add(kUserCompanyNameForbidden, kBlocking);
    return;
  }
  if (!u.present || (!u.enterprise_number.present() && !u.has_name)) {
    out->add(kUserCompanyMissing, kBlocking);
    return;
  }
  if (u.enterprise_number.present() && u.has_name) out->add(kUserCompanyBoth, kBlocking);
  if (!u.enterprise_number.present() && u.has_name) check_address(u.address, out);  // by name and address
  if (u.enterprise_number.invalid()) out->add(kUserCompanyNumberInvalid, kBlocking);
  // Zone 00046 under block 90107 is mandatory: absent is 001, not a user's committee is 003.
  if (!u.joint_commission.present())
    out->add(kJointCommissionMissing, kBlocking);
  else if (u.joint_commission.invalid() || u.joint_commission.value == kJointCommissionInterim)
    out->add(kJointCommissionInvalid, kBlocking);
}

bool valid_hours(int64_t h) {
  return h >= limits::planned_hours_min && h <= limits::planned_hours_max;
}

void check_planned_hours(const Declaration& d, WorkerType t, bool required, Decision* out) {
  if (!has_planned_hours(t)) {
    if (d.planned_hours.present()) out->add(kPlannedHoursForbidden, kBlocking);
    return;
  }
  if (!d.planned_hours.present()) {
    if (required) out->add(kPlannedHoursMissing, kBlocking);
  } else if (!valid_hours(d.planned_hours.value)) {
    out->add(kPlannedHoursInvalid, kBlocking);
  }
}

// Zones 00777 and 00778: hours of the day belong to an occasional worker's (EXT) and a flexi
// job's (FLX) periods, and are forbidden on any other; on one day, the end may not come before
// the start (an EXT night over two days ends the next day).
void check_hour_formats(const Declaration& d, Decision* out) {
  if (d.start_hour.invalid()) out->add(kStartHourInvalid, kBlocking);
  if (d.end_hour.invalid()) out->add(kEndHourInvalid, kBlocking);
}
void check_hours_of_day(const Declaration& d, WorkerType t, Date start, Date end, Decision* out) {
  check_hour_formats(d, out);
  if (t != WorkerType::kEXT && t != WorkerType::kFLX) {
    if (d.start_hour.present()) out->add(kStartHourForbidden, kBlocking);
    if (d.end_hour.present()) out->add(kEndHourForbidden, kBlocking);
    return;
  }
  if (start == end && d.start_hour.valid() && d.end_hour.valid() && d.end_hour.value < d.start_hour.value)
    out->add(kEndHourBeforeStart, kBlocking);
}

// Zones 00910 and 00911, the dates' domain: a start from 1920-01-01, an end from 1999-01-01, each
// before the year ten years after the declaration's.
bool before_ten_years_on(Date day, Instant recorded_at) {
  return year_of(day) < year_of(brussels_date(recorded_at)) + 10;
}
bool end_in_domain(Date end, Instant recorded_at) {
  return !(end < date_from_civil(1999, 1, 1)) && before_ten_years_on(end, recorded_at);
}

// Zone 00911: "for a Dimona horeca with a day package, an article 17 Dimona (A17 or T17) or an
// occasional worker in quarantine (QUA), the end date equals the start date". The day package is
// an occasional worker's (EXT) period in horeca (JC 302) without an end hour (00778-001); a period
// keeps no hours of the day, so an UPDATE or OUT holds the other three to their one day.
bool one_day_type(WorkerType t) { return t == WorkerType::kA17 || t == WorkerType::kT17 || t == WorkerType::kQUA; }
bool is_day_package(const Declaration& d, WorkerType t) {
  return t == WorkerType::kEXT && d.joint_commission.valid() && d.joint_commission.value == kJointCommissionHoreca &&
         !d.end_hour.present();
}

bool is_article_17(WorkerType t) { return t == WorkerType::kO17 || t == WorkerType::kS17 || t == WorkerType::kT17; }

// Zone 00910: an article 17 period (O17, S17, T17) starts from 2022 and is declared at most
// limits::article17_lead_days before it starts (on a Belgian clock, as lateness is read).
bool article17_start_allowed(Date start, Instant recorded_at) {
  return !(start < date_from_civil(2022, 1, 1)) &&
         !(recorded_at < brussels_instant(Date{start.days - limits::article17_lead_days}, 0));
}

// The dates and shape of an IN (zones 00910, 00911, 00777 and FB 90373).
void check_in_shape(const Declaration& d, Instant recorded_at, Decision* out) {
  if (!d.start_date.present()) out->add(kStartDateMissing, kBlocking);
  else if (d.start_date.invalid()) out->add(kStartDateInvalid, kBlocking);
  else if (!start_in_domain(d.start_date.value, recorded_at))
    out->add(kStartDateOutOfDomain, kBlocking);
  if (d.end_date.invalid()) out->add(kEndDateInvalid, kBlocking);
  // 9999-12-31 reopens a period in an UPDATE and is no IN's end (zone 00911).
  else if (d.end_date.valid() &&
           (d.end_date.value.days == kOpenEndDays || !end_in_domain(d.end_date.value, recorded_at)))
    out->add(kEndDateOutOfDomain, kBlocking);
  if (!d.worker_type.valid() || !d.joint_commission.valid()) return check_hour_formats(d, out);
  const WorkerType t = d.worker_type.value;
  const bool dates = d.start_date.valid() && d.end_date.valid();
  check_hours_of_day(d, t, d.start_date.value, dates ? d.end_date.value : Date{kOpenEndDays}, out);
  check_planned_hours(d, t, /*required=*/true, out);
  if (t == WorkerType::kFLX && d.start_date.valid() && flexi_sent_too_early(d.start_date.value, recorded_at))
    out->add(kStartDateOutOfDomain, kBlocking);
  if (is_article_17(t) && d.start_date.valid() && !article17_start_allowed(d.start_date.value, recorded_at))
    out->add(kStartDateOutOfDomain, kBlocking);
  if (!d.end_date.present() && needs_end_date(t, d.joint_commission.value)) out->add(kEndDateMissing, kBlocking);
  // An occasional worker's start hour is required, and the end hour too but for horeca (JC 302),
  // where a day package has none (zones 00777, 00778).
  if (t == WorkerType::kEXT) {
    if (!d.start_hour.present()) out->add(kStartHourMissing, kBlocking);
    if (!d.end_hour.present() && d.joint_commission.value != kJointCommissionHoreca)
      out->add(kEndHourMissing, kBlocking);
  }
  if (!dates) return;
  const Date start = d.start_date.value, end = d.end_date.value;
  if (end < start) {
    out->add(kEndBeforeStart, kBlocking);
    return;
  }
  if (crosses_quarters(t, start, end)) out->add(kInQuarter, kBlocking);
  if (t == WorkerType::kEXT && end.days - start.days > 1) out->add(kExtraTooLong, kBlocking);
  if ((one_day_type(t) || is_day_package(d, t)) && end != start) out->add(kEndDateOutOfDomain, kBlocking);
  if (t == WorkerType::kFLX && start == end) {
    if (!d.start_hour.present()) out->add(kStartHourMissing, kBlocking);
    if (!d.end_hour.present()) out->add(kEndHourMissing, kBlocking);
  }
}

Period candidate_of(const Declaration& d, Ssin worker) {
  Period p;
  p.worker = worker;
  p.employer = employer_key(d);
  p.start = d.start_date.value;
  p.end = d.end_date.valid() ? d.end_date.value : Date{kOpenEndDays};
  p.worker_type = d.worker_type.value;
  p.joint_commission = d.joint_commission.value;
  p.planned_hours = d.planned_hours.valid() ? static_cast<uint16_t>(d.planned_hours.value) : 0;
  if (p.joint_commission == kJointCommissionInterim)
    p.user_company = d.using_employer.enterprise_number.valid() ? d.using_employer.enterprise_number.value.value
                                                                : d.using_employer.name_key;
  return p;
}

// The shape rules an IN's dates obey, for the period an UPDATE or an OUT leaves (zones 00910,
// 00911): an occasional worker's (EXT) period spans at most two consecutive days; a flexi-job
// (FLX) moved into another quarter is sent at the earliest flexi_send_window_days before that
// quarter starts, and its eligibility is judged for that quarter (rule 13).
void check_changed_shape(const LedgerState& state, const Period& before, const Period& next, Instant recorded_at,
                         Decision* out) {
  if (next.worker_type == WorkerType::kEXT && next.end.days - next.start.days > 1) out->add(kExtraTooLong, kBlocking);
  if (one_day_type(next.worker_type) && next.end != next.start) out->add(kEndDateOutOfDomain, kBlocking);
  if (next.worker_type != WorkerType::kFLX || quarter_index(next.start) == quarter_index(before.start)) return;
  if (flexi_sent_too_early(next.start, recorded_at))
    out->add(kStartDateOutOfDomain, kBlocking);
  else if (!flexi_eligibility(state.actions(), next.worker, quarter_index(next.start), next.employer).eligible)
    out->add(kFlexiConditions, kNonBlocking);
}

// Quota (FB 90017, rule 8): hours beyond what remains are accepted with a warning.
void check_quota(const LedgerState& state, const Period& p, uint32_t hours_before, Instant at, Decision* out) {
  if (p.worker_type != WorkerType::kSTU) return;
  const int32_t year = year_of(p.start);
  const std::optional<uint32_t> quota = state.quota(year, at);
  if (!quota) return;
  const uint32_t remaining = *quota > hours_before ? *quota - hours_before : 0;
  const uint32_t in_quota = std::min<uint32_t>(p.planned_hours, remaining);
  out->exceeding_hours = p.planned_hours - in_quota;
  out->in_quota_hours = out->late ? 0 : in_quota;
  out->quota_checked = true;
  if (out->exceeding_hours > 0) out->add(kQuotaExceeded, kNonBlocking);
}

void decide_in(const LedgerState& state, const Declaration& d, Instant recorded_at, const RemoteFacts* remote,
               Decision* out) {
  check_employer(d, out);
  check_worker(d, recorded_at, out);
  check_features(d, out);
  check_user_company(d, out);
  // A student working elsewhere than the employer's seat: the place's name and its address (block
  // 90022 is required once the name is given).
  if (d.has_student_place_of_work && d.place_of_work_has_name) check_address(d.place_of_work_address, out);
  // Block 90376: required for a student away from the seat, "forbidden in the other cases".
  if (d.has_student_place_of_work && d.worker_type.valid() && d.worker_type.value != WorkerType::kSTU)
    out->add(kPlaceOfWorkForbidden, kBlocking);
  check_in_shape(d, recorded_at, out);
  if (d.period_id.invalid()) out->add(kPeriodIdInvalid, kBlocking);
  if (out->blocking()) return;
  // A worker without SSIN (S, waiting for SIGeDIS's identification) has a period like any other,
  // held under worker 0: its id is checked and kept, and it is late or not; who the worker is
  // being unknown, it meets no other period and is judged against no quota (rule 9: not charged).
  const Period p = candidate_of(d, d.ssin.valid() ? d.ssin.value : Ssin{});
  bool duplicate = false;
  if (p.identified() && state.find_overlap(p, PeriodId{}, &duplicate)) {
    out->add(duplicate ? kInDuplicate : kInOverlap, kBlocking);
    return;
  }
  // An imported period id already in use: the same IN sent twice is a
  // duplicate even when the first is no longer active; otherwise the id is
  // invalid. So is one in the ledger's own range (body from
  // kLedgerIdBodyFirst), reserved for the ids the ledger gives (ledger.h),
  // and one another partition uses (its worker's, in the directory).
  if (d.period_id.valid() && (state.period(d.period_id.value) || (remote && remote->id_taken) ||
                              d.period_id.value.value / 100 >= kLedgerIdBodyFirst)) {
    out->add(kPeriodIdInvalid, kBlocking);
    return;
  }
  // Late (90373-460): recorded after work started (DOMAIN §3: "before work starts"), on a Belgian
  // clock. With a start hour (FLX, EXT, a daily contract), after that time; without one, once the
  // start day is over.
  const bool late = d.start_hour.valid() ? brussels_instant(p.start, d.start_hour.value) < recorded_at
                                         : brussels_instant(Date{p.start.days + 1}, 0) <= recorded_at;
  if (late) {
    out->late = true;
    out->add(kInLate, kNonBlocking);
  }
  if (d.period_id.valid()) out->period_id = d.period_id.value;
  if (!p.identified()) return;
  check_quota(state, p, state.student_hours(p.worker, year_of(p.start)), recorded_at, out);
  // Rule 13: a flexi-job needs the citizen eligible in the quarter it starts.
  if (p.worker_type == WorkerType::kFLX &&
      !flexi_eligibility(state.actions(), p.worker, quarter_index(p.start), p.employer).eligible)
    out->add(kFlexiConditions, kNonBlocking);
}

// UPDATE, OUT and CANCEL address an existing period; this finds it and checks
// that the employer and worker given, if any, are the period's.
const Period* resolve_period(const LedgerState& state, const Declaration& d, Decision* out) {
  if (!d.period_id.present()) out->add(kPeriodIdMissing, kBlocking);
  else if (d.period_id.invalid()) out->add(kPeriodIdInvalid, kBlocking);
  if (!d.period_id.valid()) return nullptr;
  out->period_id = d.period_id.value;
  const Period* p = state.period(d.period_id.value);
  if (!p) {
    out->add(kPeriodUnknown, kBlocking);
    return nullptr;
  }
  out->worker = p->worker;
  if (p->cancelled) out->add(kPeriodCancelled, kBlocking);
  if (d.enterprise_number.invalid()) out->add(kEnterpriseNumberInvalid, kBlocking);
  else if (d.enterprise_number.valid() && d.enterprise_number.value.value != p->employer)
    out->add(kEnterpriseNumberMismatch, kBlocking);
  if (d.employer_id.invalid()) out->add(kNssoNumberInvalid, kBlocking);
  else if (d.employer_id.valid() && (d.employer_id.value.value | kNssoEmployerTag) != p->employer)
    out->add(kNssoNumberMismatch, kBlocking);
  if (d.ssin.invalid()) out->add(kSsinInvalid, kBlocking);
  else if (d.ssin.valid() && d.ssin.value != p->worker) out->add(kSsinMismatch, kBlocking);
  return p;
}

// DOMAIN §1.2 (FB 90378): StartingDate is forbidden in an UPDATE of a STU period starting after
// 31/12/2016, when the student quota went from days to hours; an earlier one's start may move,
// within the days-quota years (a move into 2017 would start a period of the hours quota).
bool start_may_move(const Period& p, Date to) {
  static const Date last_day_counted_in_days = date_from_civil(2016, 12, 31);
  return p.worker_type != WorkerType::kSTU || (p.start <= last_day_counted_in_days && to <= last_day_counted_in_days);
}

void decide_update(const LedgerState& state, const Declaration& d, const Period& p, Instant recorded_at,
                   Decision* out) {
  if (d.start_date.invalid()) out->add(kStartDateInvalid, kBlocking);
  if (d.end_date.invalid()) out->add(kEndDateInvalid, kBlocking);
  check_planned_hours(d, p.worker_type, /*required=*/false, out);
  Period next = p;
  if (d.start_date.valid() && d.start_date.value != p.start) {
    if (!start_may_move(p, d.start_date.value)) out->add(kStartDateForbidden, kBlocking);
    else if (!start_in_domain(d.start_date.value, recorded_at))
      out->add(kStartDateOutOfDomain, kBlocking);
    next.start = d.start_date.value;
  }
  if (d.end_date.valid()) {
    if (d.end_date.value.days != kOpenEndDays && !end_in_domain(d.end_date.value, recorded_at))
      out->add(kEndDateOutOfDomain, kBlocking);
    // Zone 00913: an open period is closed by an OUT, never by an UPDATE (359).
    else if (p.end.days == kOpenEndDays && d.end_date.value.days != kOpenEndDays)
      out->add(kUpdateCloses, kBlocking);
    next.end = d.end_date.value;
  }
  check_hours_of_day(d, p.worker_type, next.start, next.end, out);
  if (d.planned_hours.valid() && valid_hours(d.planned_hours.value))
    next.planned_hours = static_cast<uint16_t>(d.planned_hours.value);
  if (out->blocking()) return;
  if (next.end.days == kOpenEndDays && needs_end_date(p.worker_type, p.joint_commission)) {
    out->add(kUpdateEndRemoved, kBlocking);
    return;
  }
  if (next.end < next.start) return out->add(kEndBeforeStart, kBlocking);
  if (crosses_quarters(p.worker_type, next.start, next.end)) return out->add(kUpdateQuarter, kBlocking);
  check_changed_shape(state, p, next, recorded_at, out);
  if (out->blocking()) return;
  const bool changed = next.start != p.start || next.end != p.end || next.planned_hours != p.planned_hours ||
                       d.start_hour.present() || d.end_hour.present();
  if (!changed) return out->add(kUpdateNoChange, kBlocking);
  if (!p.identified()) return;  // S: no other period met, no quota (decide_in)
  bool duplicate = false;
  if (state.find_overlap(next, p.id, &duplicate)) return out->add(kUpdateOverlap, kBlocking);
  const uint32_t others = state.student_hours(p.worker, year_of(p.start)) - (p.counts_for_student_quota() ? p.planned_hours : 0);
  out->late = p.late;
  check_quota(state, next, others, recorded_at, out);
}

// An OUT closes the period at its end date: the period it leaves obeys the IN's shape rules, and
// may not meet another active period of the same worker, employer, type and user company (334),
// as an UPDATE to that end date may not.
void decide_out(const LedgerState& state, const Declaration& d, const Period& p, Instant recorded_at, Decision* out) {
  // Zone 00913: a period an OUT closed is closed; its end moves by an UPDATE (356). One reopened
  // since (an UPDATE to 9999-12-31) may be closed again.
  if (p.last_change == DeclarationKind::kOut && p.end.days != kOpenEndDays) return out->add(kPeriodClosed, kBlocking);
  if (!d.end_date.present()) return out->add(kEndDateMissing, kBlocking);
  if (d.end_date.invalid()) return out->add(kEndDateInvalid, kBlocking);
  const Date end = d.end_date.value;
  check_hours_of_day(d, p.worker_type, p.start, end, out);
  if (end < p.start) return out->add(kEndBeforeStart, kBlocking);
  if (end.days == kOpenEndDays || !end_in_domain(end, recorded_at) || crosses_quarters(p.worker_type, p.start, end))
    return out->add(kEndDateOutOfDomain, kBlocking);
  Period next = p;
  next.end = end;
  check_changed_shape(state, p, next, recorded_at, out);
  bool duplicate = false;
  if (!out->blocking() && p.identified() && state.find_overlap(next, p.id, &duplicate))
    out->add(kOutOverlap, kBlocking);
}

// S before W: a declaration of a worker not yet identified waits, whatever its warnings say.
ResultCode result_of(const Decision& d, bool identified) {
  if (d.blocking()) return ResultCode::kRefused;
  if (!identified) return ResultCode::kPending;
  return d.anomaly_count > 0 ? ResultCode::kWarning : ResultCode::kAccepted;
}

}  // namespace

bool start_in_domain(Date start, Instant recorded_at) {
  return !(start < date_from_civil(1920, 1, 1)) && before_ten_years_on(start, recorded_at);
}

Decision decide(const LedgerState& state, const Declaration& d, Instant recorded_at, const RemoteFacts* remote) {
  Decision out;
  if (d.kind == DeclarationKind::kIn) {
    decide_in(state, d, recorded_at, remote, &out);
    out.result = result_of(out, d.ssin.valid());
    return out;
  }
  const Period* p = resolve_period(state, d, &out);
  if (p && !out.blocking()) {
    if (d.kind == DeclarationKind::kUpdate) decide_update(state, d, *p, recorded_at, &out);
    else if (d.kind == DeclarationKind::kOut)
      decide_out(state, d, *p, recorded_at, &out);
  }
  // An UPDATE or OUT of a period whose worker is not identified waits with it (S); a CANCEL ends it.
  out.result = result_of(out, p == nullptr || p->identified() || d.kind == DeclarationKind::kCancel);
  return out;
}

}  // namespace dimona
