#include "projections/access_views.h"

#include "engine/action_decision.h"
#include "engine/base/assert.h"
#include "engine/base/json_writer.h"
#include "engine/ledger.h"
#include "projections/student_views.h"

namespace dimona {

// --- Attestations -------------------------------------------------------------------

std::vector<Attestation> attestations_of(const Projector& projector, Ssin citizen) {
  return attestations_of(projector.state_of(citizen).actions(), projector.model_of<AccessIndex>(citizen), citizen);
}

std::vector<Attestation> attestations_of(const ActionState& actions, const AccessIndex& index, Ssin citizen) {
  std::vector<Attestation> out;
  // An id the state lacks is skipped: both are folded from the same events (access_index.h).
  index.for_each_attestation_of(citizen, [&](uint64_t id) {
    if (const Attestation* a = actions.attestation(id)) out.push_back(*a);
  });
  return out;
}

void to_json(const Attestation& a, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("attestationId").digits(a.id, 12);
  w.key("ssin").digits(a.citizen.value, 11);
  w.key("ssinPrinted").string(printed_ssin(a.citizen));
  if (!a.family_name.empty()) w.key("familyName").string(a.family_name);
  if (!a.given_name.empty()) w.key("givenName").string(a.given_name);
  w.key("year").integer(a.for_year);
  w.key("quotaHours").integer(a.quota_hours);
  w.key("remainingHours").integer(a.remaining_hours);
  w.key("issuedAt").string(to_string(a.issued_at));
  w.key("accessCode").string(format_access_code(a.access_code));
  w.key("validFrom").string(to_string(a.valid_from()));
  w.key("validUntil").string(to_string(a.valid_until()));
  w.end_object();
}

std::string attestation_student_name(const Attestation& a) {
  if (a.family_name.empty() || a.given_name.empty()) return a.family_name + a.given_name;
  return a.family_name + ", " + a.given_name;
}

std::string_view verdict_name(AccessCodeAnswer::Verdict v) {
  constexpr std::string_view kNames[] = {"valid", "malformed", "unknownCode", "notYetValid", "expired"};
  return kNames[static_cast<size_t>(v)];
}

namespace {

// The answer for `code` from one partition's attestations.
AccessCodeAnswer lookup_access_code(const LedgerState& state, const AccessIndex& index, uint64_t code, Date today) {
  using V = AccessCodeAnswer::Verdict;
  AccessCodeAnswer answer;
  const Attestation* best = nullptr;  // a valid one for the latest year, else the latest seen
  index.for_each_attestation_with_code(code, [&](uint64_t id) {
    const Attestation* found = state.actions().attestation(id);
    if (found == nullptr || found->access_code != code) return;
    const Attestation& a = *found;
    const bool valid = a.valid_on(today);
    const bool best_valid = best && best->valid_on(today);
    if (!best || (valid && !best_valid) || (valid == best_valid && a.for_year > best->for_year)) best = &a;
  });
  if (!best) return answer;
  answer.valid_until = best->valid_until();
  if (today < best->valid_from()) {
    answer.verdict = V::kNotYetValid;
    return answer;
  }
  if (best->valid_until() < today) {
    answer.verdict = V::kExpired;
    return answer;
  }
  answer.verdict = V::kValid;
  answer.year = best->for_year;
  answer.citizen = best->citizen;
  answer.remaining_hours = student_balance(state, best->citizen, best->for_year, today).remaining;
  return answer;
}

}  // namespace

AccessCodeAnswer lookup_access_code(const Projector& projector, std::string_view text, Date today) {
  const std::optional<uint64_t> code = parse_access_code(text);
  AccessCodeAnswer answer;
  if (!code) {
    answer.verdict = AccessCodeAnswer::Verdict::kMalformed;
    return answer;
  }
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    AccessCodeAnswer here = lookup_access_code(projector.partition(p), projector.model<AccessIndex>(p), *code, today);
    if (here.verdict == AccessCodeAnswer::Verdict::kValid) return here;
    if (here.verdict != AccessCodeAnswer::Verdict::kUnknown) answer = here;
  }
  return answer;
}

void to_json(const AccessCodeAnswer& a, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("valid").boolean(a.verdict == AccessCodeAnswer::Verdict::kValid);
  if (a.verdict == AccessCodeAnswer::Verdict::kValid) {
    w.key("year").integer(a.year).key("remainingHours").integer(a.remaining_hours);
    w.key("validUntil").string(to_string(a.valid_until));
  } else {
    w.key("reason").string(verdict_name(a.verdict));
  }
  w.end_object();
}

// --- Who looked -------------------------------------------------------------------------

std::vector<Consultation> consultations_of(const Projector& projector, Ssin citizen) {
  return projector.model_of<ConsultationLog>(citizen).of_citizen(citizen);
}

void to_json(const Consultation& c, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object().key("consultedAt").string(to_string(c.at));
  w.key("role").string(consultation_role_name(c.role)).key("by");
  if (c.role != ConsultationRole::kAuditor) write_company(w, c.employer);
  else if (c.auditor.empty()) w.string("auditor");
  else w.string("auditor:" + c.auditor);
  if (c.role != ConsultationRole::kAuditor) write_employer_name(w, "byName", c.employer, names);
  w.key("scope").string(c.scope).key("channel").string(consultation_channel_name(c.channel));
  w.end_object();
}

void to_json(const std::vector<Consultation>& list, std::string* out, const EmployerNameOf& names) {
  *out += "{\"items\":[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) *out += ',';
    to_json(list[i], out, names);
  }
  *out += "],\"total\":" + std::to_string(list.size()) + "}";
}

// --- Consent --------------------------------------------------------------------------

namespace {

// f(answer) for each of the citizen's answers, newest first.
template <typename F>
void for_each_answer_of(const Projector& projector, Ssin citizen, F&& f) {
  const ActionState& actions = projector.state_of(citizen).actions();
  projector.model_of<AccessIndex>(citizen).for_each_answer_of(citizen, [&](uint64_t request_id) {
    if (const ConsentAnswer* a = actions.answer(request_id)) f(*a);
  });
}

}  // namespace

std::string_view reason_name(ConsentVerdict::Reason r) {
  constexpr std::string_view kNames[] = {"granted", "neverGranted", "refused", "revoked", "expired"};
  return kNames[static_cast<size_t>(r)];
}

ConsentVerdict may_see(const Projector& projector, Ssin citizen, uint64_t employer, AccessScope scope, Instant at) {
  using R = ConsentVerdict::Reason;
  ConsentVerdict v;
  const ConsentAnswer* latest = nullptr;  // the latest answer given by `at`
  const ConsentAnswer* in_force = nullptr;
  for_each_answer_of(projector, citizen, [&](const ConsentAnswer& a) {
    if (a.employer != employer || a.scope != scope || at < a.at) return;
    if (!latest || latest->at < a.at) latest = &a;
    if (a.in_force_at(at) && (!in_force || in_force->expires_at < a.expires_at)) in_force = &a;
  });
  const ConsentAnswer* basis = in_force ? in_force : latest;
  if (!basis) return v;
  v.request_id = basis->request_id;
  v.answered_at = basis->at;
  v.expires_at = basis->granted ? basis->expires_at : Instant{};
  if (basis->revoked() && basis->revoked_at <= at) v.revoked_at = basis->revoked_at;
  if (in_force) {
    v.allowed = true;
    v.reason = R::kGranted;
  } else if (!basis->granted) {
    v.reason = R::kRefused;
  } else {
    v.reason = v.revoked_at.micros != 0 ? R::kRevoked : R::kExpired;
  }
  return v;
}

void to_json(const ConsentVerdict& v, AccessScope scope, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("allowed").boolean(v.allowed).key("scope").string(scope_name(scope)).key("reason").string(reason_name(v.reason));
  if (v.request_id != 0) {
    w.key("requestId").digits(v.request_id, 12);
    w.key_text(v.reason == ConsentVerdict::Reason::kRefused ? "refusedAt" : "grantedAt")
        .string(to_string(v.answered_at));
  }
  if (v.expires_at.micros != 0) w.key("expiresAt").string(to_string(v.expires_at));
  if (v.revoked_at.micros != 0) w.key("revokedAt").string(to_string(v.revoked_at));
  w.end_object();
}

Result<int32_t> consented_period(AccessScope scope, Date today, std::optional<int32_t> asked) {
  if (scope == AccessScope::kStudentBalance) {
    const int32_t year = asked.value_or(year_of(today));
    if (attestation_year_available(year, today)) return year;
    return invalid_argument("the current year, or the next one from 1 December");
  }
  const int32_t now = quarter_index(today);
  const int32_t quarter = asked.value_or(now);
  if (quarter >= now && flexi_window_opens(quarter) <= today) return quarter;
  return invalid_argument("the current quarter, or a later one whose flexi Dimona may be sent (" +
                          std::to_string(limits::flexi_send_window_days) + " days before it starts)");
}

Result<std::string> consented_data(const Projector& projector, Ssin citizen, uint64_t employer, AccessScope scope,
                                   int32_t period, const ConsentVerdict& verdict, Date today) {
  DIMONA_ASSERT(verdict.allowed);
  const LedgerState& state = projector.state_of(citizen);
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("scope").string(scope_name(scope));
  if (scope == AccessScope::kStudentBalance) {
    const StudentBalance b = student_balance(state, citizen, period, today);
    if (!b.quota)  // no figure to give, not 0 h left (the attestation says quotaUnknown)
      return invalid_argument("no student quota of " + std::to_string(period) + " is known yet");
    w.key("year").integer(period).key("remainingHours").integer(b.remaining);
  } else {
    // The verdict and its route; not the occupation at other employers nor the pension date
    // behind it (the citizen's own flexiEligibility shows those).
    const FlexiAnswer a = flexi_eligibility(state.actions(), citizen, period, employer);
    w.key("quarter").string(quarter_string(period)).key("eligibility").begin_object();
    w.key("quarter").string(quarter_string(a.quarter)).key("eligible").boolean(a.eligible);
    w.key("route").string(route_name(a.route)).end_object();
  }
  w.key("expiresAt").string(to_string(verdict.expires_at)).end_object();
  return out;
}

namespace {

std::string_view status_at(const ConsentAnswer* a, Instant now) {
  if (!a) return "PENDING";
  if (!a->granted) return "REFUSED";
  if (a->revoked() && a->revoked_at <= now) return "REVOKED";
  return now < a->expires_at ? "GRANTED" : "EXPIRED";
}

void write_answer_fields(JsonWriter& w, const ConsentAnswer& a) {
  w.key_text(a.granted ? "grantedAt" : "refusedAt").string(to_string(a.at));
  if (a.granted) w.key("expiresAt").string(to_string(a.expires_at));
  if (a.revoked()) w.key("revokedAt").string(to_string(a.revoked_at));
}

}  // namespace

std::vector<RequestStatus> requests_of_employer(const Projector& projector, uint64_t employer, Instant now) {
  std::vector<RequestStatus> out;
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    const ActionState& actions = projector.partition(p).actions();
    projector.model<AccessIndex>(p).for_each_request_of_employer(employer, [&](uint64_t id) {
      if (const DataAccessRequest* r = actions.request(id)) out.push_back(RequestStatus{*r, std::nullopt, {}});
    });
  }
  // The answers sit in the citizens' partitions.
  for (RequestStatus& s : out) {
    const uint64_t id = s.request.id;
    if (const ConsentAnswer* a = projector.find([id](const LedgerState& state) { return state.actions().answer(id); }))
      s.answer = *a;
    s.status = status_at(s.answer ? &*s.answer : nullptr, now);
  }
  std::sort(out.begin(), out.end(), [](const RequestStatus& a, const RequestStatus& b) {
    return a.request.requested_at != b.request.requested_at ? b.request.requested_at < a.request.requested_at
                                                            : a.request.id < b.request.id;
  });
  return out;
}

void to_json(const std::vector<RequestStatus>& requests, std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("items").begin_array();
  for (const RequestStatus& s : requests) {
    w.begin_object();
    w.key("requestId").digits(s.request.id, 12);
    w.key("scope").string(scope_name(s.request.scope)).key("channel").string(channel_name(s.request.channel));
    w.key("requestedAt").string(to_string(s.request.requested_at));
    w.key("status").string(s.status);
    if (s.answer) {
      // A grant makes the citizen known to the employer; a refusal does not (seed 003: no access
      // to their data without their authorisation, their national number included).
      if (s.answer->granted) w.key("ssin").digits(s.answer->citizen.value, 11);
      write_answer_fields(w, *s.answer);
    }
    w.end_object();
  }
  w.end_array().key("total").integer(static_cast<int64_t>(requests.size())).end_object();
}

std::vector<ConsentAnswer> consents_of(const Projector& projector, Ssin citizen) {
  std::vector<ConsentAnswer> out;
  for_each_answer_of(projector, citizen, [&out](const ConsentAnswer& a) { out.push_back(a); });
  return out;
}

void to_json(const std::vector<ConsentAnswer>& answers, Instant now, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object().key("items").begin_array();
  for (const ConsentAnswer& a : answers) {
    w.begin_object();
    w.key("requestId").digits(a.request_id, 12);
    w.key("employer");
    write_company(w, a.employer);
    write_employer_name(w, "employerName", a.employer, names);
    w.key("scope").string(scope_name(a.scope)).key("status").string(status_at(&a, now));
    write_answer_fields(w, a);
    w.end_object();
  }
  w.end_array().key("total").integer(static_cast<int64_t>(answers.size())).end_object();
}

// --- Flexi ------------------------------------------------------------------------------

void to_json(const FlexiAnswer& a, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("quarter").string(quarter_string(a.quarter));
  w.key("eligible").boolean(a.eligible);
  w.key("route").string(route_name(a.route)).key("reason").string(reason_name(a.reason));
  w.key("occupation").begin_object();
  w.key("tMinus3").thousandths(a.t3_permille).key("tMinus4").thousandths(a.t4_permille);
  w.key("tMinus5").thousandths(a.t5_permille);
  w.key("tMinus3Quarter").string(quarter_string(a.quarter - 3));
  w.end_object();
  w.key("reductionChecked").boolean(a.reduction_checked);
  w.key("pensionDeadline").string(to_string(a.pension_deadline));
  if (a.pensioned_as_of) w.key("pensionedAsOf").string(to_string(*a.pensioned_as_of));
  w.end_object();
}

void to_json(Ssin citizen, const std::vector<OccupationRecord>& occupations, const PensionRecord* pension,
             std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(citizen.value, 11);
  w.key("occupation").begin_array();
  for (const OccupationRecord& r : occupations) {
    w.begin_object().key("quarter").string(quarter_string(r.quarter)).key("employer");
    write_company(w, r.employer);
    w.key("fraction").thousandths(r.permille);
    if (r.has_wage()) w.key("grossWage").hundredths(static_cast<uint64_t>(r.gross_wage_cents));
    w.end_object();
  }
  w.end_array();
  if (pension) {
    w.key("pensionedAsOf");
    if (pension->pensioned_as_of) w.string(to_string(*pension->pensioned_as_of));
    else w.null();
  }
  w.end_object();
}

}  // namespace dimona
