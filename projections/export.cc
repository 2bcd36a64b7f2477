#include "projections/export.h"
#include "projections/interim_views.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/base/json_writer.h"
#include "projections/access_views.h"
#include "engine/ledger.h"
#include "projections/anomaly_log.h"
#include "projections/career_break_views.h"
#include "projections/student_views.h"

namespace dimona {

namespace {

// A citizen's action read models: attestations, consents, flexi records, career break.
void export_actions(const Projector& projector, Ssin citizen, Instant now, std::string* lines) {
  const ActionState& s = projector.state_of(citizen).actions();
  const CareerBreakIndex& breaks = projector.model_of<CareerBreakIndex>(citizen);
  std::vector<Attestation> attestations = attestations_of(projector, citizen);
  std::reverse(attestations.begin(), attestations.end());  // oldest first, like the anomalies
  for (const Attestation& a : attestations) {
    *lines += "{\"attestation\":";
    to_json(a, lines);
    *lines += "}\n";
  }
  const std::vector<ConsentAnswer> answers = consents_of(projector, citizen);
  if (!answers.empty()) {
    *lines += "{\"consents\":";
    to_json(answers, now, lines);
    *lines += "}\n";
  }
  std::vector<OccupationRecord> occupations;
  s.for_each_occupation_of(citizen, [&](const OccupationRecord& r) { occupations.push_back(r); });
  std::sort(occupations.begin(), occupations.end(), [](const OccupationRecord& a, const OccupationRecord& b) {
    return a.quarter != b.quarter ? a.quarter < b.quarter : a.employer < b.employer;
  });
  const PensionRecord* pension = s.pension(citizen);
  if (!occupations.empty() || pension) {
    *lines += "{\"flexiData\":";
    to_json(citizen, occupations, pension, lines);
    *lines += "}\n";
  }
  std::vector<const CareerBreakRequest*> tickets;  // newest first; an id the state lacks is left out (career_break_views.cc)
  breaks.for_each_ticket_of(citizen, [&](uint64_t id) { if (const CareerBreakRequest* r = s.ticket(id)) tickets.push_back(r); });
  for (auto it = tickets.rbegin(); it != tickets.rend(); ++it) {
    *lines += "{\"careerBreak\":";
    to_json(**it, lines);
    *lines += "}\n";
  }
  std::vector<const CareerBreakNotification*> notifications;
  breaks.for_each_notification_of(citizen, [&](uint64_t id) {
    if (const CareerBreakNotification* n = s.notification(id)) notifications.push_back(n);
  });
  for (auto it = notifications.rbegin(); it != notifications.rend(); ++it) {
    *lines += "{\"careerBreakNotification\":";
    to_json(**it, lines);
    *lines += "}\n";
  }
}

}  // namespace

Status export_read_models(const Projector& projector, const std::function<Status(std::string_view)>& sink) {
  const Instant reference_instant = projector.ledger_time();
  const Date reference = brussels_date(reference_instant);
  std::vector<uint64_t> citizens;
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    projector.partition(p).for_each_worker([&](Ssin s) {
      if (s.value != 0) citizens.push_back(s.value);  // worker 0: the periods of workers not identified (S)
    });
    projector.partition(p).actions().for_each_citizen([&](Ssin s) { citizens.push_back(s.value); });
    projector.model<CareerBreakIndex>(p).for_each_citizen([&](Ssin s) { citizens.push_back(s.value); });
    projector.model<AccessIndex>(p).for_each_citizen([&](Ssin s) { citizens.push_back(s.value); });
    for (const AnomalyRecord& r : projector.anomalies(p).records())
      if (r.citizen.value != 0) citizens.push_back(r.citizen.value);
  }
  std::sort(citizens.begin(), citizens.end());
  citizens.erase(std::unique(citizens.begin(), citizens.end()), citizens.end());
  std::string lines;
  for (uint64_t value : citizens) {
    const Ssin citizen{value};
    const LedgerState& state = projector.state_of(citizen);
    lines.clear();
    for (int32_t year : years_of(state, citizen)) {
      const StudentBalance b = student_balance(state, citizen, year, reference);
      if (!b.periods.empty()) {
        lines += "{\"balance\":";
        to_json(b, &lines);
        lines += "}\n";
      }
      lines += "{\"calendar\":";
      to_json(student_calendar(state, citizen, year), &lines);
      lines += "}\n";
    }
    // The interim relations (seed 002), over every date the ledger holds, not a window around today.
    InterimFilter all_dates = interim_window(reference);
    all_dates.from = date_from_civil(1920, 1, 1);
    all_dates.to = Date{kOpenEndDays};
    const std::vector<InterimRelation> relations =
        interim_relations(state, citizen, all_dates, &projector.anomalies_of(citizen));
    if (!relations.empty()) {
      lines += "{\"interim\":";
      to_json(citizen, relations, &lines);
      lines += "}\n";
    }
    for (const AnomalyRecord& r : projector.anomalies_of(citizen).of_citizen(citizen)) {
      lines += "{\"anomaly\":";
      to_json(r, &lines);
      lines += "}\n";
    }
    export_actions(projector, citizen, reference_instant, &lines);
    DIMONA_TRY(sink(lines));
  }
  // Declarations whose worker is unknown (partition 0, citizen 0), in ledger order.
  lines.clear();
  for (const AnomalyRecord& r : projector.anomalies(0).of_citizen(Ssin{0})) {
    lines += "{\"anomaly\":";
    to_json(r, &lines);
    lines += "}\n";
  }
  // Employer-wide records: data-access requests (with where each stands) and settings, by employer.
  std::vector<uint64_t> employers;
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    projector.partition(p).actions().for_each_employer([&](uint64_t e) { employers.push_back(e); });
    projector.model<AccessIndex>(p).for_each_employer([&](uint64_t e) { employers.push_back(e); });
  }
  std::sort(employers.begin(), employers.end());
  employers.erase(std::unique(employers.begin(), employers.end()), employers.end());
  for (uint64_t employer : employers) {
    const std::vector<RequestStatus> requests = requests_of_employer(projector, employer, reference_instant);
    if (!requests.empty()) {
      lines += "{\"dataAccessRequests\":{\"employer\":";
      JsonWriter w(&lines);
      write_company(w, employer);
      lines += ",\"requests\":";
      to_json(requests, &lines);
      lines += "}}\n";
    }
    if (const EmployerSettings* s =
            projector.find([employer](const LedgerState& state) { return state.actions().settings(employer); })) {
      lines += "{\"employerSettings\":";
      to_json(*s, &lines);
      lines += "}\n";
    }
  }
  return sink(lines);
}

std::string state_summary_json(const Projector& projector, std::optional<Instant> asked) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object();
  w.key("asOf");
  if (asked) w.string(to_string(*asked));
  else if (projector.as_of()) w.string(to_string(*projector.as_of()));
  else w.null();
  w.key("ledgerTime").string(to_string(projector.ledger_time()));
  w.key("offsets").begin_array();
  for (uint32_t p = 0; p < projector.partition_count(); ++p) w.integer(static_cast<int64_t>(projector.offset(p)));
  w.end_array();
  w.key("stateHash").string(to_hex(projector.state_hash()));
  w.end_object();
  return out;
}

}  // namespace dimona
