// The student's detail view beyond the balance: gross wages of the last quarters (seed 001).
#include <cstdio>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/flexi.h"
#include "projections/wage_views.h"

namespace dimona::cli {

int run_wages(const CommonOptions& common, const CitizenOptions& o) {
  Result<EmployerNaming> naming = open_employer_naming(common);
  if (!naming.is_ok()) return fail("wages", naming.status());
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("wages", view.status());
  const int32_t current = quarter_index(date_of(ledger_now(*view->side.projector)));
  const std::vector<QuarterWages> wages = wages_of_last_quarters(view->state->actions(), view->citizen, current);
  if (o.json) {
    std::string line;
    to_json(view->citizen, wages, naming->names(), &line);
    std::printf("%s\n", line.c_str());
    return 0;
  }
  for (const QuarterWages& q : wages) {
    std::printf("%s: gross wage %lld.%02lld EUR\n", quarter_string(q.quarter).c_str(),
                static_cast<long long>(q.total_cents / 100), static_cast<long long>(q.total_cents % 100));
    for (const EmployerWage& e : q.by_employer)
      std::printf("  %10lld.%02lld EUR  employer %s\n", static_cast<long long>(e.gross_wage_cents / 100),
                  static_cast<long long>(e.gross_wage_cents % 100), naming->text(e.employer).c_str());
  }
  return 0;
}

}  // namespace dimona::cli
