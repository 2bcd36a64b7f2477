#include "projections/interim_views.h"

#include <algorithm>
#include <map>

#include "engine/base/json_writer.h"
#include "projections/student_views.h"

namespace dimona {
namespace {

bool meets(const Period& p, const InterimFilter& f) {
  if (p.joint_commission != kJointCommissionInterim) return false;
  if (p.end < f.from || f.to < p.start) return false;
  if (f.worker_type != WorkerType::kUnknown && p.worker_type != f.worker_type) return false;
  if (f.agency != 0 && p.employer != f.agency) return false;
  return f.user_company == 0 || p.user_company == f.user_company;
}

}  // namespace

InterimFilter interim_window(Date reference) {
  const int32_t year = year_of(reference);
  InterimFilter f;
  f.from = date_from_civil(year - 1, 1, 1);
  f.to = date_from_civil(year + 1, 12, 31);
  return f;
}

std::vector<InterimRelation> interim_relations(const LedgerState& state, Ssin worker, const InterimFilter& filter,
                                               const AnomalyLog* anomalies) {
  std::map<uint64_t, std::vector<uint32_t>> codes_by_period;
  if (anomalies) {
    for (const AnomalyRecord& r : anomalies->of_citizen(worker))
      if (r.period.value != 0) codes_by_period[r.period.value].insert(codes_by_period[r.period.value].end(), r.codes.begin(), r.codes.begin() + r.count);
  }
  // Periods by (agency, user company), each list in date order.
  std::map<std::pair<uint64_t, uint64_t>, std::vector<const Period*>> lanes;
  state.for_each_period_of(worker, [&](const Period& p) {
    if (meets(p, filter)) lanes[{p.employer, p.user_company}].push_back(&p);
  });
  std::vector<InterimRelation> out;
  for (auto& [key, periods] : lanes) {
    std::sort(periods.begin(), periods.end(), [](const Period* a, const Period* b) {
      return a->start != b->start ? a->start < b->start : a->id < b->id;
    });
    InterimRelation* current = nullptr;
    for (const Period* p : periods) {
      const bool follows = current && !p->cancelled && p->start.days <= current->last.days + kRelationGapDays + 1;
      if (!current || (!p->cancelled && !follows && current->days > 0)) {
        out.push_back(InterimRelation{key.first, key.second, p->start, p->end, 0, {}});
        current = &out.back();
      }
      auto codes = codes_by_period.find(p->id.value);
      current->periods.push_back({p->id, p->start, p->end, p->worker_type, p->cancelled,
                                  codes == codes_by_period.end() ? std::vector<uint32_t>{} : codes->second});
      if (p->cancelled) continue;
      if (current->days == 0) current->first = p->start;
      current->first = std::min(current->first, p->start);
      current->last = current->days == 0 ? p->end : std::max(current->last, p->end);
      current->days += static_cast<uint32_t>(p->end.days - p->start.days + 1);
    }
  }
  std::sort(out.begin(), out.end(), [](const InterimRelation& a, const InterimRelation& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.agency != b.agency ? a.agency < b.agency : a.user_company < b.user_company;
  });
  return out;
}

void to_json(Ssin worker, const std::vector<InterimRelation>& relations, std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(worker.value, 11).key("items").begin_array();
  for (const InterimRelation& r : relations) {
    w.begin_object().key("agency");
    write_company(w, r.agency);
    w.key("userCompany");
    write_company(w, r.user_company);
    w.key("firstDay").string(to_string(r.first)).key("lastDay").string(to_string(r.last));
    w.key("days").integer(r.days).key("periods").begin_array();
    for (const InterimPeriod& p : r.periods) {
      w.begin_object().key("periodId").digits(p.id.value, 12);
      w.key("startDate").string(to_string(p.start)).key("endDate").string(to_string(p.end));
      w.key("workerType").string(worker_type_name(p.worker_type));
      w.key("status").string(p.cancelled ? "cancelled" : "accepted").key("anomalies").begin_array();
      for (uint32_t code : p.anomalies) w.string(anomaly_code_string(code));
      w.end_array().end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().key("total").integer(static_cast<int64_t>(relations.size())).end_object();
}

}  // namespace dimona
