#include "projections/outbox.h"

#include <cstdio>

#include "engine/action_state.h"
#include "engine/base/assert.h"
#include "engine/base/crc32c.h"
#include "engine/base/json_writer.h"
#include "engine/codec.h"
#include "engine/event.h"
#include "engine/identifiers.h"
#include "engine/log/log_tools.h"
#include "engine/source_position.h"
#include "projections/student_views.h"

namespace dimona {
namespace {

constexpr std::string_view kAttestationMessageType = "StudentAttestationMessage";
constexpr std::string_view kDecisionMessageType = "CareerBreakDecisionMessage";
constexpr std::string_view kOverviewMessageType = "InterimOverviewMessage";
constexpr uint32_t kMessageSchemaVersion = 1;

std::string source_name(uint32_t partition) { return "log:" + std::to_string(partition); }

uint32_t event_id_crc(std::string_view id) { return crc32c(id.data(), id.size()); }

std::string partition_text(std::string_view what, uint32_t partition, Offset offset) {
  return std::string(what) + " partition " + std::to_string(partition) + " offset " + std::to_string(offset);
}

// The outbox position of the message of event (partition, offset).
std::string source_of(uint32_t partition, Offset offset, std::string_view event_id) {
  const SourcePosition position{source_name(partition), {offset + 1, offset + 1, event_id_crc(event_id)},
                                {offset, offset, 0}};
  std::string text;
  format_source_position(position, &text);
  return text;
}

}  // namespace

Result<std::string> default_outbox_uri(std::string_view uri) {
  if (uri.starts_with("kafka://") || (uri.starts_with("memory:") && uri.size() > 7))
    return std::string(uri) + ".outbox";
  if (uri.starts_with("sqlite:") && uri.size() > 7) {
    if (uri.ends_with(".db")) return std::string(uri.substr(0, uri.size() - 3)) + ".outbox.db";
    return std::string(uri) + ".outbox";
  }
  return invalid_argument("no default outbox for the log " + std::string(uri) + ": name one (--outbox URI)");
}

void outbox_message_json(const InboxMessage& m, std::string_view event_id, std::string* out) {
  const Attestation& a = m.attestation;
  JsonWriter w(out);
  w.begin_object();
  w.key("messageId").digits(a.id, 12);
  w.key("citizen").digits(a.citizen.value, 11);
  w.key("kind").string("studentAttestation");
  w.key("forYear").integer(a.for_year);
  w.key("quotaHours").integer(a.quota_hours);
  w.key("remainingHours").integer(a.remaining_hours);
  w.key("accessCode").string(format_access_code(a.access_code));
  w.key("validFrom").string(to_string(a.valid_from()));
  w.key("validUntil").string(to_string(a.valid_until()));
  w.key("issuedAt").string(to_string(m.delivered_at));
  w.key("expiresAt").string(to_string(m.expires_at));
  w.key("eventId").string(event_id);
  w.end_object();
}

void decision_message_json(const ActionOutcome& outcome, OnemDecision decision, Instant decided_at,
                           std::string_view event_id, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("messageId").digits(outcome.subject, 12);
  w.key("citizen").digits(outcome.worker.value, 11);
  w.key("kind").string("careerBreakDecision");
  w.key("ticket").digits(outcome.subject, 12);
  w.key("decision").string(onem_decision_name(decision));
  w.key("employer");
  write_company(w, outcome.employer);
  w.key("decidedAt").string(to_string(decided_at));
  w.key("expiresAt").string(to_string(inbox_expiry(decided_at)));
  w.key("eventId").string(event_id);
  w.end_object();
}

void overview_message_json(const Action& action, const ActionOutcome& outcome, Instant sent_at,
                           std::string_view event_id, std::string* out) {
  const InterimOverviewSend o = overview_send_of(action, outcome, sent_at);
  JsonWriter w(out);
  w.begin_object();
  w.key("messageId").digits(o.id, 12);
  w.key("citizen").digits(o.citizen.value, 11);
  w.key("kind").string("interimOverview");
  w.key("channel").string(delivery_channel_name(action.delivery));
  if (action.delivery == DeliveryChannel::kEmail) w.key("email").string(action.delivery_email);
  write_overview_filters(w, o);
  w.key("sentAt").string(to_string(sent_at));
  if (action.delivery == DeliveryChannel::kEbox) w.key("expiresAt").string(to_string(inbox_expiry(sent_at)));
  w.key("document").string(overview_document(o));
  w.key("eventId").string(event_id);
  w.end_object();
}

// One outbox partition's messages not appended yet.
struct OutboxRelay::Pending {
  struct Message {
    std::string id, key, payload, source;
    std::string_view type;
    Instant recorded_at;
  };
  std::vector<Message> messages;
};

OutboxRelay::OutboxRelay(Log& events, Log& outbox, const OutboxOptions& options)
    : outbox_(outbox),
      options_(options),
      next_(events.partitions(), 0),
      read_(events.partitions(), 0),
      fences_(events.partitions()),
      pending_(events.partitions()),
      decoder_(std::make_unique<EventDecoder>()) {}

OutboxRelay::~OutboxRelay() = default;

Result<std::unique_ptr<OutboxRelay>> OutboxRelay::open(Log& events, Log& outbox, const OutboxOptions& options) {
  if (options.append_messages_max == 0 || options.append_messages_max > limits::outbox_append_messages_max)
    return invalid_argument("an outbox append carries 1 to " + std::to_string(limits::outbox_append_messages_max) +
                            " messages");
  if (&events == &outbox || (events.uri() == outbox.uri() && !events.uri().ends_with("memory:")))
    return invalid_argument("the outbox is the events log itself: name another (--outbox URI)");
  if (outbox.partitions() != events.partitions()) {
    return failed_precondition("the outbox " + outbox.uri() + " has " + std::to_string(outbox.partitions()) +
                               " partitions, the events log " + std::to_string(events.partitions()) +
                               ": each outbox partition holds the messages of its events partition");
  }
  std::unique_ptr<OutboxRelay> relay(new OutboxRelay(events, outbox, options));
  for (uint32_t p = 0; p < outbox.partitions(); ++p) {  // the fence first, then the tails
    Result<std::unique_ptr<LogProducer>> producer = outbox.open_producer(p);
    DIMONA_TRY(producer);
    relay->producers_.push_back(std::move(*producer));
  }
  Result<std::unique_ptr<LogConsumer>> consumer = events.open_consumer();
  DIMONA_TRY(consumer);
  relay->consumer_ = std::move(*consumer);
  DIMONA_TRY(relay->resume());
  return relay;
}

// Each outbox partition's last record names the last event relayed from its events partition.
Status OutboxRelay::resume() {
  Result<std::unique_ptr<LogConsumer>> tails = outbox_.open_consumer();
  DIMONA_TRY(tails);
  for (uint32_t p = 0; p < outbox_.partitions(); ++p) {
    Result<Offset> end = (*tails)->end_offset(p);
    DIMONA_TRY(end);
    if (*end == 0) continue;
    std::string source;
    DIMONA_TRY(read_partition(**tails, p, *end - 1, *end, [&](LogRecord& r) {
      source = std::move(r.source);
      return Status::ok();
    }));
    Result<SourcePosition> position = parse_source_position(source);
    if (!position.is_ok() || position->source != source_name(p) || position->at.index != position->resume.index + 1) {
      return failed_precondition(partition_text("the outbox's", p, *end - 1) +
                                 " was not written by the relay (its source is not " + source_name(p) + "@…)");
    }
    const Offset relayed = position->resume.index;
    Result<Offset> events_end = consumer_->end_offset(p);
    DIMONA_TRY(events_end);
    uint32_t crc = 0;
    Offset epoch = kNoEpoch;
    if (relayed < *events_end) {
      DIMONA_TRY(read_partition(*consumer_, p, relayed, relayed + 1, [&](LogRecord& r) {
        crc = event_id_crc(r.event_id);
        epoch = r.epoch;
        return Status::ok();
      }));
    }
    if (relayed >= *events_end || crc != position->at.crc) {
      return failed_precondition("the outbox holds the message of " + partition_text("events", p, relayed) +
                                 ", which is not in this events log: the outbox was relayed from another log");
    }
    next_[p] = relayed + 1;
    fences_[p] = FenceFilter(epoch);  // an event relayed was valid: its epoch is the fence in effect
  }
  return Status::ok();
}

Result<OutboxStats> OutboxRelay::relay_until(const std::vector<Offset>& ends, const std::function<bool()>& stop) {
  DIMONA_ASSERT(ends.size() == next_.size());
  return run(&ends, stop, {});
}

Result<OutboxStats> OutboxRelay::relay_to_end(const std::function<bool()>& stop) {
  if (broken_) return failed_precondition("the outbox relay failed before: open it again");
  std::vector<Offset> ends(next_.size());
  for (uint32_t p = 0; p < ends.size(); ++p) {
    Result<Offset> end = consumer_->end_offset(p);
    DIMONA_TRY(end);
    ends[p] = *end;
  }
  return run(&ends, stop, {});
}

Result<OutboxStats> OutboxRelay::follow(const std::function<bool()>& stop,
                                        const std::function<void(const OutboxStats&)>& progress) {
  DIMONA_ASSERT(stop);
  return run(nullptr, stop, progress);
}

Result<OutboxStats> OutboxRelay::run(const std::vector<Offset>* ends, const std::function<bool()>& stop,
                                     const std::function<void(const OutboxStats&)>& progress) {
  if (broken_) return failed_precondition("the outbox relay failed before: open it again");
  broken_ = true;  // until this run ends well: pending messages and positions are not to be trusted after an error
  OutboxStats stats;
  std::vector<uint32_t> partitions;
  for (uint32_t p = 0; p < next_.size(); ++p)
    if (ends == nullptr || next_[p] < (*ends)[p]) partitions.push_back(p);
  auto done = [&] {
    if (ends == nullptr) return false;
    for (uint32_t p : partitions)
      if (read_[p] < (*ends)[p]) return false;
    return true;
  };
  read_ = next_;
  if (!partitions.empty()) {
    DIMONA_TRY(consumer_->assign(partitions));
    for (uint32_t p : partitions) DIMONA_TRY(consumer_->seek(p, next_[p]));
  }
  std::vector<LogRecord> batch;
  auto last_progress = std::chrono::steady_clock::now();
  while (!partitions.empty() && !done() && !(stop && stop())) {
    batch.clear();
    Result<size_t> got = consumer_->poll(batch, options_.poll_timeout, limits::log_read_chunk_records);
    DIMONA_TRY(got);
    if (batch.empty()) {
      if (ends != nullptr && std::chrono::steady_clock::now() - last_progress >
                                 std::chrono::milliseconds(limits::log_read_stall_ms)) {
        return unavailable("the events log delivered nothing for " + std::to_string(limits::log_read_stall_ms / 1000) +
                           " s before its end");
      }
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    const uint64_t messages_before = stats.messages;
    for (LogRecord& r : batch) {
      const uint32_t p = r.partition;
      DIMONA_ASSERT(p < read_.size());
      if ((ends != nullptr && r.offset >= (*ends)[p]) || r.offset < read_[p]) continue;  // past the end, or redelivered
      if (r.offset != read_[p])
        return corruption(partition_text("events", p, r.offset) + " follows offset " + std::to_string(read_[p]) + " (a gap)");
      Result<bool> event = fences_[p].admit(r);
      DIMONA_TRY(event);
      read_[p] = r.offset + 1;
      if (!*event) continue;
      ++stats.events;
      DIMONA_TRY(take(r, &stats));
      if (pending_[p].messages.size() >= options_.append_messages_max) DIMONA_TRY(flush(p, &stats));
    }
    for (uint32_t p : partitions) DIMONA_TRY(flush(p, &stats));
    if (progress && stats.messages != messages_before) progress(stats);
  }
  for (uint32_t p : partitions) DIMONA_ASSERT(pending_[p].messages.empty() && next_[p] == read_[p]);
  broken_ = false;
  return stats;
}

// Stages the message of an accepted attestation, ONEM decision or overview sent; any other event gives none.
Status OutboxRelay::take(LogRecord& r, OutboxStats* stats) {
  EventType type;
  if (!parse_event_type(r.type, &type) ||
      (type != EventType::kStudentAttestationIssued && type != EventType::kOnemDecisionIssued &&
       type != EventType::kInterimOverviewSent))
    return Status::ok();
  const bool attestation = type == EventType::kStudentAttestationIssued;
  Result<Event> event = decoder_->decode_copy(r.payload);
  if (!event.is_ok()) return corruption(partition_text("events", r.partition, r.offset) + ": " + event.status().message());
  if (event->type != type)
    return corruption(partition_text("events", r.partition, r.offset) + ": its type header is not its event's type");
  const ActionOutcome& outcome = event->action.outcome;
  if (!outcome.accepted()) {
    ++stats->refused;
    return Status::ok();
  }
  const uint64_t message_id = type == EventType::kOnemDecisionIssued ? outcome.subject : outcome.id;  // its ticket's
  if (outcome.worker.value == 0 || message_id == 0)
    return corruption(partition_text("events", r.partition, r.offset) + ": a message without its citizen or id");
  Pending::Message m;
  m.key = format_ssin(outcome.worker);
  if (partition_for_key(m.key, outbox_.partitions()) != r.partition) {
    return failed_precondition(partition_text("events", r.partition, r.offset) +
                               " holds a citizen of another partition: the events log is not keyed by SSIN");
  }
  char id[32];
  std::snprintf(id, sizeof id, "msg-%012llu", static_cast<unsigned long long>(message_id));
  m.id = id;
  if (attestation) {
    m.type = kAttestationMessageType;
    outbox_message_json(inbox_message_of(attestation_of(outcome, event->recorded_at)), r.event_id, &m.payload);
  } else if (type == EventType::kOnemDecisionIssued) {
    m.type = kDecisionMessageType;
    decision_message_json(outcome, event->action.action.decision, event->recorded_at, r.event_id, &m.payload);
  } else {
    m.type = kOverviewMessageType;
    overview_message_json(event->action.action, outcome, event->recorded_at, r.event_id, &m.payload);
  }
  m.source = source_of(r.partition, r.offset, r.event_id);
  m.recorded_at = r.recorded_at;
  pending_[r.partition].messages.push_back(std::move(m));
  return Status::ok();
}

Status OutboxRelay::flush(uint32_t p, OutboxStats* stats) {
  std::vector<Pending::Message>& messages = pending_[p].messages;
  if (!messages.empty()) {
    std::vector<LogRecordDraft> drafts;
    drafts.reserve(messages.size());
    for (const Pending::Message& m : messages)
      drafts.push_back(LogRecordDraft{m.id, m.key, m.type, kMessageSchemaVersion, m.recorded_at, m.payload, m.source});
    Result<AppendOutcome> appended = producers_[p]->append(drafts);
    DIMONA_TRY(appended);
    DIMONA_ASSERT(appended->offsets.size() == drafts.size());
    stats->messages += drafts.size() - appended->duplicates;  // an attestation the events log holds twice: one message
    messages.clear();
  }
  next_[p] = read_[p];
  return Status::ok();
}

}  // namespace dimona
