// The outbox relay (issue 14, item 5): each message of the citizen's inbox
// (an attestation issued, ONEM's decision on a career-break request, an
// Interim@work overview sent to the eBox) is also produced to an outbox log,
// which a delivery service (the citizen's eBox) consumes; the inbox read model
// (inbox_views.h) is the ledger's own copy. An overview sent by e-mail is an
// outbox message only, addressed to the e-mail given: the delivery service
// mails it (seed 002, "envoyé par e-mail depuis le service en ligne").
//
// Contract. OutboxRelay reads the ledger's event log partition by partition
// and, for each accepted StudentAttestationIssued, OnemDecisionIssued or
// InterimOverviewSent event, appends one message to the outbox, another Log (any backend: a Kafka topic,
// an embedded file, memory:). A refused action, and every other event, gives
// none. The message's record: key the citizen's 11 digits, event id "msg-" +
// the message id (as in the inbox: the attestation's actionId, the decided
// request's ticket, the overview's actionId), type "StudentAttestationMessage",
// "CareerBreakDecisionMessage" or "InterimOverviewMessage", recordedAt the
// event's, payload outbox_message_json(), decision_message_json() or
// overview_message_json(). The outbox has the events
// log's partition count (open() refuses another, kFailedPrecondition), so
// partition_for_key puts each message in its event's partition number: outbox
// partition P holds the messages of events partition P, in the events' order.
//
// Exactly once, without transactions. Each message carries its event's
// place as its record source, in the SourcePosition text form
// (source_position.h) with a record as the unit: "log:P@O+1,O+1,C/O,O,0", O
// the event's offset in events partition P and C the crc32c of its event id.
// A partition's appends are durable in order, so the last record of outbox
// partition P proves every event of P up to O relayed: open() fences the
// outbox (a producer per partition), reads each partition's last record and
// starts P at O+1, after checking that the event at O still has that id. A
// relay stopped or crashed anywhere resumes with nothing relayed twice and
// nothing skipped. After a failed append the relay must be opened again
// (the fate of the batch is unknown on Kafka; the tail says it): every call
// then returns kFailedPrecondition.
//
// One relay per outbox: open() returns kBusy when another in the process
// holds it (the log's fence); across processes the embedded log refuses
// the second writer's append (kFailedPrecondition), Kafka cannot tell: run
// one relay per outbox topic. Errors, as values: kFailedPrecondition (the
// partition counts differ; an outbox record the relay did not write; an
// outbox relayed from another events log), the logs' own (kUnavailable,
// kCorruption, kIoError, ...); no SSIN and no payload byte in a message.
// Not thread-safe: one thread uses a relay; the Logs outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/log/fence.h"
#include "engine/log/log.h"
#include "projections/inbox_views.h"

namespace dimona {

class EventDecoder;

// The default outbox of an events log: kafka://H:P/TOPIC -> kafka://H:P/TOPIC.outbox,
// sqlite:DIR/ledger.db -> sqlite:DIR/ledger.outbox.db, memory:NAME -> memory:NAME.outbox;
// kInvalidArgument for a private memory: log (no name to share).
Result<std::string> default_outbox_uri(std::string_view events_uri);

// The message's JSON: {"messageId","citizen","kind":"studentAttestation",
// "forYear","quotaHours","remainingHours","accessCode","validFrom",
// "validUntil","issuedAt","expiresAt","eventId"} (the inbox message's
// figures; expiresAt two months after issuedAt, as the inbox keeps it).
void outbox_message_json(const InboxMessage& message, std::string_view event_id, std::string* out);
// ONEM's decision's message: {"messageId" (the ticket),"citizen","kind":"careerBreakDecision",
// "ticket","decision" (GRANTED | REFUSED),"employer","decidedAt","expiresAt","eventId"}.
void decision_message_json(const ActionOutcome& outcome, OnemDecision decision, Instant decided_at,
                           std::string_view event_id, std::string* out);

// An Interim@work overview's message: {"messageId" (the actionId),"citizen","kind":"interimOverview",
// "channel" (EBOX | EMAIL),"email" (EMAIL only),"from","to","workerType"?,"agency"?,"userCompany"?,
// "sentAt","expiresAt" (EBOX only: the inbox keeps it two months),"document" (overview_document:
// the interimRelations read as of sentAt, relative to the API's root),"eventId"}.
void overview_message_json(const Action& action, const ActionOutcome& outcome, Instant sent_at,
                           std::string_view event_id, std::string* out);

struct OutboxOptions {
  size_t append_messages_max = limits::outbox_append_messages_max;  // 1 .. the limit
  std::chrono::milliseconds poll_timeout{limits::outbox_poll_timeout_ms};
};

struct OutboxStats {
  uint64_t events = 0;    // events read
  uint64_t messages = 0;  // messages appended to the outbox
  uint64_t refused = 0;   // attestations, ONEM decisions and overviews refused: no message
  OutboxStats& operator+=(const OutboxStats& o) {
    events += o.events, messages += o.messages, refused += o.refused;
    return *this;
  }
};

class OutboxRelay {
 public:
  static Result<std::unique_ptr<OutboxRelay>> open(Log& events, Log& outbox, const OutboxOptions& options = {});
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Per events partition, the first offset not relayed yet.
  const std::vector<Offset>& next() const { return next_; }
  // Relays every partition up to ends[p] (not included), or until stop()
  // returns true (looked at between polls, once the last poll's messages are
  // appended: a stopped relay has nothing pending).
  // kUnavailable when the events log delivers nothing for limits::log_read_stall_ms.
  Result<OutboxStats> relay_until(const std::vector<Offset>& ends, const std::function<bool()>& stop = {});
  // Up to the events log's ends as they are now.
  Result<OutboxStats> relay_to_end(const std::function<bool()>& stop = {});
  // Relays the events as they come, until stop() returns true (looked at
  // every options.poll_timeout at least); `progress` (when given) sees this
  // call's totals after each poll that relayed something. The stats count
  // what this call read: a relay opened again reads again the events after
  // the last message relayed in each partition (and counts them again).
  Result<OutboxStats> follow(const std::function<bool()>& stop,
                             const std::function<void(const OutboxStats&)>& progress = {});

 private:
  struct Pending;
  OutboxRelay(Log& events, Log& outbox, const OutboxOptions& options);
  Status resume();
  Result<OutboxStats> run(const std::vector<Offset>* ends, const std::function<bool()>& stop,
                          const std::function<void(const OutboxStats&)>& progress);
  Status take(LogRecord& record, OutboxStats* stats);
  Status flush(uint32_t partition, OutboxStats* stats);

  Log& outbox_;
  OutboxOptions options_;
  std::vector<std::unique_ptr<LogProducer>> producers_;
  std::unique_ptr<LogConsumer> consumer_;
  std::vector<Offset> next_;  // relayed (or nothing to relay) up to here
  std::vector<Offset> read_;  // handed to pending_ up to here
  // Per events partition, at read_: fence records and a zombie's records are no events (fence.h);
  // at resume, the fence in effect after the last relayed event is that event's epoch.
  std::vector<FenceFilter> fences_;
  std::vector<Pending> pending_;
  std::unique_ptr<EventDecoder> decoder_;
  bool broken_ = false;
};

}  // namespace dimona
