// The student's gross wages of the last quarters (seed 001: "ton salaire brut
// des derniers trimestres"), from the occupationQuarter actions' optional
// grossWage (docs/actions.md), shown to the student only.
//
// Contract. wages_of_last_quarters() is a pure read of the shared fold
// (ActionState): the limits::wage_quarters_shown quarters before `current`
// (a quarter's wage is declared after the quarter, in the DmfA), oldest
// first; each with the wage per employer that declared one (employers in
// ascending key order) and their total. A quarter without any wage is listed,
// empty, so a reader sees which quarters were looked at; quarters_after_year(Y)
// is the `current` that lists the four quarters of year Y. An occupation sent
// again for the same employer and quarter replaced the earlier one (the fold
// does it). to_json writes canonical JSON; `names` (may be null) gives the
// employer's name to write beside its number.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/action_state.h"
#include "engine/identifiers.h"
#include "projections/employer_register.h"

namespace dimona {

struct EmployerWage {
  uint64_t employer = 0;  // employer_key()
  int64_t gross_wage_cents = 0;
};

struct QuarterWages {
  int32_t quarter = 0;  // quarter_index
  std::vector<EmployerWage> by_employer;
  int64_t total_cents = 0;
};

std::vector<QuarterWages> wages_of_last_quarters(const ActionState& actions, Ssin citizen, int32_t current);
// The quarter index of 1 January of year + 1: wages_of_last_quarters then lists year's four quarters.
inline int32_t quarters_after_year(int32_t year) { return (year + 1) * 4; }

void to_json(Ssin citizen, const std::vector<QuarterWages>& wages, const EmployerNameOf& names, std::string* out);

}  // namespace dimona
