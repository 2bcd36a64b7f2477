// PastStates: the ledger's state at an instant (?asOf, --as-of; docs/audit.md),
// for a service to answer reads in the past with the same handlers.
//
// Contract. at(T) is a Projector opened with ProjectorOptions::as_of = T on
// the service's log (projector.h: the latest kept checkpoint at or before T,
// then each partition folded up to its first record recorded after T; never
// a checkpoint written): exactly the state a replay of the events recorded
// by T gives. The last limits::as_of_states_cached states are kept, keyed by
// the offsets they end at, so two instants with no event between them share
// one. A kept state whose partition ended at the log's end when it was built
// is checked again before it is reused (an import may still record an event
// at or before T there); otherwise its bounds are for good (recordedAt never
// goes back within a partition), and an instant seen before is answered
// without asking the log. One state is built at a time; a reader waiting for
// it then finds it kept. A reader of a kept instant waits neither for a build
// nor for another reader's search of the log (bounds: a binary search of each partition).
// The Log must outlive this object. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/log.h"
#include "api/service.h"
#include "projections/projector.h"

namespace dimona::api {

class PastStates {
 public:
  // `base`: the live projector's options (its checkpoint file, quota, held partitions).
  PastStates(Log& log, ProjectorOptions base);
  ~PastStates();

  Result<std::shared_ptr<const Projector>> at(Instant instant) const;
  // One citizen's state at `instant` from the citizen's offsets (Projector::of_citizen),
  // built for the request and not kept: it reads only those events.
  Result<std::shared_ptr<const Projector>> citizen_at(Ssin citizen, const std::vector<Offset>& offsets,
                                                     Instant instant) const;

 private:
  struct Kept {
    std::vector<Offset> ends;     // per partition: the first offset not folded (0: not held)
    std::vector<uint32_t> open;   // partitions that ended at the log's end when built
    std::vector<Instant> instants;  // when none is open: instants known to end here, for good
    std::shared_ptr<const Projector> state;
  };
  // The kept state for `instant` (ends: null) or ending at `ends`, marked most recently used; null if none. Under mutex_.
  std::shared_ptr<const Projector> kept(Instant instant, const std::vector<Offset>* ends) const;
  // The offsets a state at `instant` ends at (first_offset_after), and which of them were the log's end.
  // Under consumer_mutex_.
  Status bounds(Instant instant, std::vector<Offset>* ends, std::vector<uint32_t>* open) const;

  Log& log_;
  ProjectorOptions base_;
  mutable std::mutex build_mutex_;  // one build at a time; taken before mutex_
  mutable std::mutex mutex_;        // kept_
  mutable std::mutex consumer_mutex_;  // consumer_ (bounds); taken with no other
  mutable std::unique_ptr<LogConsumer> consumer_;
  mutable std::vector<Kept> kept_;  // most recently used last
  mutable std::mutex readers_mutex_;  // readers_
  // Consumers for one citizen's reads, reused (opening one costs an embedded connection); at
  // most limits::as_of_citizen_readers_kept idle ones are kept.
  mutable std::vector<std::unique_ptr<LogConsumer>> readers_;
};

// A read of the past: a LedgerService whose reads are a past state's (the
// route handlers run on it unchanged) and whose ledger time is that state's;
// where partitions live and how the process fares are the live service's.
// It takes no write (kFailedPrecondition: writes are decided now). Lives
// for one request, on the thread that made it.
class PastView final : public LedgerService {
 public:
  PastView(const LedgerService& live, std::shared_ptr<const Projector> past) : live_(live), past_(std::move(past)) {}

  void submit(std::string, Check, Done done) override { done(failed_precondition("a past state takes no write")); }
  void submit_from(std::string, SourcePosition, std::string, Done done) override {
    done(failed_precondition("a past state takes no write"));
  }
  bool with_writer(std::function<void(const Ledger*)>) override { return false; }
  void read_view(const std::function<void(const Projector&)>& f) const override { f(*past_); }
  Result<std::shared_ptr<const Projector>> state_at(Instant at) const override { return live_.state_at(at); }
  Result<std::shared_ptr<const Projector>> citizen_state_at(Ssin citizen, Instant at) const override {
    return live_.citizen_state_at(citizen, at);
  }
  Result<std::shared_ptr<const Projector>> citizen_state_of(Ssin citizen, const std::vector<Offset>& offsets,
                                                            Instant at) const override {
    return live_.citizen_state_of(citizen, offsets, at);
  }
  bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const override {
    return live_.wait_for(partition, offset, deadline_ms);
  }
  uint32_t partition_of(Ssin citizen) const override { return live_.partition_of(citizen); }
  bool holds(uint32_t partition) const override { return live_.holds(partition); }
  std::optional<std::string> owner_of(uint32_t partition) const override { return live_.owner_of(partition); }
  bool ready() const override { return live_.ready(); }
  std::string_view writer_status() const override { return live_.writer_status(); }
  std::string log_uri() const override { return live_.log_uri(); }
  Result<std::vector<PartitionProgress>> progress() const override { return live_.progress(); }
  uint64_t lag() const override { return live_.lag(); }
  uint64_t events_folded() const override { return live_.events_folded(); }
  uint64_t events_handed_over() const override { return live_.events_handed_over(); }
  uint64_t commit_failures() const override { return live_.commit_failures(); }
  uint64_t fold_failures() const override { return live_.fold_failures(); }
  std::optional<ReaderCacheStats> reader_cache_stats() const override { return live_.reader_cache_stats(); }
  Instant ledger_time() const override { return past_->ledger_time(); }
  void stop() override {}

 private:
  const LedgerService& live_;
  std::shared_ptr<const Projector> past_;
};

}  // namespace dimona::api
