#include "engine/flexi.h"

#include <charconv>
#include <string>

#include "engine/base/limits.h"

namespace dimona {

bool ReductionRule::reduced(uint16_t before, uint16_t after) const {
  switch (kind) {
    case Kind::kStrict: return after < before;
    case Kind::kTolerance: return after + tolerance_permille < before;
    case Kind::kIgnore: return false;
  }
  return false;
}

std::optional<ReductionRule> ReductionRule::parse(std::string_view text) {
  if (text == "strict") return ReductionRule{};
  if (text == "ignore") return ReductionRule{Kind::kIgnore, 0};
  constexpr std::string_view kTolerance = "tolerance:";
  if (text.substr(0, kTolerance.size()) != kTolerance) return std::nullopt;
  const std::string number(text.substr(kTolerance.size()));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(v >= 0 && v <= 1)) return std::nullopt;
  return ReductionRule{Kind::kTolerance, static_cast<uint16_t>(v * 1000 + 0.5)};
}

std::string_view route_name(FlexiRoute r) {
  constexpr std::string_view kNames[] = {"NONE", "PENSIONER", "OCCUPATION"};
  return kNames[static_cast<size_t>(r)];
}

std::string_view reason_name(FlexiReason r) {
  constexpr std::string_view kNames[] = {"pensioner", "occupation", "occupationTooLow", "reducedT5ToT4",
                                         "reducedT4ToT3"};
  return kNames[static_cast<size_t>(r)];
}

FlexiAnswer flexi_eligibility(const ActionState& state, Ssin citizen, int32_t quarter, uint64_t employer,
                              const ReductionRule& rule) {
  FlexiAnswer a;
  a.quarter = quarter;
  a.pension_deadline = Date{first_day_of_quarter(quarter - 1).days - 1};
  if (const PensionRecord* p = state.pension(citizen)) a.pensioned_as_of = p->pensioned_as_of;
  state.for_each_occupation_of(citizen, [&](const OccupationRecord& r) {
    if (r.employer == employer) return;  // "at other employers"
    if (r.quarter == quarter - 3) a.t3_permille += r.permille;
    if (r.quarter == quarter - 4) a.t4_permille += r.permille;
    if (r.quarter == quarter - 5) a.t5_permille += r.permille;
  });
  if (quarter >= limits::flexi_pensioner_route_from_quarter && a.pensioned_as_of &&
      *a.pensioned_as_of <= a.pension_deadline) {
    a.eligible = true;
    a.route = FlexiRoute::kPensioner;
    a.reason = FlexiReason::kPensioner;
    return a;
  }
  if (a.t3_permille < limits::flexi_occupation_min_permille) {
    a.reason = FlexiReason::kOccupationTooLow;
    return a;
  }
  // Not checked before the rule applies, nor under the rule "ignore": the answer says so.
  a.reduction_checked =
      quarter >= limits::flexi_reduction_check_from_quarter && rule.kind != ReductionRule::Kind::kIgnore;
  auto clamp16 = [](uint32_t v) { return static_cast<uint16_t>(v > UINT16_MAX ? UINT16_MAX : v); };
  if (a.reduction_checked && rule.reduced(clamp16(a.t5_permille), clamp16(a.t4_permille))) {
    a.reason = FlexiReason::kReducedT5ToT4;
    return a;
  }
  if (a.reduction_checked && rule.reduced(clamp16(a.t4_permille), clamp16(a.t3_permille))) {
    a.reason = FlexiReason::kReducedT4ToT3;
    return a;
  }
  a.eligible = true;
  a.route = FlexiRoute::kOccupation;
  a.reason = FlexiReason::kOccupation;
  return a;
}

Date flexi_window_opens(int32_t quarter) {
  return Date{first_day_of_quarter(quarter).days - limits::flexi_send_window_days};
}

std::optional<int32_t> parse_quarter(std::string_view text) {
  int year = 0;
  if (text.size() != 7 || text[4] != '-' || text[5] != 'Q' || text[6] < '1' || text[6] > '4') return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + 4, year);
  if (ec != std::errc() || end != text.data() + 4 || year < limits::read_year_min || year > limits::read_year_max)
    return std::nullopt;
  return year * 4 + (text[6] - '1');
}

std::string quarter_string(int32_t quarter) {
  return std::to_string(quarter / 4) + "-Q" + std::to_string(quarter % 4 + 1);
}

}  // namespace dimona
