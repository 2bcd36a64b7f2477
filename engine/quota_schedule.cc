#include "engine/quota_schedule.h"

#include <fstream>
#include <mutex>
#include <sstream>

namespace dimona {

Result<QuotaSchedule> load_quota_schedule(const std::string& path) {
  const std::string file = path.empty() ? std::string(DIMONA_SCHEMAS_DIR) + "/quota.json" : path;
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found("cannot read the quota table " + file);
  std::ostringstream text;
  text << in.rdbuf();
  Result<QuotaSchedule> schedule = parse_quota_schedule(text.str());
  if (!schedule.is_ok()) return invalid_argument(file + ": " + schedule.status().message());
  return schedule;
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
