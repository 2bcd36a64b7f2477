// The citizen's inbox (seed 001: "each attestation is also sent to the
// student's eBox, where it stays for two months").
//
// Contract. A pure read of the shared fold: each attestation issued
// (StudentAttestationIssued, kept by ActionState and listed under its citizen
// by the partition's AccessIndex, access_index.h) is one message, whose id is
// the attestation's id, delivered at its issue and kept
// limits::inbox_message_kept_months months (add_months: the same instant two
// months later, or the month's last day). Expiry is judged in ledger time:
// `now` is the caller's ledger_now, so imported history does not age out
// early. inbox_of() lists the messages still kept at `now`, newest first;
// inbox_message() gives one of them, archived or not, or nothing when it is
// unknown, another citizen's (a citizen cannot learn that it exists) or
// expired. An archived message (inboxArchive, docs/actions.md) leaves the
// list and is in the archive (`archived`), until it expires like the others.
// Canonical JSON by to_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/action_state.h"
#include "projections/access_index.h"
#include "projections/projector.h"

namespace dimona {

struct InboxMessage {
  Attestation attestation;  // the message's content; its id is the message id
  Instant delivered_at;
  Instant expires_at;
};

// The message an attestation is: delivered at its issue, kept
// limits::inbox_message_kept_months months (also the outbox's, outbox.h).
InboxMessage inbox_message_of(const Attestation& attestation);

std::vector<InboxMessage> inbox_of(const ActionState& actions, const AccessIndex& index, Ssin citizen, Instant now,
                                   bool archived = false);
std::optional<InboxMessage> inbox_message(const ActionState& actions, const AccessIndex& index, Ssin citizen,
                                          uint64_t message_id, Instant now);
// The same from the citizen's partition of `projector` (its state's records, its AccessIndex).
std::vector<InboxMessage> inbox_of(const Projector& projector, Ssin citizen, Instant now, bool archived = false);
std::optional<InboxMessage> inbox_message(const Projector& projector, Ssin citizen, uint64_t message_id, Instant now);

// {"messageId","deliveredAt","expiresAt","subject"} for a list; with `body`
// the attestation's figures too (the message read).
void to_json(const InboxMessage& message, bool body, std::string* out);
void to_json(const std::vector<InboxMessage>& messages, std::string* out);

}  // namespace dimona
