// RemoteFacts: what a decision in one partition reads from the others — the
// few look-ups that cross partitions (issue 11, item 2), found in the log's
// directory (engine/directory.h) by a writer that does not hold every
// partition.
//
// Contract. Plain data, filled before a decision and read by it only
// (decide(), decide_action()); the decision stays a pure function of the
// state, the submission and these facts. A writer holding every partition
// passes none: its state is the whole ledger. Each fact only adds to what the
// local state says (an id in use here or there; a request known here or
// there), so a fact the local state already has changes nothing.
#pragma once

#include <optional>

#include "engine/action_state.h"

namespace dimona {

struct RemoteFacts {
  // The id an IN or a creating action imports (or the token a request
  // imports) is in use in another partition.
  bool id_taken = false;
  // The data-access request a grant's or a refusal's token names, when
  // another partition holds it (employers' requests live in partition 0).
  std::optional<DataAccessRequest> request;
  // That request was already answered, in another citizen's partition.
  bool request_answered = false;
  // An employer's settings, kept in partition 0 (accepts_notifications is all a decision reads).
  std::optional<EmployerSettings> settings;
};

}  // namespace dimona
