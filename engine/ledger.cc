#include "engine/ledger.h"

#include <algorithm>
#include <cstring>

#include "engine/base/flat_map.h"
#include "engine/base/limits.h"
#include "engine/codec.h"

namespace dimona {

Status fold_log(EventLog& log, LedgerState* state) {
  EventDecoder decoder;
  RecordBatch batch;
  for (uint32_t partition = 0; partition < log.partition_count(); ++partition) {
    auto reader = log.read(partition, 0);
    DIMONA_TRY(reader);
    for (;;) {
      Result<bool> more = (*reader)->next(&batch);
      DIMONA_TRY(more);
      if (!*more) break;
      batch.payload.reserve(batch.payload.size() + kJsonPadding);
      const char* end = batch.payload.data() + batch.payload.size();
      for (const char* at = batch.payload.data(); at < end;) {
        const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
        DIMONA_ASSERT(nl != nullptr);  // the reader checked the line count
        const std::string_view line(at, static_cast<size_t>(nl - at));
        Result<Event> event = decoder.decode(line, static_cast<size_t>(end - at) + kJsonPadding);
        if (!event.is_ok()) return corruption("partition " + std::to_string(partition) + " near offset " +
                                              std::to_string(batch.base_offset) + ": " + event.status().message());
        DIMONA_TRY(state->apply(*event));
        at = nl + 1;
      }
    }
  }
  return Status::ok();
}

Ledger::Ledger(EventLog& log, QuotaSchedule schedule, const Clock& clock)
    : log_(log), schedule_(std::move(schedule)), clock_(clock), drafts_(log.partition_count()) {
  for (uint32_t p = 0; p < drafts_.size(); ++p) drafts_[p].partition = p;
}

Result<std::unique_ptr<Ledger>> Ledger::open(EventLog& log, QuotaSchedule schedule, const Clock& clock) {
  auto ledger = std::unique_ptr<Ledger>(new Ledger(log, std::move(schedule), clock));  // NOLINT: private constructor
  DIMONA_TRY(dimona::fold_log(log, &ledger->state_));
  return ledger;
}

uint32_t Ledger::partition_of(Ssin worker) const {
  if (worker.value == 0) return 0;
  return static_cast<uint32_t>(mix64(worker.value) % log_.partition_count());
}

Status Ledger::stage(const Event& event, uint32_t partition) {
  BatchDraft& draft = drafts_[partition];
  if (draft.count == 0) draft.first_recorded_at = event.recorded_at;
  draft.last_recorded_at = event.recorded_at;
  ++draft.count;
  ++staged_events_;
  encode_event(event, &draft.payload);
  return Status::ok();
}

Status Ledger::stage_due_quota(Instant until) {
  for (const QuotaEntry& entry : schedule_.entries) {
    if (until < entry.defined_at) break;
    const auto& known = state_.quota_definitions();
    const bool in_log = std::any_of(known.begin(), known.end(), [&](const QuotaDefinition& q) {
      return q.year == entry.year && q.hours == entry.hours && q.effective_from == entry.effective_from;
    });
    if (in_log) continue;
    Event event;
    event.type = EventType::kStudentQuotaDefined;
    event.recorded_at = std::max(entry.defined_at, state_.last_recorded_at());
    event.source = "schedule:quota.json";
    event.quota = QuotaBody{entry.year, entry.hours, entry.effective_from, entry.legal_source};
    for (uint32_t p = 0; p < drafts_.size(); ++p) DIMONA_TRY(stage(event, p));
    DIMONA_TRY(state_.apply(event));
  }
  return Status::ok();
}

Result<Submission> Ledger::submit(const Declaration& d, std::string_view raw, std::string_view source) {
  DIMONA_ASSERT(!poisoned_);
  Instant at = std::max(clock_.now(), state_.last_recorded_at());
  if (d.recorded_at) {
    if (*d.recorded_at < state_.last_recorded_at())
      return invalid_argument("recordedAt " + to_string(*d.recorded_at) + " is before ledger time " +
                              to_string(state_.last_recorded_at()));
    at = *d.recorded_at;
  }
  DIMONA_TRY(stage_due_quota(at));

  Event event;
  event.type = event_type_of(d.kind);
  event.recorded_at = at;
  event.source = source;
  DeclarationBody& body = event.declaration;
  body.declaration = d;
  body.decision = decide(state_, d, at);
  body.declaration_id = DeclarationId{dimona_id_from_body(state_.next_id_body())};
  Decision& decision = body.decision;
  if (d.kind == DeclarationKind::kIn && decision.period_id.value == 0 && decision.result != ResultCode::kRefused)
    decision.period_id = PeriodId{dimona_id_from_body(state_.next_id_body() + 1)};
  event.ssin = decision.worker;

  line_.assign(raw);
  std::replace_if(line_.begin(), line_.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  body.raw = line_;
  const uint32_t partition = partition_of(decision.worker);
  DIMONA_TRY(stage(event, partition));
  if (Status s = state_.apply(event); !s.is_ok()) {
    poisoned_ = true;
    return s;
  }
  return Submission{body.declaration_id, decision, at, partition};
}

bool Ledger::should_commit() const {
  for (const BatchDraft& draft : drafts_) {
    if (draft.count + drafts_.size() + 1 >= limits::batch_events_max) return true;
    if (draft.payload.size() + 2 * limits::event_bytes_max >= limits::batch_payload_bytes_max) return true;
  }
  return false;
}

Status Ledger::commit(const SourceCursor* cursor) {
  DIMONA_ASSERT(!poisoned_);
  std::vector<BatchDraft> ready;
  for (BatchDraft& draft : drafts_) {
    if (draft.count == 0) continue;
    ready.push_back(std::move(draft));
    draft = BatchDraft{};
    draft.partition = ready.back().partition;
  }
  if (ready.empty() && cursor == nullptr) return Status::ok();
  staged_events_ = 0;
  Result<std::vector<Offset>> appended = log_.append(ready, cursor);
  if (!appended.is_ok()) {
    poisoned_ = true;
    return appended.status();
  }
  return Status::ok();
}

}  // namespace dimona
