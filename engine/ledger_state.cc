#include "engine/ledger_state.h"

#include <algorithm>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "engine/base/limits.h"

#include <type_traits>

namespace dimona {


uint64_t LedgerState::hours_key(Ssin worker, int32_t year) {
  return (worker.value << 14) | static_cast<uint64_t>(year & 0x3fff);
}

const Period* LedgerState::period(PeriodId id) const {
  const uint32_t* index = period_index_.find(id.value);
  return index ? &periods_[*index] : nullptr;
}

uint32_t LedgerState::student_hours(Ssin worker, int32_t year) const {
  const uint32_t* h = student_hours_.find(hours_key(worker, year));
  return h ? *h : 0;
}

std::optional<uint32_t> LedgerState::quota(int32_t year, Instant at) const {
  if (quota_schedule_) return quota_at(*quota_schedule_, year, at);
  for (auto it = quota_definitions_.rbegin(); it != quota_definitions_.rend(); ++it)
    if (it->year == year && !(at < it->recorded_at)) return it->hours;
  return std::nullopt;
}

const LedgerState::Lane* LedgerState::lane_of(const WorkerPeriods& w, const Period& p) {
  for (const Lane& lane : w.lanes)
    if (lane.employer == p.employer && lane.worker_type == p.worker_type && lane.user_company == p.user_company)
      return &lane;
  return nullptr;
}

Date Period::last_day() const {
  if (end.days != kOpenEndDays || worker_type != WorkerType::kFLX) return end;
  return Date{first_day_of_quarter(quarter_index(start) + 1).days - 1};
}

const Period* LedgerState::find_overlap(const Period& c, PeriodId ignore, bool* duplicate) const {
  *duplicate = false;
  const uint32_t* w = worker_index_.find(c.worker.value);
  if (!w) return nullptr;
  const Lane* lane = lane_of(workers_[*w - 1], c);
  if (!lane) return nullptr;
  // Periods starting after c.end cannot meet it; before that, ends grow with
  // starts, so the first one ending before c.start ends the search.
  const auto& entries = lane->by_start;
  auto it = std::upper_bound(entries.begin(), entries.end(), c.last_day().days,
                             [](int32_t day, const Lane::Entry& e) { return day < e.start; });
  while (it != entries.begin()) {
    const Lane::Entry& e = *--it;
    if (e.end < c.start.days) break;
    const Period& p = periods_[e.index];
    if (p.id == ignore) continue;
    *duplicate = p.start == c.start && p.end == c.end && p.planned_hours == c.planned_hours &&
                 p.joint_commission == c.joint_commission;
    return &p;
  }
  return nullptr;
}

void LedgerState::note_id(uint64_t id) {
  const uint64_t body = id / 100;
  if (body >= next_id_body_) next_id_body_ = body + 1;
}

void LedgerState::index_period(WorkerPeriods& w, uint32_t index) {
  const Period& p = periods_[index];
  if (p.cancelled) return;
  auto* lane = const_cast<Lane*>(lane_of(w, p));
  if (!lane) {
    w.lanes.push_back(Lane{p.employer, p.user_company, p.worker_type, {}});
    lane = &w.lanes.back();
  }
  const Lane::Entry entry{p.start.days, p.last_day().days, index};
  auto& entries = lane->by_start;
  if (entries.empty() || entries.back().start <= entry.start) {  // the common case: in date order
    entries.push_back(entry);
    return;
  }
  auto at = std::upper_bound(entries.begin(), entries.end(), entry.start,
                             [](int32_t day, const Lane::Entry& e) { return day < e.start; });
  entries.insert(at, entry);
}

void LedgerState::unindex_period(WorkerPeriods& w, uint32_t index) {
  for (Lane& lane : w.lanes)
    std::erase_if(lane.by_start, [index](const Lane::Entry& e) { return e.index == index; });
}

void LedgerState::add_student_hours(const Period& p, int64_t delta) {
  if (p.worker_type != WorkerType::kSTU) return;
  uint32_t& h = student_hours_[hours_key(p.worker, year_of(p.start))];
  const int64_t next = int64_t{h} + delta;
  DIMONA_ASSERT(next >= 0);
  h = static_cast<uint32_t>(next);
}

Status LedgerState::apply(const Event& event) {
  // Partitions are folded one after the other, so ledger time is monotonic
  // per partition only (the log checks that); the state keeps the maximum.
  last_recorded_at_ = std::max(last_recorded_at_, event.recorded_at);
  ++events_applied_;
  if (event.type == EventType::kStudentQuotaDefined) {
    apply_quota(event);
    return Status::ok();
  }
  if (event.is_action()) return apply_action(event);
  return apply_declaration(event);
}

Status LedgerState::apply_action(const Event& event) {
  const ActionOutcome& o = event.action.outcome;
  note_id(o.id);
  if (!o.accepted()) return Status::ok();
  return actions_.apply(event);
}

// A quota definition is written to every partition: fold it once, and keep
// the definitions ordered by ledger time so the latest one of a year wins.
void LedgerState::apply_quota(const Event& event) {
  add_quota_definition(
      QuotaDefinition{event.quota.year, event.quota.hours, event.quota.effective_from, event.recorded_at});
}

void LedgerState::add_quota_definition(const QuotaDefinition& q) {
  auto same = [&q](const QuotaDefinition& o) {
    return o.year == q.year && o.hours == q.hours && o.effective_from == q.effective_from && o.recorded_at == q.recorded_at;
  };
  if (std::any_of(quota_definitions_.begin(), quota_definitions_.end(), same)) return;
  auto at = std::upper_bound(quota_definitions_.begin(), quota_definitions_.end(), q,
                             [](const QuotaDefinition& a, const QuotaDefinition& b) { return a.recorded_at < b.recorded_at; });
  quota_definitions_.insert(at, q);
}

Status LedgerState::apply_declaration(const Event& event) {
  const DeclarationBody& b = event.declaration;
  note_id(b.declaration_id.value);
  if (b.decision.period_id.value != 0) note_id(b.decision.period_id.value);
  const ResultCode r = b.decision.result;
  if (!changes_period(r)) return Status::ok();
  const PersonName& name = b.declaration.name;
  if (!name.empty() && b.decision.worker.value != 0)  // the attestation prints it (issue 10)
    actions_.note_worker_name(b.decision.worker, name.family(), name.given());
  if (b.declaration.kind == DeclarationKind::kIn) {
    if (next_processed_ > limits::period_changes_max)
      return corruption("more INs and UPDATEs than one state numbers (limits::period_changes_max)");
    if (!create_period(event)) return corruption("an accepted IN reuses a period id");
    return Status::ok();
  }
  return change_period(event);
}

bool LedgerState::create_period(const Event& event) {
  const Declaration& d = event.declaration.declaration;
  Period p;
  p.id = event.declaration.decision.period_id;
  p.worker = event.declaration.decision.worker;
  p.employer = employer_key(d);
  p.start = d.start_date.value;
  if (d.end_date.valid()) p.end = d.end_date.value;
  p.worker_type = d.worker_type.value;
  p.joint_commission = d.joint_commission.value;
  p.late = event.declaration.decision.late;
  p.exceeding_hours = static_cast<uint16_t>(event.declaration.decision.exceeding_hours);
  if (d.planned_hours.valid()) {
    DIMONA_ASSERT(d.planned_hours.value >= limits::planned_hours_min && d.planned_hours.value <= limits::planned_hours_max);
    p.planned_hours = static_cast<uint16_t>(d.planned_hours.value);
  }
  if (p.joint_commission == kJointCommissionInterim) {
    p.user_company = d.using_employer.enterprise_number.valid() ? d.using_employer.enterprise_number.value.value
                                                                : d.using_employer.name_key;
    if (is_named_user_company(p.user_company) && d.using_employer.name_size > 0)
      user_company_names_.try_emplace(p.user_company, d.using_employer.name());
  }
  DIMONA_ASSERT(p.id.value != 0 && !(p.end < p.start));
  DIMONA_ASSERT(periods_.size() < UINT32_MAX);
  p.processed = next_processed_;
  return restore_period(p);
}

Status LedgerState::change_period(const Event& event) {
  const Declaration& d = event.declaration.declaration;
  const uint32_t* index = period_index_.find(event.declaration.decision.period_id.value);
  if (!index) return corruption("an accepted declaration addresses a period the log never created");
  Period& p = periods_[*index];
  if (d.kind == DeclarationKind::kUpdate && next_processed_ > limits::period_changes_max)
    return corruption("more INs and UPDATEs than one state numbers (limits::period_changes_max)");
  const Period before = p;
  add_student_hours(p, -int64_t{p.counts_for_student_quota() ? p.planned_hours : 0});
  p.last_change = d.kind;
  if (d.kind != DeclarationKind::kCancel && p.updates < UINT8_MAX) ++p.updates;
  if (d.kind == DeclarationKind::kUpdate) {
    p.exceeding_hours = static_cast<uint16_t>(event.declaration.decision.exceeding_hours);
    p.processed = next_processed_++;
  }
  switch (d.kind) {
    case DeclarationKind::kCancel: p.cancelled = true; break;
    case DeclarationKind::kOut: p.end = d.end_date.value; break;
    case DeclarationKind::kUpdate:
      if (d.end_date.valid()) p.end = d.end_date.value;
      if (d.planned_hours.valid()) {
        DIMONA_ASSERT(d.planned_hours.value >= limits::planned_hours_min && d.planned_hours.value <= limits::planned_hours_max);
        p.planned_hours = static_cast<uint16_t>(d.planned_hours.value);
      }
      if (d.start_date.valid()) p.start = d.start_date.value;
      break;
    case DeclarationKind::kIn: DIMONA_ASSERT(false);
  }
  if (p.start != before.start || p.last_day() != before.last_day() || p.cancelled) {  // moved or gone: index it again
    WorkerPeriods& w = workers_[*worker_index_.find(p.worker.value) - 1];
    unindex_period(w, *index);
    index_period(w, *index);
  }
  add_student_hours(p, p.counts_for_student_quota() ? p.planned_hours : 0);
  return Status::ok();
}

}  // namespace dimona

// --- Checkpoint bytes -------------------------------------------------------------
// Little-endian fields, a CRC32C at the end (docs/checkpoints.md):
//   "DLS1" version u32, events_applied u64, last_recorded_at i64, next_id_body u64,
//   quota count u32 { year i32, hours u32, effective_from i32, recorded_at i64 },
//   period count u64 { id u64, worker u64, employer u64, user_company u64, start i32,
//   end i32, planned u16, jc u16, type u8, flags u8, exceeding u16, updates u8,
//   last_change u8, processed u32 }, named user company count u32 { key u64, name (u32 length,
//   bytes) }, the action state (ActionState::save), crc32c u32 of everything before it.
namespace dimona {
namespace {

constexpr uint32_t kStateMagic = 0x31534c44;  // "DLS1"
// 2: the action state after the periods; 3: worker names, attestations' names; 4: inbox archiving,
// gross wages; 5: consultations; 6: no consultations (a read model keeps them,
// projections/consultation_log.h); 7: an interim user company given by name keyed by its name
// (named_user_company_key); 8: the names of the user companies given by name; 9: each period's
// place in processing order (Period::processed); 10: when ONEM decided a ticket and when its inbox
// message was archived, "not yet" as kNoInstant (not 0, an instant a batch file may give); 11: the
// Interim@work overviews sent to an eBox (after the worker names). Only version 11 is read:
// what an older state lacks (the processing order of its periods above all) only a fold of the log gives, so its
// checkpoint is set aside and the log folded again (api/ledger_root open_projector, one warning
// line; `replay --rebuild` does it by hand).
constexpr uint32_t kStateVersion = 11;

}  // namespace

void LedgerState::save(std::string* out) const {
  constexpr size_t kPeriodBytes = 8 * 4 + 4 * 2 + 2 * 2 + 1 * 2 + 2 + 1 + 1 + 4;
  out->reserve(out->size() + 64 + quota_definitions_.size() * 20 + periods_.size() * kPeriodBytes);
  const size_t begin = out->size();
  put(out, kStateMagic);
  put(out, kStateVersion);
  put(out, events_applied_);
  put(out, last_recorded_at_.micros);
  put(out, next_id_body_);
  put(out, static_cast<uint32_t>(quota_definitions_.size()));
  for (const QuotaDefinition& q : quota_definitions_) {
    put(out, q.year);
    put(out, q.hours);
    put(out, q.effective_from.days);
    put(out, q.recorded_at.micros);
  }
  put(out, static_cast<uint64_t>(periods_.size()));
  for (size_t i = 0; i < periods_.size(); ++i) {
    const Period& p = periods_[i];
    put(out, p.id.value);
    put(out, p.worker.value);
    put(out, p.employer);
    put(out, p.user_company);
    put(out, p.start.days);
    put(out, p.end.days);
    put(out, p.planned_hours);
    put(out, p.joint_commission);
    put(out, static_cast<uint8_t>(p.worker_type));
    put(out, static_cast<uint8_t>((p.cancelled ? 1 : 0) | (p.late ? 2 : 0)));
    put(out, p.exceeding_hours);
    put(out, p.updates);
    put(out, static_cast<uint8_t>(p.last_change));
    put(out, p.processed);
  }
  std::vector<std::pair<uint64_t, std::string_view>> names(user_company_names_.begin(), user_company_names_.end());
  std::sort(names.begin(), names.end());  // canonical bytes
  put(out, static_cast<uint32_t>(names.size()));
  for (const auto& [key, name] : names) {
    put(out, key);
    put(out, name);
  }
  actions_.save(out);
  put(out, crc32c(out->data() + begin, out->size() - begin));
}

Status LedgerState::load(std::string_view bytes, LedgerState* s) {
  DIMONA_ASSERT(s->periods_.empty() && s->events_applied_ == 0);
  return load_into(bytes, s, /*merge=*/false);
}

Status LedgerState::merge(std::span<const Part> parts, LedgerState* into) {
  DIMONA_ASSERT(into->periods_.empty() && into->events_applied_ == 0 && into->actions_.record_count() == 0);
  size_t periods = 0, workers = 0, hours = 0;  // of the parts given as states (bytes reserve as they load)
  for (const Part& part : parts) {
    if (part.state == nullptr) continue;
    periods += part.state->periods_.size();
    workers += part.state->worker_index_.size();
    hours += part.state->student_hours_.size();
  }
  into->period_index_.reserve(periods);  // no rehash as the parts come in
  into->worker_index_.reserve(workers);
  into->student_hours_.reserve(hours);
  into->workers_.reserve(workers);
  std::string bytes;
  for (const Part& part : parts) {
    if (part.state == nullptr) {
      DIMONA_TRY(load_into(part.bytes, into, /*merge=*/true));
      continue;
    }
    bytes.clear();
    part.state->save(&bytes);
    DIMONA_TRY(load_into(bytes, into, /*merge=*/true));
  }
  return Status::ok();
}

Result<LedgerState::Summary> LedgerState::summary_of(std::string_view bytes) {
  ByteReader in(bytes);
  uint32_t magic = 0, version = 0;
  Summary s;
  if (!in.get(&magic) || magic != kStateMagic || !in.get(&version) || !in.get(&s.events_applied) ||
      !in.get(&s.last_recorded_at.micros))
    return corruption("not a ledger state");
  return s;
}

Status LedgerState::load_into(std::string_view bytes, LedgerState* s, bool merge) {
  if (bytes.size() < 4) return corruption("checkpoint state truncated");
  uint32_t crc = 0;
  ByteReader tail(bytes.substr(bytes.size() - 4));
  (void)tail.get(&crc);
  if (crc32c(bytes.data(), bytes.size() - 4) != crc) return corruption("checkpoint state fails its CRC");
  ByteReader in(bytes.substr(0, bytes.size() - 4));
  uint32_t magic = 0, version = 0, quotas = 0;
  uint64_t periods = 0;
  if (!in.get(&magic) || magic != kStateMagic || !in.get(&version))
    return corruption("not a ledger state");
  if (version != kStateVersion)
    return failed_precondition("ledger state version " + std::to_string(version) + ", this build reads " +
                               std::to_string(kStateVersion) + ": run `dimona-ledger replay --rebuild`");
  uint64_t events_applied = 0, next_id_body = 0;
  Instant last_recorded_at;
  if (!in.get(&events_applied) || !in.get(&last_recorded_at.micros) || !in.get(&next_id_body) || !in.get(&quotas))
    return corruption("checkpoint state truncated");
  // A merge sums what each part folded; the rest is what one fold of all their events keeps.
  s->events_applied_ += events_applied;
  s->last_recorded_at_ = merge ? std::max(s->last_recorded_at_, last_recorded_at) : last_recorded_at;
  s->next_id_body_ = merge ? std::max(s->next_id_body_, next_id_body) : next_id_body;
  for (uint32_t i = 0; i < quotas; ++i) {
    QuotaDefinition q;
    if (!in.get(&q.year) || !in.get(&q.hours) || !in.get(&q.effective_from.days) || !in.get(&q.recorded_at.micros))
      return corruption("checkpoint state truncated");
    if (merge)
      s->add_quota_definition(q);  // a log before issue 11 copied each into every partition
    else
      s->quota_definitions_.push_back(q);
  }
  if (!in.get(&periods) || periods > in.remaining() / 50) return corruption("checkpoint state truncated");
  s->period_index_.reserve(s->period_index_.size() + static_cast<size_t>(periods));  // bounded by the bytes
  for (uint64_t i = 0; i < periods; ++i) {
    Period p;
    uint8_t type = 0, flags = 0, last = 0;
    if (!in.get(&p.id.value) || !in.get(&p.worker.value) || !in.get(&p.employer) || !in.get(&p.user_company) ||
        !in.get(&p.start.days) || !in.get(&p.end.days) || !in.get(&p.planned_hours) || !in.get(&p.joint_commission) ||
        !in.get(&type) || !in.get(&flags) || !in.get(&p.exceeding_hours) || !in.get(&p.updates) || !in.get(&last) ||
        !in.get(&p.processed))
      return corruption("checkpoint state truncated");
    // Ids and SSINs key FlatMaps, which reserve all ones. Worker 0: a worker not identified (S).
    if (type > static_cast<uint8_t>(WorkerType::kOTH) || last > 3 || p.end < p.start || p.id.value == 0 ||
        (p.worker.value != 0 && !is_ssin_value(p.worker.value)) || p.id.value == FlatMap<uint32_t>::kEmptyKey ||
        p.worker.value == FlatMap<uint32_t>::kEmptyKey)
      return corruption("checkpoint state holds an impossible period");
    p.worker_type = static_cast<WorkerType>(type);
    p.cancelled = flags & 1;
    p.late = flags & 2;
    p.last_change = static_cast<DeclarationKind>(last);
    if (!s->restore_period(p)) return corruption("checkpoint state holds an impossible period");  // its id twice
  }
  uint32_t names = 0;
  if (!in.get(&names)) return corruption("checkpoint state truncated");
  for (uint32_t i = 0; i < names; ++i) {
    uint64_t key = 0;
    std::string_view name;
    if (!in.get(&key) || !in.get(&name)) return corruption("checkpoint state truncated");
    if (!is_named_user_company(key) || name.empty() || name.size() > limits::user_company_name_bytes_max)
      return corruption("checkpoint state holds an impossible user company name");
    s->user_company_names_.try_emplace(key, name);  // a merge keeps the first part's
  }
  return ActionState::load(in.rest(), &s->actions_, merge);
}

std::string_view LedgerState::user_company_name(uint64_t key) const {
  auto it = user_company_names_.find(key);
  return it == user_company_names_.end() ? std::string_view() : std::string_view(it->second);
}

bool LedgerState::restore_period(const Period& p) {
  const auto index = static_cast<uint32_t>(periods_.size());
  if (p.processed > limits::period_changes_max || !period_index_.insert(p.id.value, index)) return false;
  if (period_filter_.full()) {  // grown twice as large, from every id (this one included)
    period_filter_.reset(2 * period_index_.size());
    period_index_.for_each([this](uint64_t id, uint32_t) { period_filter_.add(id); });
  } else {
    period_filter_.add(p.id.value);
  }
  next_processed_ = std::max(next_processed_, p.processed + 1);
  periods_.push_back(p);
  uint32_t& w = worker_index_[p.worker.value];
  if (w == 0) {
    workers_.emplace_back();
    w = static_cast<uint32_t>(workers_.size());
  }
  index_period(workers_[w - 1], index);
  workers_[w - 1].all.push_back(index);
  if (p.counts_for_student_quota()) add_student_hours(p, p.planned_hours);
  return true;
}

}  // namespace dimona
