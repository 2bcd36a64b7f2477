// A citizen's history (issue 12, item 8): every event of the citizen, in
// offset order, with its partition, offset, recordedAt and type, the event
// as the log holds it, and the decision with the rule of DOMAIN.md §8 behind
// each figure it carries.
//
// Contract. The events are the citizen's as citizen_index.h defines them
// (the envelope's ssin), found through the partition's CitizenIndex and
// read from the log by offset (Projector::events_at), never by a scan of the
// partition. `as_of` keeps the events recorded at or before that instant:
// recordedAt never decreases within a partition (log.h), so they are a
// prefix of the citizen's offsets, found by a binary search that reads
// O(log n) of the citizen's events. Items are JSON objects:
//   {"partition":P,"offset":O,"recordedAt":"…","type":"DimonaInDeclared",
//    "event":{…as logged…},
//    "decision":{"result":"A|W|B|S","rule":"…",
//                "anomalies":[{"code":"ZZZZZ-NNN","severity":"B|NP","rule":"…"}],
//                "figures":[{"name":"plannedHours","value":30,"rule":"rule 2: …"}],
//                "refusal":"…","detail":"…"}}   (refusal and detail: a refused action)
// A rule is given where DOMAIN.md §8 has one for the figure or anomaly; an
// anomaly without one carries no "rule". Errors are values: the log's
// (kIoError, kUnavailable), kCorruption when a record at an indexed offset
// does not decode or is not the citizen's. Runs on the caller's thread,
// under the reader's lock of the projector; limits:
// limits::citizen_history_read_events events read at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"

namespace dimona {

class Projector;
struct Event;

// How many of the citizen's events were recorded at or before `as_of` (all without it).
Result<uint64_t> history_size(const Projector& projector, Ssin citizen, std::optional<Instant> as_of);

// Calls `item` with the JSON object of each of the citizen's events of
// ranks [first, last) (0 is the oldest), in offset order; stops at item's
// first non-ok Status and returns it. `last` is at most history_size().
Status write_history(const Projector& projector, Ssin citizen, uint64_t first, uint64_t last,
                     const std::function<Status(std::string_view item)>& item);

// One item as above, for an event decoded from `logged` at (partition, offset).
void history_item_json(const Event& event, std::string_view logged, uint32_t partition, uint64_t offset,
                       std::string* out);

}  // namespace dimona
