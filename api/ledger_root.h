// The composition root: the one place where a ledger is assembled from its
// configuration — the log, the single writer (Ledger, quota schedule, server
// secret) under the data folder's writer lock, the read side (a Projector
// caught up from its checkpoint), and the live LedgerService of `serve`.
// The command line and the server both open a ledger through these.
//
// Contract. Every function returns errors as values with a message fit for
// one stderr line; none prints, except open_projector's one warning when it
// sets a checkpoint aside (open_read_side shows progress on stderr when
// asked). The data folder is made 0700 and the lock 0600 (private_file.h). WriteSide holds the writer lock for as long as it lives; the
// LedgerService from open_ledger_service holds it for its whole life, so
// no other process (serve, ingest, submit, attest) appends beside it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/ledger_config.h"
#include "api/service.h"
#include "engine/base/time.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "projections/projector.h"

namespace dimona::api {

class EmbeddedLedgerService;

// The log URI config names: --log, or sqlite:DATA/ledger.db.
std::string log_uri_of(const LedgerConfig& config);
// The embedded log's file (sqlite:PATH), or empty when the log is another backend's.
std::string embedded_log_path(const LedgerConfig& config);
// kInvalidArgument when the input topic `input` (kafka://…) would read the ledger's own events
// back as input (a loop): the log is a Kafka topic of the same name on a broker of the same
// port, however its host is spelled (localhost, 127.0.0.1, ::1).
Status input_is_not_the_log(const std::string& input, const LedgerConfig& config);
// The ledger's log on the log seam (engine/log/log.h), from log_uri_of(config).
// `create`: a missing embedded log is created (its folder made 0700); without
// it a missing one is kNotFound ("no log at PATH: ingest a file first", or
// the topic that does not exist). A Kafka topic is created with
// config.partitions (or the default). A Kafka log with a config.reader_cache_path
// is wrapped in its reader cache (engine/log/reader_cache.h): its mirror thread
// runs while the Log lives.
Result<std::unique_ptr<Log>> open_ledger_log(const LedgerConfig& config, bool create);
// The outbox of the outbox relay (projections/outbox.h): `uri`, or when
// empty default_outbox_uri(log_uri_of(config)); a missing one is created with
// `partitions` (the events log's; an embedded log's folder made 0700).
Result<std::unique_ptr<Log>> open_outbox_log(const LedgerConfig& config, const std::string& uri, uint32_t partitions);
std::string checkpoint_path(const LedgerConfig& config);
// The files of the ledger that an output must never be written over: the embedded log and the
// checkpoint store with their -wal, -shm and -journal, the register, the secret, the writer lock
// (docs/operations.md "The data folder"). Other files of the folder are the user's.
std::vector<std::string> ledger_files(const LedgerConfig& config);
// The server secret: --secret-file, or DATA/secret.key (made on first use).
Result<ServerSecret> open_secret(const LedgerConfig& config);

// An exclusive lock on DATA/writer.lock (flock), held while it lives: one
// writer per log, whatever the process (serve, ingest, submit, attest).
class WriterLock {
 public:
  static Result<WriterLock> acquire(const std::string& data_dir);
  WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WriterLock& operator=(WriterLock&&) = delete;
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The quota schedule the read side folds with: the one kept with the log
// (record_quota_schedule, engine/quota_schedule.h), so every process on any
// machine reads the reference the writer recorded; else config.quota_path
// (or schemas/quota.json) for a log that keeps none.
Result<std::shared_ptr<const QuotaSchedule>> reference_schedule(Log& log, const LedgerConfig& config);

// The single writer over the log, for the subcommands that append.
struct WriteSide {
  WriterLock lock;  // first: released last
  std::unique_ptr<Log> log;
  std::unique_ptr<Ledger> ledger;
};
// The writer of every partition (ingest, submit, attest, ...). The schedule
// it loads (config.quota_path) is recorded with the log first. It starts from
// the latest checkpoint's states when it has the `writer` section, and folds
// only what the log holds after it; else from offset 0.
Result<WriteSide> open_write_side(const LedgerConfig& config, const Clock& clock);

// Projector::open. A checkpoint it cannot use (kCorruption: garbage, truncated,
// a state that does not decode; kFailedPrecondition: another format, another
// log) is set aside (set_aside_checkpoint) with one warning line on stderr,
// and the projector starts empty: the log is the truth, the fold rebuilds it.
// `deferred`: Projector::open_deferred (its partitions loaded later by load()).
Result<std::unique_ptr<Projector>> open_projector(Log& log, const ProjectorOptions& options, bool deferred = false);
// A checkpoint that cannot be used (`why`: kCorruption or kFailedPrecondition from its load) is set
// aside (set_aside_checkpoint) with one warning on stderr, so the state is folded from the log:
// true when it was. False for other errors, no checkpoint path, or a rename that failed (said on stderr).
bool set_aside_unusable_checkpoint(const ProjectorOptions& options, const Status& why);

// The log and a projector caught up with it (from the checkpoint, if any).
struct ReadSide {
  std::unique_ptr<Log> log;
  std::unique_ptr<Projector> projector;
  ProjectorOptions options;  // the projector's (a view of one citizen opens with them: Projector::of_citizen)
  ReplayStats stats;
  std::unique_ptr<DuplicateEventCheck> event_ids;  // open_read_side's check_event_ids; else null
};
// `check_event_ids`: the ReadSide's event_ids holds the id of every event the catch-up folded
// (ProjectorOptions::event_ids), for a rebuild's duplicate check without a read of its own.
Result<ReadSide> open_read_side(const LedgerConfig& config, unsigned threads, bool show_progress,
                                uint64_t checkpoint_every_events = 5'000'000, bool check_event_ids = false);

// The live service of `serve` over the data folder: the writer lock taken, a projector caught up
// from its checkpoint with `projector_threads` fold threads, the writer thread started. The
// writer itself opens on that thread from the projector's states (Ledger::open, "Starting from
// the read side"), so reads are answered as soon as this returns and writes wait in the queue
// until the writer is open (LedgerService::writer_status()). `clock` outlives the service.
// Given `on_load_failed`, it returns at once and the projector's partitions load in the
// background, each answering once loaded (embedded_service.h, "Serve at once"); the callback is
// called if that load fails.
Result<std::unique_ptr<LedgerService>> open_ledger_service(const LedgerConfig& config, const Clock& clock,
                                                           unsigned projector_threads,
                                                           std::function<void(const Status&)> on_load_failed = {});

// The same for the partitions `options.partitions` (empty: all), a consumer group member's share
// (GroupLedgerService): its projector folds those, and its writer holds those and opens over the
// projector's states of them (one state in a member too). `options.quota` is set here.
Result<std::unique_ptr<EmbeddedLedgerService>> open_embedded_service(
    const LedgerConfig& config, const Clock& clock, ProjectorOptions options,
    std::function<void(const Status&)> on_load_failed = {});

}  // namespace dimona::api
