// export_read_models: every read model as canonical JSON lines.
//
// Contract. For every citizen (ascending SSIN) and every year with a period
// (ascending): a {"balance":…} line when the year has student periods, then
// a {"calendar":…} line; then the citizen's {"anomaly":…} lines (refused and
// warned declarations, in ledger order), its {"attestation":…} lines (oldest
// first), {"consents":…}, {"flexiData":…}, {"careerBreak":…} and
// {"careerBreakNotification":…} lines; then the anomalies of declarations
// whose worker is unknown; last, per employer (ascending), its
// {"dataAccessRequests":…} and {"employerSettings":…} lines. The reference date of "worked / still to work" is
// the projector's ledger time. The bytes depend only on the log's events:
// not on the thread count, the partition a state was folded in, or restarts
// from checkpoints (tests prove each). `sink` gets whole lines; its first
// error stops the export and is returned.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "projections/projector.h"

namespace dimona {

Status export_read_models(const Projector& projector, const std::function<Status(std::string_view)>& sink);

// The state's identity as one JSON object (docs/audit.md): {"asOf": the
// instant asked or null, "ledgerTime", "offsets": [per partition], "stateHash":
// 64 hex digits (Projector::state_hash)}. `audit state-hash` prints it and
// GET /v1/audit/stateHash answers it.
// `asked`: the instant the caller asked for, written as asOf instead of the projector's own (a
// state kept for another instant that covers the same offsets is the same state, shared).
std::string state_summary_json(const Projector& projector, std::optional<Instant> asked = std::nullopt);

}  // namespace dimona
