// QuotaSchedule: the student quota table (schemas/quota.json), as data.
//
// Contract. Each entry says: for these years, this many hours, known to the
// ledger from `definedAt` (ledger time), with its legal source. The schedule
// is not the truth by itself: the Ledger appends an entry as a
// StudentQuotaDefined event once ledger time reaches its definedAt, so a
// point-in-time answer sees each figure as it stood then, and a retroactive
// change (2025: 475 h, then 650 h) is a later event for the same year.
// Entries are sorted by definedAt then year on load. Errors: kInvalidArgument
// naming the entry and field. Values; thread-safe once loaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"

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

// Parses the JSON text of schemas/quota.json.
Result<QuotaSchedule> parse_quota_schedule(std::string_view json);
// Reads and parses a file; `path` empty means DIMONA_SCHEMAS_DIR/quota.json.
Result<QuotaSchedule> load_quota_schedule(const std::string& path);

}  // namespace dimona
