#include "api/ledger_root.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "api/embedded_service.h"
#include "api/progress.h"
#include "engine/base/private_file.h"
#include "engine/log/input_topic.h"
#include "engine/log/reader_cache.h"
#include "engine/quota_schedule.h"
#include "projections/checkpoint_store.h"
#include "projections/outbox.h"

namespace dimona::api {

namespace {

std::filesystem::path embedded_path(std::string_view sqlite_uri) { return sqlite_uri.substr(std::string_view("sqlite:").size()); }

Status make_embedded_folder(const std::filesystem::path& path) {
  return path.has_parent_path() ? make_private_directory(path.parent_path().string()) : Status::ok();
}

}  // namespace

std::string log_uri_of(const LedgerConfig& config) {
  return !config.log_uri.empty() ? config.log_uri : "sqlite:" + config.data_dir + "/ledger.db";
}

std::string embedded_log_path(const LedgerConfig& config) {
  const std::string uri = log_uri_of(config);
  return uri.starts_with("sqlite:") ? embedded_path(uri).string() : std::string();
}

Status input_is_not_the_log(const std::string& input, const LedgerConfig& config) {
  const Result<KafkaAddress> in = parse_kafka_uri(input);
  const Result<KafkaAddress> log = parse_kafka_uri(log_uri_of(config));
  if (!in.is_ok() || !log.is_ok() || in->topic != log->topic)
    return Status::ok();  // the input's own check names a bad URI
  const auto port = [](std::string_view broker) { return broker.substr(broker.rfind(':') + 1); };
  for (const std::string_view a : kafka_brokers(in->bootstrap))
    for (const std::string_view b : kafka_brokers(log->bootstrap))
      if (port(a) == port(b))
        return invalid_argument("the input topic is the ledger's own log (" + in->topic +
                                " on a broker of the same port): its events would come back as input");
  return Status::ok();
}

Result<std::unique_ptr<Log>> open_ledger_log(const LedgerConfig& config, bool create) {
  const std::string uri = log_uri_of(config);
  LogOptions options;
  if (config.partitions != 0) options.partitions = config.partitions;
  options.create_if_missing = create;
  if (uri.starts_with("sqlite:")) {
    const std::filesystem::path path = embedded_path(uri);
    if (create) {
      DIMONA_TRY(make_embedded_folder(path));
    } else if (!std::filesystem::exists(path)) {
      return not_found("no log at " + path.string() + ": ingest a file first");
    }
  }
  Result<std::unique_ptr<Log>> log = dimona::open_log(uri, options);
  if (!log.is_ok() || config.reader_cache_path.empty() || !uri.starts_with("kafka://")) return log;
  Status folder = make_embedded_folder(config.reader_cache_path);
  Result<std::unique_ptr<ReaderCacheLog>> cached =
      folder.is_ok() ? with_reader_cache(std::move(*log), config.reader_cache_path) : folder;
  if (cached.is_ok()) return std::unique_ptr<Log>(std::move(*cached));
  // A cache only speeds reads up: without it serve answers the same, from the log.
  std::fprintf(stderr, "dimona-ledger: warning: no reader cache (%s): a citizen's past is read from the log\n",
               cached.status().to_string().c_str());
  return dimona::open_log(uri, options);
}

Result<std::unique_ptr<Log>> open_outbox_log(const LedgerConfig& config, const std::string& uri, uint32_t partitions) {
  Result<std::string> chosen = !uri.empty() ? Result<std::string>(uri) : default_outbox_uri(log_uri_of(config));
  DIMONA_TRY(chosen);
  LogOptions options;
  options.partitions = partitions;
  options.create_if_missing = true;
  if (chosen->starts_with("sqlite:")) DIMONA_TRY(make_embedded_folder(embedded_path(*chosen)));
  return dimona::open_log(*chosen, options);
}

std::string checkpoint_path(const LedgerConfig& common) { return common.data_dir + "/checkpoint.db"; }

std::vector<std::string> ledger_files(const LedgerConfig& config) {
  std::vector<std::string> files;
  std::vector<std::string> databases = {checkpoint_path(config), config.data_dir + "/employers.db",
                                        config.data_dir + "/reader-cache.db"};
  if (const std::string log = log_uri_of(config); log.starts_with("sqlite:"))
    databases.push_back(embedded_path(log).string());
  for (const std::string& db : databases)
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) files.push_back(db + suffix);
  files.push_back(!config.secret_file.empty() ? config.secret_file : config.data_dir + "/secret.key");
  files.push_back(config.data_dir + "/writer.lock");
  return files;
}

Result<ServerSecret> open_secret(const LedgerConfig& common) {
  return ServerSecret::load_or_create(!common.secret_file.empty() ? common.secret_file
                                                                  : common.data_dir + "/secret.key");
}

Result<WriterLock> WriterLock::acquire(const std::string& data_dir) {
  DIMONA_TRY(make_private_directory(data_dir));
  const std::string path = data_dir + "/writer.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return busy("another process writes to " + data_dir + " (a running serve or ingest): stop it, or use the REST API");
  }
  return WriterLock(fd);
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<std::shared_ptr<const QuotaSchedule>> reference_schedule(Log& log, const LedgerConfig& config) {
  Result<std::optional<QuotaSchedule>> recorded = recorded_quota_schedule(log);
  DIMONA_TRY(recorded);
  if (recorded->has_value()) return std::shared_ptr<const QuotaSchedule>(std::make_shared<QuotaSchedule>(std::move(**recorded)));
  if (config.quota_path.empty()) return default_quota_schedule();
  Result<QuotaSchedule> file = load_quota_schedule(config.quota_path);
  DIMONA_TRY(file);
  return std::shared_ptr<const QuotaSchedule>(std::make_shared<QuotaSchedule>(std::move(*file)));
}

namespace {

// Gives `ledger` the log's directory (engine/directory.h) when the log may
// have several writers (Log::has_groups): the embedded log has one, whose
// state is the whole ledger, so it pays no row. A log that keeps no tables
// has none: a writer of some partitions is told what it cannot look up.
Status attach_directory(Log& log, Ledger& ledger, bool some_partitions) {
  if (!log.has_groups()) return Status::ok();
  Result<std::unique_ptr<KeyedTable>> table = log.open_table(Directory::kTable);
  if (!table.is_ok()) {
    if (table.status().code() != Code::kFailedPrecondition) return table.status();
    if (some_partitions)
      std::fprintf(stderr, "dimona-ledger: warning: no directory table (%s): periods, tickets and tokens other "
                           "members hold are decided as unknown here\n", table.status().to_string().c_str());
    return Status::ok();
  }
  return ledger.use_directory(std::make_unique<Directory>(std::move(*table)));
}

// The latest checkpoint as a writer's seed, its states as bytes (writer_seed_of_checkpoint), kept
// in *keep until the writer has merged them; nullopt when there is none or it cannot serve (an
// older one without the `writer` section, one that does not decode): the writer then folds the
// log from offset 0, as it always may.
std::optional<WriterSeed> seed_from_checkpoint(Log& log, const LedgerConfig& common, Checkpoint* keep) {
  if (!std::filesystem::exists(checkpoint_path(common))) return std::nullopt;
  Result<std::optional<WriterSeed>> seed = writer_seed_of_checkpoint(checkpoint_path(common), log.partitions(), keep);
  return seed.is_ok() ? std::move(*seed) : std::nullopt;
}

// What a writer needs before its Ledger opens: the data folder's lock, the log (created when
// missing), the quota schedule it loads (recorded with the log first) and the secret.
struct WriterParts {
  WriteSide side;
  QuotaSchedule schedule;
  ServerSecret secret;
};

Result<WriterParts> prepare_writer(const LedgerConfig& common) {
  Result<WriterLock> lock = WriterLock::acquire(common.data_dir);
  DIMONA_TRY(lock);
  WriteSide side{std::move(*lock), nullptr, nullptr};
  Result<std::unique_ptr<Log>> log = open_ledger_log(common, /*create=*/true);
  DIMONA_TRY(log);
  side.log = std::move(*log);
  Result<QuotaSchedule> schedule = load_quota_schedule(common.quota_path);
  DIMONA_TRY(schedule);
  DIMONA_TRY(record_quota_schedule(*side.log, *schedule));
  Result<ServerSecret> secret = open_secret(common);
  DIMONA_TRY(secret);
  return WriterParts{std::move(side), std::move(*schedule), std::move(*secret)};
}

// Ledger::open, then what every writer is given: one warning line when its seed was set aside,
// the configured skew, and the directory.
Result<std::unique_ptr<Ledger>> open_ledger(Log& log, QuotaSchedule schedule, ServerSecret secret,
                                            const LedgerConfig& common, const Clock& clock, std::vector<uint32_t> held,
                                            const WriterSeed* seed) {
  const bool some_partitions = !held.empty();
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::open(log, std::move(schedule), clock, std::move(secret), std::move(held), seed);
  DIMONA_TRY(ledger);
  if (!(*ledger)->seed_refusal().empty())
    std::fprintf(stderr,
                 "dimona-ledger: warning: the read side's state is not this log's (%s); the writer folded the "
                 "log from its start\n",
                 (*ledger)->seed_refusal().c_str());
  if (common.recorded_at_skew_seconds >= 0) (*ledger)->set_recorded_at_future_skew(common.recorded_at_skew_seconds);
  DIMONA_TRY(attach_directory(log, **ledger, some_partitions));
  return ledger;
}

}  // namespace

Result<WriteSide> open_write_side(const LedgerConfig& common, const Clock& clock) {
  Result<WriterParts> parts = prepare_writer(common);
  DIMONA_TRY(parts);
  WriteSide& side = parts->side;
  Checkpoint checkpointed;  // the seed's bytes, until the writer has merged them
  std::optional<WriterSeed> seed = seed_from_checkpoint(*side.log, common, &checkpointed);
  Result<std::unique_ptr<Ledger>> ledger =
      open_ledger(*side.log, std::move(parts->schedule), parts->secret, common, clock, {}, seed ? &*seed : nullptr);
  DIMONA_TRY(ledger);
  side.ledger = std::move(*ledger);
  return std::move(side);
}

bool set_aside_unusable_checkpoint(const ProjectorOptions& options, const Status& why) {
  if (options.checkpoint_path.empty()) return false;
  if (why.code() != Code::kCorruption && why.code() != Code::kFailedPrecondition) return false;
  Result<std::string> aside = set_aside_checkpoint(options.checkpoint_path, SystemClock().now());
  if (!aside.is_ok()) {
    std::fprintf(stderr, "dimona-ledger: the checkpoint %s cannot be used (%s) nor set aside (%s)\n",
                 options.checkpoint_path.c_str(), why.to_string().c_str(), aside.status().to_string().c_str());
    return false;
  }
  std::fprintf(stderr,
               "dimona-ledger: warning: the checkpoint %s cannot be used (%s); set aside as %s, rebuilding the state "
               "from the log\n",
               options.checkpoint_path.c_str(), why.to_string().c_str(), aside->c_str());
  return true;
}

Result<std::unique_ptr<Projector>> open_projector(Log& log, const ProjectorOptions& options, bool deferred) {
  auto open = [&] { return deferred ? Projector::open_deferred(log, options) : Projector::open(log, options); };
  Result<std::unique_ptr<Projector>> projector = open();
  if (projector.is_ok() || !set_aside_unusable_checkpoint(options, projector.status())) return projector;
  return open();
}

Result<ReadSide> open_read_side(const LedgerConfig& common, unsigned threads, bool show_progress,
                                uint64_t checkpoint_every_events, bool check_event_ids) {
  ReadSide side;
  Result<std::unique_ptr<Log>> log = open_ledger_log(common, /*create=*/false);
  DIMONA_TRY(log);
  side.log = std::move(*log);
  ProjectorOptions options;
  options.threads = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  options.checkpoint_path = checkpoint_path(common);
  options.checkpoint_every_events = checkpoint_every_events;
  options.keep_checkpoints = common.keep_checkpoints;
  options.as_of = common.as_of;
  // A round folds up to round_events in each partition: a quarter of the interval over all of them, so that
  // checkpoints come every checkpoint_every_events (give or take a quarter), whatever the partition count.
  const uint64_t round_events = checkpoint_every_events / (uint64_t{4} * side.log->partitions());
  options.round_events = std::min<uint64_t>(options.round_events, std::max<uint64_t>(1, round_events));
  Result<std::shared_ptr<const QuotaSchedule>> quota = reference_schedule(*side.log, common);
  DIMONA_TRY(quota);
  options.quota = *quota;
  if (check_event_ids) side.event_ids = std::make_unique<DuplicateEventCheck>(side.log->partitions());
  options.event_ids = side.event_ids.get();
  Result<std::unique_ptr<Projector>> projector = open_projector(*side.log, options);
  DIMONA_TRY(projector);
  side.projector = std::move(*projector);
  side.options = options;
  side.options.event_ids = nullptr;  // a view opened with them (of_citizen) folds for itself
  Progress progress("replay", "events");
  Result<ReplayStats> stats = side.projector->catch_up([&](const ReplayProgress& p) {
    if (show_progress) progress.update(p.events, p.events, p.total);
  });
  progress.finish();
  DIMONA_TRY(stats);
  side.stats = *stats;
  return side;
}

Result<std::unique_ptr<LedgerService>> open_ledger_service(const LedgerConfig& config, const Clock& clock,
                                                           unsigned projector_threads,
                                                           std::function<void(const Status&)> on_load_failed) {
  ProjectorOptions options;
  options.threads = std::max(1u, projector_threads);
  options.checkpoint_path = checkpoint_path(config);
  options.checkpoint_at_end = false;  // serve folds after every commit: a checkpoint when due, and at stop
  options.checkpoint_in_fold = false;  // ... written by the service beside its readers (service.cc)
  options.keep_checkpoints = config.keep_checkpoints;
  Result<std::unique_ptr<EmbeddedLedgerService>> service =
      open_embedded_service(config, clock, std::move(options), std::move(on_load_failed));
  DIMONA_TRY(service);
  return std::unique_ptr<LedgerService>(std::move(*service));
}

Result<std::unique_ptr<EmbeddedLedgerService>> open_embedded_service(
    const LedgerConfig& config, const Clock& clock, ProjectorOptions options,
    std::function<void(const Status&)> on_load_failed) {
  // The read side loads its checkpoint and catches up first; the writer starts from its states on
  // the service's writer thread while the server already answers reads (the log is folded once,
  // by the read side; writes wait in the queue until the writer is open).
  Result<WriterParts> parts = prepare_writer(config);
  DIMONA_TRY(parts);
  Log& log = *parts->side.log;
  Result<std::shared_ptr<const QuotaSchedule>> quota = reference_schedule(log, config);
  DIMONA_TRY(quota);
  options.quota = *quota;
  // Serve at once (embedded_service.h): given a callback for a failed load, the partitions load
  // in the background; otherwise (a consumer group member) before this returns.
  const bool deferred = static_cast<bool>(on_load_failed) && options.partitions.empty();
  // A member of a consumer group copies only its own partitions into its reader cache.
  if (auto* cached = dynamic_cast<ReaderCacheLog*>(&log); cached != nullptr && !options.partitions.empty())
    cached->copy_only(options.partitions);
  Result<std::unique_ptr<Projector>> projector = open_projector(log, options, deferred);
  DIMONA_TRY(projector);
  if (!deferred) DIMONA_TRY((*projector)->catch_up());
  auto shared = std::make_shared<WriterParts>(std::move(*parts));
  EmbeddedLedgerService::OpenWriter open_writer = [shared, config, &clock, held = options.partitions](
                                                      Log& writer_log, Projector& read_side) {
    const std::optional<WriterSeed> seed = read_side.writer_seed(/*share=*/true);
    return open_ledger(writer_log, shared->schedule, shared->secret, config, clock, held, seed ? &*seed : nullptr);
  };
  return EmbeddedLedgerService::open(std::move(shared->side), options, std::move(*projector), std::move(open_writer),
                                     std::move(on_load_failed));
}

}  // namespace dimona::api
