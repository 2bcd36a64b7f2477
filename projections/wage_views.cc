#include "projections/wage_views.h"

#include <algorithm>

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/flexi.h"
#include "projections/student_views.h"

namespace dimona {

std::vector<QuarterWages> wages_of_last_quarters(const ActionState& actions, Ssin citizen, int32_t current) {
  const int32_t first = current - limits::wage_quarters_shown;
  std::vector<QuarterWages> out(static_cast<size_t>(limits::wage_quarters_shown));
  for (int32_t i = 0; i < limits::wage_quarters_shown; ++i) out[static_cast<size_t>(i)].quarter = first + i;
  actions.for_each_occupation_of(citizen, [&](const OccupationRecord& r) {
    if (!r.has_wage() || r.quarter < first || r.quarter >= current) return;
    QuarterWages& q = out[static_cast<size_t>(r.quarter - first)];
    q.by_employer.push_back({r.employer, r.gross_wage_cents});
    q.total_cents += r.gross_wage_cents;
  });
  for (QuarterWages& q : out)
    std::sort(q.by_employer.begin(), q.by_employer.end(),
              [](const EmployerWage& a, const EmployerWage& b) { return a.employer < b.employer; });
  return out;
}

void to_json(Ssin citizen, const std::vector<QuarterWages>& wages, const EmployerNameOf& names, std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(citizen.value, 11);
  w.key("quarters").begin_array();
  for (const QuarterWages& q : wages) {
    w.begin_object().key("quarter").string(quarter_string(q.quarter));
    w.key("grossWage").hundredths(static_cast<uint64_t>(q.total_cents));
    w.key("employers").begin_array();
    for (const EmployerWage& e : q.by_employer) {
      w.begin_object().key("employer");
      write_company(w, e.employer);
      write_employer_name(w, "employerName", e.employer, names);
      w.key("grossWage").hundredths(static_cast<uint64_t>(e.gross_wage_cents)).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

}  // namespace dimona
