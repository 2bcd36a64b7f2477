// QuotaSchedule: the student quota table (schemas/quota.json), as data.
//
// Contract. Each entry says: for these years, this many hours, known to the
// ledger from `definedAt` (ledger time), with its legal source. It is
// reference data shared by every partition (issue 11, item 2), not events
// copied into each: a decision at instant T and a read model as of T ask
// quota_at(year, T), the entry of that year with the latest definedAt at or
// before T, so a point-in-time answer sees each figure as it stood then and
// a retroactive change (2025: 475 h, then 650 h from 2025-07-01) shows on
// both sides of its instant, whatever partition or process asks. Entries are
// sorted by definedAt then year on load. Errors: kInvalidArgument naming the
// entry and field. Values; thread-safe once loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/log.h"

namespace dimona {

struct QuotaEntry {
  int32_t year = 0;
  uint32_t hours = 0;
  Date effective_from;
  Instant defined_at;
  std::string legal_source;
};

struct QuotaSchedule {
  std::vector<QuotaEntry> entries;  // one per year, sorted by (defined_at, year)
};

// The hours of `year` known at `at`; nullopt when no entry of that year is defined by then.
std::optional<uint32_t> quota_at(const QuotaSchedule& schedule, int32_t year, Instant at);

// Parses the JSON text of schemas/quota.json.
Result<QuotaSchedule> parse_quota_schedule(std::string_view json);
// Reads and parses a file; `path` empty means DIMONA_SCHEMAS_DIR/quota.json.
Result<QuotaSchedule> load_quota_schedule(const std::string& path);
// The schedule as canonical JSON, one entry per year in the loaded order,
// which parse_quota_schedule() reads back to the same schedule.
std::string format_quota_schedule(const QuotaSchedule& schedule);

// The schedule kept with a log, so that every process that folds the log,
// on any machine, reads the same reference (issue 11, item 2): the keyed
// table "reference" of the log (keyed_table.h: a table in the embedded file,
// topic TOPIC.reference on Kafka), one row per entry keyed
// "quota/YEAR/DEFINEDAT" (its value the entry as a one-entry schedule, so
// any Kafka client reads it). record_quota_schedule() is
// the writer's, at open: it stores the entries of `schedule` the log does
// not hold yet; a schedule that drops or changes an
// entry the log holds (year, hours, effectiveFrom, definedAt) is refused
// with kFailedPrecondition (a past figure is never rewritten: a change is a
// new entry with a later definedAt). recorded_quota_schedule() is the
// readers': nullopt when the log keeps none (or keeps no tables: a Kafka
// topic TOPIC.reference that does not exist and cannot be created).
Status record_quota_schedule(Log& log, const QuotaSchedule& schedule);
Result<std::optional<QuotaSchedule>> recorded_quota_schedule(Log& log);

// DIMONA_SCHEMAS_DIR/quota.json, loaded once per process (the default of
// readers given no schedule); its error every time when it cannot be read.
Result<std::shared_ptr<const QuotaSchedule>> default_quota_schedule();

}  // namespace dimona
