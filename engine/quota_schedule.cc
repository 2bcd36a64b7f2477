#include "engine/quota_schedule.h"

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/base/small_file.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

namespace dimona {

Result<QuotaSchedule> load_quota_schedule(const std::string& path) {
  const std::string file = path.empty() ? std::string(DIMONA_SCHEMAS_DIR) + "/quota.json" : path;
  Result<SmallFile> text = read_small_file(file, limits::quota_table_bytes_max);
  if (!text.is_ok() && text.status().code() == Code::kNotFound) return not_found("cannot read the quota table " + file);
  if (!text.is_ok()) return invalid_argument("the quota table: " + text.status().message());
  Result<QuotaSchedule> schedule = parse_quota_schedule(text->bytes);
  if (!schedule.is_ok()) return invalid_argument(file + ": " + schedule.status().message());
  return schedule;
}

std::string format_quota_schedule(const QuotaSchedule& schedule) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("entries").begin_array();
  for (const QuotaEntry& e : schedule.entries) {
    w.begin_object();
    w.key("firstYear").integer(e.year).key("lastYear").integer(e.year).key("hours").integer(e.hours);
    w.key("effectiveFrom").string(to_string(e.effective_from)).key("definedAt").string(to_string(e.defined_at));
    w.key("legalSource").string(e.legal_source);
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

namespace {

constexpr std::string_view kReferenceTable = "reference";
constexpr std::string_view kQuotaPrefix = "quota/";

// One entry's key in the reference table: its year and the instant it is known from.
std::string entry_key(const QuotaEntry& e) {
  return std::string(kQuotaPrefix) + std::to_string(e.year) + "/" + to_string(e.defined_at);
}

bool same_figure(const QuotaEntry& a, const QuotaEntry& b) {
  return a.year == b.year && a.hours == b.hours && a.effective_from == b.effective_from && a.defined_at == b.defined_at;
}

// The log's reference table; nullopt when the log keeps no tables (or cannot make this one).
Result<std::optional<std::unique_ptr<KeyedTable>>> reference_table(Log& log) {
  Result<std::unique_ptr<KeyedTable>> table = log.open_table(kReferenceTable);
  if (!table.is_ok()) {
    if (table.status().code() == Code::kFailedPrecondition) return std::optional<std::unique_ptr<KeyedTable>>();
    return table.status();
  }
  return std::optional<std::unique_ptr<KeyedTable>>(std::move(*table));
}

// Every entry the table holds (one row per entry, its value a one-entry schedule), sorted as loaded.
Result<QuotaSchedule> entries_of(KeyedTable& table) {
  DIMONA_TRY(table.refresh());
  QuotaSchedule held;
  Status bad;
  table.for_each([&](std::string_view key, std::string_view value) {
    if (!key.starts_with(kQuotaPrefix) || !bad.is_ok()) return;
    Result<QuotaSchedule> one = parse_quota_schedule(value);
    if (!one.is_ok() || one->entries.size() != 1 || entry_key(one->entries[0]) != key) {
      bad = corruption("the quota entry " + std::string(key) + " kept with the log does not read back");
      return;
    }
    held.entries.push_back(std::move(one->entries[0]));
  });
  DIMONA_TRY(bad);
  std::stable_sort(held.entries.begin(), held.entries.end(), [](const QuotaEntry& a, const QuotaEntry& b) {
    return a.defined_at != b.defined_at ? a.defined_at < b.defined_at : a.year < b.year;
  });
  return held;
}

}  // namespace

Status record_quota_schedule(Log& log, const QuotaSchedule& schedule) {
  Result<std::optional<std::unique_ptr<KeyedTable>>> table = reference_table(log);
  DIMONA_TRY(table);
  if (!table->has_value()) return Status::ok();  // a log without tables: readers use their own file
  KeyedTable& reference = ***table;
  Result<QuotaSchedule> held = entries_of(reference);
  DIMONA_TRY(held);
  for (const QuotaEntry& old : held->entries) {
    if (std::none_of(schedule.entries.begin(), schedule.entries.end(), [&](const QuotaEntry& e) { return same_figure(e, old); }))
      return failed_precondition("the quota table drops or changes the entry of year " + std::to_string(old.year) + " (" +
                                 std::to_string(old.hours) + " h, defined at " + to_string(old.defined_at) +
                                 ") that the log holds: a past figure is never rewritten, add a later entry");
  }
  for (const QuotaEntry& e : schedule.entries) {
    if (std::any_of(held->entries.begin(), held->entries.end(), [&](const QuotaEntry& old) { return same_figure(e, old); }))
      continue;
    DIMONA_TRY(reference.put(entry_key(e), format_quota_schedule(QuotaSchedule{{e}})));
  }
  return Status::ok();
}

Result<std::optional<QuotaSchedule>> recorded_quota_schedule(Log& log) {
  Result<std::optional<std::unique_ptr<KeyedTable>>> table = reference_table(log);
  DIMONA_TRY(table);
  if (!table->has_value()) return std::optional<QuotaSchedule>();
  Result<QuotaSchedule> held = entries_of(***table);
  DIMONA_TRY(held);
  if (held->entries.empty()) return std::optional<QuotaSchedule>();
  return std::optional<QuotaSchedule>(std::move(*held));
}

std::optional<uint32_t> quota_at(const QuotaSchedule& schedule, int32_t year, Instant at) {
  for (auto it = schedule.entries.rbegin(); it != schedule.entries.rend(); ++it)  // latest definedAt first
    if (it->year == year && !(at < it->defined_at)) return it->hours;
  return std::nullopt;
}

Result<std::shared_ptr<const QuotaSchedule>> default_quota_schedule() {
  static std::once_flag once;
  static Result<std::shared_ptr<const QuotaSchedule>> loaded = internal_error("not loaded");
  std::call_once(once, [] {
    Result<QuotaSchedule> schedule = load_quota_schedule("");
    if (schedule.is_ok()) loaded = std::shared_ptr<const QuotaSchedule>(std::make_shared<QuotaSchedule>(std::move(*schedule)));
    else loaded = schedule.status();
  });
  return loaded;
}

}  // namespace dimona
