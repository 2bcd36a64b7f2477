#include "projections/export.h"

#include <algorithm>
#include <string>
#include <vector>

#include "projections/anomaly_log.h"
#include "projections/student_views.h"

namespace dimona {

Status export_read_models(const Projector& projector, const std::function<Status(std::string_view)>& sink) {
  const Date reference = date_of(projector.ledger_time());
  std::vector<uint64_t> citizens;
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    projector.partition(p).for_each_worker([&](Ssin s) { citizens.push_back(s.value); });
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
    for (const AnomalyRecord& r : projector.anomalies_of(citizen).of_citizen(citizen)) {
      lines += "{\"anomaly\":";
      to_json(r, &lines);
      lines += "}\n";
    }
    DIMONA_TRY(sink(lines));
  }
  // Declarations whose worker is unknown (partition 0, citizen 0), in ledger order.
  lines.clear();
  for (const AnomalyRecord& r : projector.anomalies(0).of_citizen(Ssin{0})) {
    lines += "{\"anomaly\":";
    to_json(r, &lines);
    lines += "}\n";
  }
  return sink(lines);
}

}  // namespace dimona
