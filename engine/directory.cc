#include "engine/directory.h"

#include <charconv>
#include <map>

#include "engine/base/assert.h"
#include "engine/ledger_state.h"

namespace dimona {

namespace {

constexpr std::string_view kId = "id/";
constexpr std::string_view kToken = "token/";
constexpr std::string_view kAnswered = "answered/";
constexpr std::string_view kSettings = "settings/";

std::string key_of(std::string_view prefix, uint64_t number) { return std::string(prefix) + std::to_string(number); }

// Reads the unsigned decimal numbers of `text` (as rows_of writes them: no sign, no leading
// zero), separated by single spaces, into `out`; false unless all of them are.
template <size_t N>
bool read_numbers(std::string_view text, uint64_t (&out)[N]) {
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) {
      if (at == end || *at != ' ') return false;
      ++at;
    }
    const auto [next, ec] = std::from_chars(at, end, out[i]);
    if (ec != std::errc() || next == at || (*at == '0' && next - at > 1)) return false;  // as written: no leading 0
    at = next;
  }
  return at == end;
}

Status unreadable(const std::string& key) {
  return corruption("the directory's row " + key + " does not read back");
}

}  // namespace

Directory::Directory(std::unique_ptr<KeyedTable> table) : table_(std::move(table)) { DIMONA_ASSERT(table_ != nullptr); }

void Directory::rows_of(const Event& event, uint32_t partition, std::vector<KeyedTable::Row>* rows) {
  const std::string where = std::to_string(partition);
  if (event.is_declaration()) {
    const DeclarationBody& b = event.declaration;
    const ResultCode r = b.decision.result;
    if (event.type == EventType::kDimonaInDeclared && (r == ResultCode::kAccepted || r == ResultCode::kWarning))
      rows->emplace_back(key_of(kId, b.decision.period_id.value), where);
    return;
  }
  if (!event.is_action()) return;
  const Action& a = event.action.action;
  const ActionOutcome& o = event.action.outcome;
  if (!o.accepted()) return;
  switch (a.kind) {
    case ActionKind::kDataAccessRequest:
      rows->emplace_back(key_of(kId, o.id), where);
      rows->emplace_back(std::string(kToken) + to_string(o.token),
                         where + " " + std::to_string(o.id) + " " + std::to_string(o.employer) + " " +
                             std::to_string(static_cast<unsigned>(o.scope)) + " " +
                             std::to_string(static_cast<unsigned>(a.channel)));
      break;
    case ActionKind::kCareerBreakRequest:
    case ActionKind::kCareerBreakNotification:
      rows->emplace_back(key_of(kId, o.id), where);
      break;
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: rows->emplace_back(key_of(kAnswered, o.subject), where); break;
    case ActionKind::kEmployerSettings:
      rows->emplace_back(key_of(kSettings, o.employer), a.accepts_notifications ? "1" : "0");
      break;
    default: break;
  }
}

Status Directory::put(std::span<const KeyedTable::Row> rows) {
  std::lock_guard lock(mutex_);
  return table_->put_all(rows);
}

Result<std::vector<KeyedTable::Row>> Directory::lacking(std::span<const KeyedTable::Row> rows) {
  std::lock_guard lock(mutex_);
  std::map<std::string_view, std::string_view> latest;
  for (const KeyedTable::Row& row : rows) latest.insert_or_assign(row.first, row.second);
  DIMONA_TRY(table_->refresh());
  table_->for_each([&](std::string_view key, std::string_view value) {
    if (auto it = latest.find(key); it != latest.end() && it->second == value) latest.erase(it);
  });
  std::vector<KeyedTable::Row> out;
  out.reserve(latest.size());
  for (const auto& [key, value] : latest) out.emplace_back(std::string(key), std::string(value));
  return out;
}

Result<std::optional<std::string>> Directory::get(const std::string& key) { return table_->get(key); }

Result<std::optional<uint32_t>> Directory::partition_of(uint64_t id) {
  std::lock_guard lock(mutex_);
  const std::string key = key_of(kId, id);
  Result<std::optional<std::string>> row = get(key);
  DIMONA_TRY(row);
  if (!row->has_value()) return std::optional<uint32_t>();
  uint64_t fields[1];
  if (!read_numbers(**row, fields) || fields[0] > UINT32_MAX) return unreadable(key);
  return std::optional<uint32_t>(static_cast<uint32_t>(fields[0]));
}

Result<std::optional<Directory::TokenRow>> Directory::token(AccessToken token) {
  std::lock_guard lock(mutex_);
  const std::string key = std::string(kToken) + to_string(token);
  Result<std::optional<std::string>> row = get(key);
  DIMONA_TRY(row);
  if (!row->has_value()) return std::optional<TokenRow>();
  uint64_t f[5];
  if (!read_numbers(**row, f) || f[0] > UINT32_MAX || f[1] == 0 || f[2] == 0 ||
      f[3] > static_cast<uint64_t>(AccessScope::kStudentBalance) || f[4] > static_cast<uint64_t>(AccessChannel::kLink))
    return unreadable(key);
  TokenRow out;
  out.partition = static_cast<uint32_t>(f[0]);
  out.request.id = f[1];
  out.request.employer = f[2];
  out.request.scope = static_cast<AccessScope>(f[3]);
  out.request.channel = static_cast<AccessChannel>(f[4]);
  out.request.token = token;
  return std::optional<TokenRow>(out);
}

Result<bool> Directory::answered(uint64_t request_id) {
  std::lock_guard lock(mutex_);
  Result<std::optional<std::string>> row = get(key_of(kAnswered, request_id));
  DIMONA_TRY(row);
  return row->has_value();
}

Result<std::optional<EmployerSettings>> Directory::settings(uint64_t employer) {
  std::lock_guard lock(mutex_);
  DIMONA_TRY(table_->refresh());  // settings change: the current row, not the one read before
  const std::string key = key_of(kSettings, employer);
  Result<std::optional<std::string>> row = get(key);
  DIMONA_TRY(row);
  if (!row->has_value()) return std::optional<EmployerSettings>();
  if (**row != "1" && **row != "0") return unreadable(key);
  EmployerSettings s;
  s.employer = employer;
  s.accepts_notifications = **row == "1";
  return std::optional<EmployerSettings>(std::move(s));
}

}  // namespace dimona
