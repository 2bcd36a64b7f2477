// Fuzz target: the rows of the log's directory (engine/directory.h), which a
// writer of some partitions reads from a keyed table that any Kafka client
// can write to (topic TOPIC.directory). The input is cut at the first four
// '\n' into the values of one row of each kind ("id/…", "token/…",
// "answered/…", "settings/…"), put into a memory log's table, then read back
// through the Directory. Properties: no crash or sanitizer report on any
// bytes; each reader answers a value or kCorruption, never another error; a
// partition read back is the row's decimal text; the rows a decided event
// implies (Directory::rows_of) always read back.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/directory.h"
#include "engine/log/log.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace dimona;

constexpr uint64_t kId = 123456789002;
constexpr uint64_t kEmployer = 403019261;
const AccessToken kToken{0x123456789, 0x0fedcba987654321};

bool ok_or_corrupt(const Status& s) { return s.is_ok() || s.code() == Code::kCorruption; }

// One memory log per use, for the whole process (a fresh one per input would
// keep every store alive): each input puts every key it reads, so nothing of
// the input before shows through.
Log& memory_log(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Log>> logs;
  std::unique_ptr<Log>& log = logs[name];
  if (!log) {
    LogOptions options;
    options.partitions = 4;
    Result<std::unique_ptr<Log>> opened = open_log("memory:fuzz-" + name, options);
    FUZZ_CHECK(opened.is_ok());
    log = std::move(opened).value();
  }
  return *log;
}

// The rows an accepted request, answer and settings event imply read back as written.
void check_own_rows(uint32_t partition, AccessScope scope, bool accepts) {
  Result<std::unique_ptr<KeyedTable>> table = memory_log("own").open_table(Directory::kTable);
  FUZZ_CHECK(table.is_ok());
  Directory directory(std::move(*table));
  std::vector<KeyedTable::Row> rows;
  Event request;
  request.type = EventType::kCitizenDataAccessRequested;
  request.action.action.kind = ActionKind::kDataAccessRequest;
  request.action.outcome.id = kId;
  request.action.outcome.employer = kEmployer;
  request.action.outcome.token = kToken;
  request.action.action.scope = scope;  // a request's scope is its action's (the logged outcome carries none)
  request.action.outcome.scope = scope;
  Directory::rows_of(request, partition, &rows);
  Event settings;
  settings.type = EventType::kEmployerSettingsUpdated;
  settings.action.action.kind = ActionKind::kEmployerSettings;
  settings.action.action.accepts_notifications = accepts;
  settings.action.outcome.id = kId + 101;
  settings.action.outcome.employer = kEmployer;
  Directory::rows_of(settings, 0, &rows);
  FUZZ_CHECK(directory.put(rows).is_ok());
  Result<std::optional<Directory::TokenRow>> token = directory.token(kToken);
  FUZZ_CHECK(token.is_ok() && token->has_value() && (*token)->partition == partition &&
             (*token)->request.id == kId && (*token)->request.employer == kEmployer && (*token)->request.scope == scope);
  Result<std::optional<uint32_t>> where = directory.partition_of(kId);
  FUZZ_CHECK(where.is_ok() && *where == std::optional<uint32_t>(partition));
  Result<std::optional<EmployerSettings>> s = directory.settings(kEmployer);
  FUZZ_CHECK(s.is_ok() && s->has_value() && (*s)->accepts_notifications == accepts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> values;
  size_t from = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t cut = input.find('\n', from);
    values.emplace_back(input.substr(from, cut == std::string_view::npos ? std::string_view::npos : cut - from));
    from = cut == std::string_view::npos ? input.size() : cut + 1;
  }
  if (values[0].size() > limits::keyed_table_value_bytes_max) values[0].resize(limits::keyed_table_value_bytes_max);
  Result<std::unique_ptr<KeyedTable>> table = memory_log("input").open_table(Directory::kTable);
  FUZZ_CHECK(table.is_ok());
  const std::vector<KeyedTable::Row> rows = {{"id/" + std::to_string(kId), values[0]},
                                             {"token/" + to_string(kToken), values[1]},
                                             {"answered/" + std::to_string(kId), values[2]},
                                             {"settings/" + std::to_string(kEmployer), values[3]}};
  if (!(*table)->put_all(rows).is_ok()) return 0;  // a value past the table's limits: refused at the put
  Directory directory(std::move(*table));
  Result<std::optional<uint32_t>> where = directory.partition_of(kId);
  FUZZ_CHECK(ok_or_corrupt(where.status()));
  if (where.is_ok() && where->has_value()) FUZZ_CHECK(std::to_string(**where) == values[0]);
  FUZZ_CHECK(ok_or_corrupt(directory.token(kToken).status()));
  FUZZ_CHECK(directory.answered(kId).is_ok());
  Result<std::optional<EmployerSettings>> settings = directory.settings(kEmployer);
  FUZZ_CHECK(ok_or_corrupt(settings.status()));
  Result<std::vector<KeyedTable::Row>> lacking = directory.lacking(rows);
  FUZZ_CHECK(lacking.is_ok());
  if (size > 0) check_own_rows(data[0] % 4, data[size - 1] % 2 ? AccessScope::kFlexi : AccessScope::kStudentBalance,
                               size % 2 == 0);
  return 0;
}
