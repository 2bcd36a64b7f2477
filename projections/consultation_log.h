// ConsultationLog: who consulted each citizen's data ("who looked", issue 12
// item 9; docs/audit.md) — every read of a citizen's data by an employer, an
// agency or an auditor, which the ledger records as a dataConsultation event
// as it answers.
//
// Contract. A read model (read_model.h), registered among the standard ones:
// apply(event, offset) records every accepted dataConsultation action of the
// partition being folded (a consultation is in its citizen's partition) and
// ignores every other event; it is pure and deterministic like every fold.
// No decision reads it, so it lives here and not in the engine's state (issue
// 12 item 1: the engine keeps what decisions need); the writer's state does
// not hold consultations. of_citizen() lists one citizen's, newest first, by
// walking that citizen's chain (no scan of the others). save()/load() give
// the bytes of a checkpoint section (magic, count, the records in fold order,
// CRC32C): canonical, the same events giving the same bytes however the log
// came to be; load() refuses bytes it did not write with kCorruption (a role
// that does not exist, an auditor named with an employer, a scope that is no
// view's name). A checkpoint without its section gets it folded again from
// the partition's start (the Projector's backfill). Not
// thread-safe: one log per partition fold; queries after it, under the
// reader's lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/action.h"
#include "engine/base/flat_map.h"
#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/event.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"
#include "projections/read_model.h"

namespace dimona {

inline constexpr uint32_t kNoConsultation = UINT32_MAX;

// A read of a citizen's data by an employer, an agency or an auditor
// (dataConsultation, "who looked"): recorded by the ledger as it answers.
struct Consultation {
  Ssin citizen;
  Instant at;
  uint64_t employer = 0;  // employer, agency; 0 for an auditor
  ConsultationRole role = ConsultationRole::kAuditor;
  ConsultationChannel channel = ConsultationChannel::kAuditor;
  std::string scope;    // the view read: "studentBalance", "accessCode", "consentedData:FLEXI"
  std::string auditor;  // an auditor's token subject; may be empty
  uint32_t prev_of_citizen = kNoConsultation;
};

class ConsultationLog final : public ReadModel {
 public:
  static constexpr std::string_view kName = "consultations";
  static constexpr uint32_t kVersion = 1;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event, Offset offset) override;
  // The citizen's consultations, newest first.
  std::vector<Consultation> of_citizen(Ssin citizen) const;
  size_t size() const { return records_.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, ConsultationLog* log);

 private:
  void add(Consultation c);

  std::vector<Consultation> records_;  // in fold order
  FlatMap<uint32_t> head_;             // citizen -> 1 + index of their newest record
};

}  // namespace dimona
