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

namespace {

// One row of each kind, as both rows_of and rows_of_state write it.
void id_row(uint64_t id, const std::string& where, std::vector<KeyedTable::Row>* rows) {
  rows->emplace_back(key_of(kId, id), where);
}

void token_row(AccessToken token, const std::string& where, uint64_t request, uint64_t employer, AccessScope scope,
               AccessChannel channel, std::vector<KeyedTable::Row>* rows) {
  rows->emplace_back(std::string(kToken) + to_string(token), where + " " + std::to_string(request) + " " +
                                                                 std::to_string(employer) + " " +
                                                                 std::to_string(static_cast<unsigned>(scope)) + " " +
                                                                 std::to_string(static_cast<unsigned>(channel)));
}

void answered_row(uint64_t request, const std::string& where, std::vector<KeyedTable::Row>* rows) {
  rows->emplace_back(key_of(kAnswered, request), where);
}

void settings_row(uint64_t employer, bool accepts_notifications, std::vector<KeyedTable::Row>* rows) {
  rows->emplace_back(key_of(kSettings, employer), accepts_notifications ? "1" : "0");
}

}  // namespace

void Directory::rows_of(const Event& event, uint32_t partition, std::vector<KeyedTable::Row>* rows) {
  const std::string where = std::to_string(partition);
  if (event.is_declaration()) {
    const DeclarationBody& b = event.declaration;
    const ResultCode r = b.decision.result;
    if (event.type == EventType::kDimonaInDeclared && changes_period(r))
      id_row(b.decision.period_id.value, where, rows);
    return;
  }
  if (!event.is_action()) return;
  const Action& a = event.action.action;
  const ActionOutcome& o = event.action.outcome;
  if (!o.accepted()) return;
  switch (a.kind) {
    case ActionKind::kDataAccessRequest:
      id_row(o.id, where, rows);
      token_row(o.token, where, o.id, o.employer, a.scope, a.channel, rows);  // the outcome's scope is not logged
      break;
    case ActionKind::kCareerBreakRequest:
    case ActionKind::kCareerBreakNotification: id_row(o.id, where, rows); break;
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: answered_row(o.subject, where, rows); break;
    case ActionKind::kEmployerSettings: settings_row(o.employer, a.accepts_notifications, rows); break;
    default: break;
  }
}

// The state keeps what those events made: a period per accepted or warned IN (LedgerState:
// only A and W create one), and the accepted actions (ActionState).
void Directory::rows_of_state(const LedgerState& state, uint32_t partition, std::vector<KeyedTable::Row>* rows) {
  const std::string where = std::to_string(partition);
  state.for_each_period([&](const Period& p) { id_row(p.id.value, where, rows); });
  const ActionState& actions = state.actions();
  for (const DataAccessRequest& r : actions.requests()) {
    id_row(r.id, where, rows);
    token_row(r.token, where, r.id, r.employer, r.scope, r.channel, rows);
  }
  for (const CareerBreakRequest& t : actions.tickets()) id_row(t.ticket, where, rows);
  for (const CareerBreakNotification& n : actions.notifications()) id_row(n.id, where, rows);
  for (const ConsentAnswer& a : actions.answers()) answered_row(a.request_id, where, rows);
  for (const EmployerSettings& e : actions.all_settings()) settings_row(e.employer, e.accepts_notifications, rows);
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
