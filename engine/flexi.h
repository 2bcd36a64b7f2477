// Flexi-job eligibility (rule 13): may a citizen work a flexi-job in quarter
// T for employer E, and why.
//
// Contract. flexi_eligibility() reads the occupation and pension records
// folded so far (ActionState) and answers with the route, the reason and
// every figure it used; it is pure and cheap (one walk of the citizen's
// occupation records). The citizen is eligible when pensioned by the last
// day of T-2 (from limits::flexi_pensioner_route_from_quarter), or when the
// occupation at employers other than E in T-3 sums to at least
// limits::flexi_occupation_min_permille and, from
// limits::flexi_reduction_check_from_quarter, the volume did not go down
// from T-5 to T-4 nor from T-4 to T-3. What counts as "going down" is not
// public (DOMAIN.md rule 13): it is the ReductionRule, strict by default.
// decide() uses this for a FLX Dimona IN (90017-510 when not eligible) and
// the read models serve it as is, so the two cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/action_state.h"

namespace dimona {

struct ReductionRule {
  enum class Kind : unsigned char {
    kStrict,     // any decrease counts
    kTolerance,  // a decrease of more than tolerance_permille counts
    kIgnore,     // no reduction test
  };
  Kind kind = Kind::kStrict;
  uint16_t tolerance_permille = 0;

  bool reduced(uint16_t before, uint16_t after) const;
  // "strict", "ignore" or "tolerance:0.05"; nullopt when not one of them.
  static std::optional<ReductionRule> parse(std::string_view text);
};

enum class FlexiRoute : unsigned char { kNone, kPensioner, kOccupation };
enum class FlexiReason : unsigned char {
  kPensioner,            // pensioned by the end of T-2
  kOccupation,           // ≥ 4/5 in T-3 and no reduction
  kOccupationTooLow,     // < 4/5 in T-3
  kReducedT5ToT4,
  kReducedT4ToT3,
};
std::string_view route_name(FlexiRoute r);     // NONE, PENSIONER, OCCUPATION
std::string_view reason_name(FlexiReason r);   // pensioner, occupation, occupationTooLow, reducedT5ToT4, reducedT4ToT3

struct FlexiAnswer {
  bool eligible = false;
  FlexiRoute route = FlexiRoute::kNone;
  FlexiReason reason = FlexiReason::kOccupationTooLow;
  int32_t quarter = 0;  // T, as quarter_index
  // Occupation at employers other than E, in thousandths of a full-time job.
  uint32_t t3_permille = 0, t4_permille = 0, t5_permille = 0;
  // The reduction test ran: false before limits::flexi_reduction_check_from_quarter,
  // under ReductionRule "ignore", or when T-3 alone already refused.
  bool reduction_checked = false;
  std::optional<Date> pensioned_as_of;
  Date pension_deadline;  // the last day of T-2
};

FlexiAnswer flexi_eligibility(const ActionState& state, Ssin citizen, int32_t quarter, uint64_t employer,
                              const ReductionRule& rule = {});

// The first day a FLX Dimona for `quarter` may be sent (zone 00910, rule 13): limits::flexi_send_window_days
// before the quarter starts (2025-Q2: 2025-03-01).
Date flexi_window_opens(int32_t quarter);

// "2025-Q1" -> quarter_index; nullopt when malformed or outside limits::read_year_min..max.
std::optional<int32_t> parse_quarter(std::string_view text);
std::string quarter_string(int32_t quarter);

}  // namespace dimona
