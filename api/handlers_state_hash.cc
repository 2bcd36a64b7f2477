// GET /v1/audit/stateHash[?asOf=T]: the hash of the ledger's state and the
// offsets it covers (docs/audit.md), for an auditor to compare with a state
// rebuilt elsewhere (`dimona-ledger audit verify --expect`). The state is the
// whole ledger's: a member of a group holding only some partitions answers
// 409, as its other partitions are a checkpoint's copy, not the ledger's.
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "projections/export.h"

namespace dimona::api {

void state_hash_route(Call& c, const LedgerService& view) {
  if (!c.is(Role::kAuditor)) return c.reply(forbidden());
  const uint32_t partitions = view.read([](const Projector& p) { return p.partition_count(); });
  for (uint32_t p = 0; p < partitions; ++p) {
    if (view.holds(p)) continue;
    return c.reply(problem(409, "conflict", "Conflict",
                           "This instance holds only some partitions; the state hash covers the whole ledger "
                           "(dimona-ledger audit state-hash over the log)"));
  }
  // The state answering ?asOf may have been built for another instant covering the same offsets
  // (past_states.h shares it): the summary names the instant asked.
  c.reply(json_response(200, view.read([&c](const Projector& p) { return state_summary_json(p, c.as_of); })));
}

}  // namespace dimona::api
