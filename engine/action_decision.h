// decide_action(): judges one action against the ledger's current state —
// the attestation window, the single use of a data-access token, the
// career-break state machines, the employer's notification setting — and
// derives what the action creates (docs/actions.md).
//
// Contract. Pure: reads the state, never changes it; the caller logs the
// event and folds it, so the next action sees this one. `fresh_id` is the
// ledger's next free 12-digit id: it becomes the action's id, unless a
// creating action imports its own (requestId, ticket, notificationId).
// Access codes and tokens are keyed HMACs of the server secret, so the same
// (citizen, month) always gets the same code and nobody without the secret
// can compute one. A refusal names its reason (ActionRefusal) and has no
// effect on the state; every refused action is logged all the same.
#pragma once

#include "engine/action.h"
#include "engine/ledger_state.h"
#include "engine/remote_facts.h"
#include "engine/secret.h"

namespace dimona {

// `remote`: what other partitions hold (remote_facts.h; null: the state is the whole ledger).
ActionOutcome decide_action(const LedgerState& state, const Action& action, Instant recorded_at,
                            const ServerSecret& secret, uint64_t fresh_id, const RemoteFacts* remote = nullptr);

// The outcome decide_action(state, action, at, secret, fresh_id) gives, from
// one decided with another fresh id (`decided_with`): the fresh id is all
// that changes, in the action's id and in a request's own token. So a writer
// that learns the partition, hence the fresh id, only from the decision
// decides once (Ledger::submit_action).
void restamp_fresh_id(const Action& action, const ServerSecret& secret, uint64_t decided_with, uint64_t fresh_id,
                      ActionOutcome* outcome);

// True for the actions that create a subject (a request, ticket or
// notification) and may import its id.
bool creates_subject(ActionKind kind);
// What an action addresses by its id: a career-break ticket, a career-break
// notification, or nothing another partition could hold (the look-up a
// writer of some partitions routes by, remote_facts.h).
enum class AddressedSubject : unsigned char { kNone, kTicket, kNotification };
AddressedSubject addressed_subject(const Action& action);

// The access code of (citizen, month, attestation year): HMAC-SHA256 cut to
// 50 bits, never 0. The year is in the MAC so that two attestations issued
// in one month for different years (December: this year and the next) print
// different codes, each answering for its own year (rule 11). Codes already
// logged keep their value: the event carries the code, nothing recomputes it.
uint64_t access_code_of(const ServerSecret& secret, Ssin citizen, int32_t month, int32_t year);
// Rule 11: the years a student's figures are open for on `today`: the current one, and the next
// one from 1 December (an attestation; what a consent shows an employer too).
bool attestation_year_available(int32_t year, Date today);

// The token of a data-access request, from its id.
AccessToken request_token_of(const ServerSecret& secret, uint64_t request_id);

}  // namespace dimona
