// AnomalyLog: the declarations that did not simply pass — refused (B) or
// accepted with warnings (W) — with their anomaly codes, and the refused
// actions (docs/actions.md) with their reason, for auditors.
//
// Contract. apply(event) records every declaration event whose result is B
// or W and every refused action (quota definitions, A/S declarations and
// accepted actions are ignored); it is pure and
// deterministic, like every fold. A partition's log holds the declarations
// of that partition: a citizen's are all in the partition of their SSIN;
// the ones with no known worker (an UPDATE of an unknown period, an invalid
// SSIN) are in partition 0 with citizen 0, found by employer. Queries scan
// the partition's records in ledger order. save()/load() give the bytes of a
// checkpoint (CRC-checked). Not thread-safe: one log per partition fold.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/event.h"
#include "projections/read_model.h"

namespace dimona {

class LedgerState;

struct AnomalyRecord {
  Ssin citizen;              // 0 when the worker is unknown
  uint64_t employer = 0;     // employer_key() of the declaration or action, 0 when it named none
  DeclarationId declaration; // for an action: its action id
  PeriodId period;           // created or addressed; for an action, the request/ticket/notification addressed
  Instant recorded_at;
  DeclarationKind kind = DeclarationKind::kIn;
  ResultCode result = ResultCode::kRefused;
  uint8_t count = 0;
  std::array<uint32_t, kAnomaliesMax> codes{};
  std::optional<ActionKind> action;  // set for a refused action
  ActionRefusal refusal = ActionRefusal::kNone;
};

class AnomalyLog final : public ReadModel {
 public:
  static constexpr std::string_view kName = "anomalies";
  static constexpr uint32_t kVersion = 1;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  void apply(const Event& event, Offset) override { apply(event); }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event);

  size_t size() const { return records_.size(); }
  const std::vector<AnomalyRecord>& records() const { return records_; }
  // Records of one citizen, or of one employer, in ledger order. An UPDATE, OUT or CANCEL may name
  // only its period (DESIGN §3): one that names no employer is the employer's of the period it
  // addresses, looked up in `periods` (the partition's state, which holds every period its
  // records address), and returned with that employer filled in.
  std::vector<AnomalyRecord> of_citizen(Ssin citizen) const;
  std::vector<AnomalyRecord> of_employer(uint64_t employer, const LedgerState& periods) const;

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, AnomalyLog* log);

 private:
  std::vector<AnomalyRecord> records_;
};

void to_json(const AnomalyRecord& record, std::string* out);

}  // namespace dimona
