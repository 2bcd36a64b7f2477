#include "engine/quota_schedule.h"

#include <fstream>
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

}  // namespace dimona
