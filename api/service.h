// LedgerService: what the REST routes need of a live ledger — submit a
// declaration or an action, read the projector, wait for a partition to fold
// an offset — as an interface. The implementation over the embedded log
// (embedded_service.h) is built by the composition root (ledger_root.h
// open_ledger_service), the one place the command line and the server
// assemble a ledger; the routes see only this.
//
// Contract. submit() queues one declaration or action (its JSON body) for the
// single writer, which decides the queued ones in arrival order, appends them
// durably in one commit (group commit), folds them into the projector, and
// only then calls each `done` with the outcome: the event as logged, its
// partition and offset. So a read issued after a POST's response sees it
// (read-your-writes). A full queue (http_limits::write_queue_max) answers
// kUnavailable at once. read(f) runs f on the projector under a shared lock
// (many readers, the fold excluded); wait_for() blocks a reader until a
// partition has folded past an offset, or a deadline. stop() drains the
// queue, writes a checkpoint and joins the writer; after it submit() answers
// kUnavailable. A failed commit (a full disk) answers exactly what happened:
// each submission of the group the log holds gets its outcome, the others
// kUnavailable "not stored"; the writer then folds its state from the log
// again and the next submission is decided against it, so writes resume
// when the storage does, without a restart. A fold of the read models that
// fails after a durable commit still answers the outcome (the write is
// stored) and is retried at the next group. Both are counted
// (commit_failures(), fold_failures(), in /metrics) and said on stderr. When
// the state cannot be folded from the log again (the disk still failing),
// submissions are answered kUnavailable and each new group tries the fold
// again; ready() is false meanwhile. SSINs never reach a log line.
// submit_from() is submit() for a record of an input topic (input_feeder.h):
// no authorization check (the topic is trusted as a batch file is), the
// record's source position written with its event, and a redelivery its
// partition already holds answered with stored_before set and nothing
// staged; a record carrying an action the ledger writes itself
// (dataConsultation, is_server_internal) is refused kInvalidArgument. with_writer(f) runs f on the writer thread, in
// queue order, with the Ledger (what is staged of its group included): a reader of its source positions; with null when
// the writer could not open. A writer may open after the service does (serve's start: writer_status() "opening"): reads
// are answered meanwhile, writes wait in the queue and are decided once it is open, or answered kUnavailable if it
// cannot open ("failed", said on stderr once; ready() is false then). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/log/reader_cache.h"
#include "projections/projector.h"

namespace dimona::api {

struct WriteOutcome {
  std::string event_json;  // the event as logged (one line, no '\n')
  std::string source_position;  // the record's source position as logged (submit_from; empty for a REST write)
  bool is_action = false;
  uint64_t id = 0;         // declaration id or action id
  Submission declaration;  // when !is_action
  ActionSubmission action; // when is_action
  uint32_t partition = 0;
  Offset offset = 0;       // the event's offset in its partition
  bool stored_before = false;  // submit_from: a redelivery its partition holds (no event, no offset)
};

// How far the read side has folded one partition of the log.
struct PartitionProgress {
  uint32_t partition = 0;
  Offset folded = 0;  // the next offset the projector folds
  Offset end = 0;     // the log's end (high watermark) when asked
  uint64_t lag() const { return end > folded ? end - folded : 0; }
};

// Thrown by LedgerService::read_view() while the read side is stale (embedded_service.h, "One
// state": its states hold a write the log refused, and opening it again failed): no read may see
// it. The HTTP edge answers 503 and the read is retried.
struct ReadSideUnavailable : std::runtime_error {
  ReadSideUnavailable() : std::runtime_error("the read side is being folded from the log again") {}
};

class LedgerService {
 public:
  virtual ~LedgerService() = default;

  using Done = std::function<void(Result<WriteOutcome>)>;
  // `body` is the JSON as received; `check` may refuse the decoded command
  // (authorization) before anything is decided, seeing the writer (whose
  // period an UPDATE addresses, Ledger::period): its non-ok Status is returned.
  using Check = std::function<Status(const Command&, const Ledger&)>;
  virtual void submit(std::string body, Check check, Done done) = 0;
  // `source` names the event's origin ("topic:T/P:OFFSET").
  virtual void submit_from(std::string body, SourcePosition position, std::string source, Done done) = 0;
  // f runs on the writer thread (given null when the writer could not open); false (f not run) when
  // the service is stopping.
  virtual bool with_writer(std::function<void(const Ledger*)> f) = 0;

  // f(projector) under the reader lock; its value. Throws ReadSideUnavailable (the HTTP edge
  // answers 503) when the read side holds what the log does not and is being folded again.
  template <typename F>
  auto read(F&& f) const {
    std::optional<decltype(f(std::declval<const Projector&>()))> out;
    read_view([&](const Projector& p) { out.emplace(f(p)); });
    return std::move(*out);
  }
  virtual void read_view(const std::function<void(const Projector&)>& f) const = 0;
  // The ledger's state at `at` (past_states.h): what a replay of the events
  // recorded by then gives, for this process's partitions. May fold for a
  // while: never called on an I/O thread. Errors as the log's (kUnavailable...).
  virtual Result<std::shared_ptr<const Projector>> state_at(Instant at) const = 0;
  // One citizen's state at `at` (Projector::of_citizen): answers every read
  // about `citizen` as state_at(at) does, from the citizen's own events (its
  // index's offsets), so its cost follows the citizen's events, not the log's
  // size. By default (and whenever the citizen's partition has not folded an
  // event recorded after `at`) the whole state_at(at).
  virtual Result<std::shared_ptr<const Projector>> citizen_state_at(Ssin /*citizen*/, Instant at) const {
    return state_at(at);
  }
  // The citizen's state folded from exactly their events at `offsets` of their partition (increasing;
  // an inbox overview's, inbox_views.h overview_offsets) recorded by `at`: what the whole state
  // after the last of them answers about the citizen. May fold for a while, like state_at. By
  // default (a service without a citizen's index) citizen_state_at(at).
  virtual Result<std::shared_ptr<const Projector>> citizen_state_of(Ssin citizen,
                                                                    const std::vector<Offset>& /*offsets*/,
                                                                    Instant at) const {
    return citizen_state_at(citizen, at);
  }
  // Serve at once (embedded_service.h): while the citizen's partition is loading, the citizen's
  // state now, from every event of the citizen in the log folded alone (Projector::of_citizen),
  // so that a read of one citizen (a route under /v1/citizens/{ssin}/) need not wait for the
  // whole partition. Null when the partition is loaded (read it), or when the citizen's events
  // cannot be found before the load (then the read waits for it). By default (a service that
  // never loads so) null.
  virtual Result<std::shared_ptr<const Projector>> citizen_state_while_loading(Ssin /*citizen*/) const {
    return std::shared_ptr<const Projector>();
  }
  // True when `partition` has folded every offset below `offset` before `deadline_ms` passes.
  virtual bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const = 0;
  virtual uint32_t partition_of(Ssin citizen) const = 0;
  // Scale-out (group_service.h): whether this process holds `partition` now,
  // and the base URL of the process that does ("http://HOST:PORT"; nullopt
  // when unknown, e.g. during a rebalance). A single process holds them all.
  virtual bool holds(uint32_t /*partition*/) const { return true; }
  virtual std::optional<std::string> owner_of(uint32_t /*partition*/) const { return std::nullopt; }

  virtual bool ready() const = 0;
  // While the read side's partitions are being loaded at start (embedded_service.h, "Serve at
  // once"): how many are loaded of how many; nullopt once all are (or for a service that never loads so).
  struct LoadProgress {
    uint32_t loaded = 0;
    uint32_t partitions = 0;
  };
  virtual std::optional<LoadProgress> loading() const { return std::nullopt; }
  // Whether `partition` is loaded, waiting up to `deadline_ms` while it is not: kYes (at once when
  // nothing loads), kNotYet (the deadline passed first), kNever (the load ended without it: failed
  // or stopped). Never on an I/O thread.
  enum class Loaded { kYes, kNotYet, kNever };
  virtual Loaded wait_loaded(uint32_t /*partition*/, int /*deadline_ms*/) const { return Loaded::kYes; }
  // True once every partition is (loading() nullopt), false when `deadline_ms` passed first.
  virtual bool wait_all_loaded(int /*deadline_ms*/) const { return true; }
  // "opening", "open" or "failed" (see the contract), or "none" for a group member assigned no
  // partition (group_service.h): /ready reports it.
  virtual std::string_view writer_status() const { return "open"; }
  // The log's URI (no credentials) and, per partition this process holds,
  // what is folded and where the log ends (asked of the log now: kUnavailable
  // when it cannot say).
  virtual std::string log_uri() const = 0;
  virtual Result<std::vector<PartitionProgress>> progress() const = 0;
  // Submissions waiting for the writer: what is accepted but not yet folded.
  virtual uint64_t lag() const = 0;
  virtual uint64_t events_folded() const = 0;
  // Of those, the events this process's writer appended and handed to the fold as the log stored
  // them (Projector::fold_appended), not read back from the log: serve's own writes.
  virtual uint64_t events_handed_over() const { return 0; }
  // Group commits the log refused, and folds of the read models that failed after a durable commit.
  virtual uint64_t commit_failures() const = 0;
  virtual uint64_t fold_failures() const = 0;
  // The log's reader cache (engine/log/reader_cache.h), when it has one (serve on Kafka).
  virtual std::optional<ReaderCacheStats> reader_cache_stats() const { return std::nullopt; }
  // The latest recordedAt folded: "now" for reads never goes behind it (cli::ledger_now).
  virtual Instant ledger_time() const = 0;
  virtual void stop() = 0;
};

}  // namespace dimona::api
