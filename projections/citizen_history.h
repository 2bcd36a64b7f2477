// A citizen's history (issue 12, item 8): every event of the citizen, in
// offset order, with its partition, offset, recordedAt and type, the event
// as the log holds it, and the decision with the rule of DOMAIN.md §8 behind
// each figure it carries.
//
// Contract. The events are the citizen's as citizen_index.h defines them
// (the envelope's ssin), found through the partition's CitizenIndex and
// read from the log by offset (Projector::events_at), never by a scan of the
// partition, all through one consumer. `as_of` keeps the events recorded at
// or before that instant: recordedAt never decreases within a partition
// (log.h), so they are the citizen's offsets below the partition's first
// offset recorded after `as_of`. The citizen's last event is read; when it
// is after `as_of`, the log finds that offset (LogConsumer::seek_to_instant:
// the embedded log's time index, Kafka's offsetsForTimes). Items are JSON
// objects:
//   {"partition":P,"offset":O,"recordedAt":"…","type":"DimonaInDeclared",
//    "event":{…as logged…},
//    "decision":{"result":"A|W|B|S","rule":"…",
//                "anomalies":[{"code":"ZZZZZ-NNN","severity":"B|NP","rule":"…"}],
//                "figures":[{"name":"plannedHours","value":30,"rule":"rule 2: …"}],
//                "refusal":"…","detail":"…"}}   (refusal and detail: a refused action)
// A rule is given where DOMAIN.md §8 has one for the figure or anomaly; an
// anomaly without one carries no "rule". Errors are values: the log's
// (kIoError; kUnavailable when nothing is delivered within
// limits::log_read_stall_ms), kCorruption when a record at an indexed offset
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

// Who reads a history: an auditor sees each event as the log holds it; the citizen sees their
// own events without another person's identity. A declaration naming someone else as its worker
// (an UPDATE, OUT or CANCEL of the citizen's period sent with another SSIN, refused 00024-347) is
// logged whole in the citizen's partition: for the citizen its declaration's "worker" is left out.
enum class HistoryReader { kAuditor, kCitizen };

// Of the citizen's events recorded at or before `as_of` (all without it),
// calls `item` with the JSON object of those of ranks [first, first + count)
// (0 is the oldest; ranks past the last are none), in offset order, and
// returns how many there are in all (a page's total). Stops at item's first
// non-ok Status and returns it.
Result<uint64_t> citizen_history(const Projector& projector, Ssin citizen, std::optional<Instant> as_of, uint64_t first,
                                 uint64_t count, const std::function<Status(std::string_view item)>& item,
                                 HistoryReader reader = HistoryReader::kAuditor);

// One item as above, for an event decoded from `logged` at (partition, offset).
void history_item_json(const Event& event, std::string_view logged, uint32_t partition, uint64_t offset,
                       std::string* out, HistoryReader reader = HistoryReader::kAuditor);

// `json` (one compact object, as the log holds an event) without the member `name` of the first
// object that is the value of a member `parent` (its comma too); `json` itself when there is none.
std::string without_nested_member(std::string_view json, std::string_view parent, std::string_view name);

}  // namespace dimona
