// kafka_bench: the ledger on librdkafka's mock cluster side by side with the
// embedded SQLite log, on the same generated year, in one run: ingest
// (decode + decide + append, durable: acks=all on Kafka, synchronous=FULL on
// SQLite) in declarations/s and in milliseconds per commit group, and replay
// (a fresh Projector folding the whole log, one thread, its open included)
// in events/s; Ledger::open on the empty log is timed apart. Prints
// every run and the median of --runs runs of each.
//
// On Kafka, each run also measures the two bare librdkafka baselines, with
// the log's own client settings (engine/log/kafka_client.h), alternately
// with ours (odd runs ours first, even runs the baseline first):
// - a bare consumer (rd_kafka_consume_batch_queue, every partition assigned
//   from its start, stopping at the high watermarks) reading the topic the
//   ledger wrote and summing the bytes of every key and value, no decode;
//   beside our replay of the same topic;
// - a bare producer (one idempotent handle, acks=all, LZ4, the same keys,
//   partitions, timestamps and dimona.* headers) producing the records the
//   first run's ledger wrote to a fresh topic, then one flush; beside our
//   ingest (decode + decide + append, a durable append per commit group).
// Both are reported in events/s and MB/s (keys and values, headers not
// counted) with the median over the runs of ours/bare. To say where the
// replay's gap comes from, the same topic is also read through our
// LogConsumer without decode (every partition at once, and partition by
// partition with a fresh consumer each, as the Projector reads), and each
// read prints the process's CPU time beside its wall time. On Kafka the
// replay is also run with --threads workers (default: the cores; the
// product's `replay` default), beside the same run's bare read.
//
// The mock cluster runs in this process, keeps its partitions in memory
// (about 5 MiB each) and talks over 127.0.0.1: its figures are upper bounds
// of what the client does, not of a cluster with disks and a network
// (docs/benchmarks.md "Kafka (mock cluster)"). The bench checks that the
// replay folded every event appended (the mock drops the oldest records of a
// partition past its size: then use fewer --students or more --partitions).
//
// Usage: kafka_bench [--students N] [--runs R] [--partitions P] [--brokers B]
//                    [--commit-lines L (IngestOptions::commit_lines)] [--threads T] [--dir DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/generator/generator.h"
#include "engine/ingest.h"
#include "engine/ledger.h"
#include "engine/log/kafka_client.h"  // the log's client settings, for the bare baselines
#include "engine/log/kafka_mock.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "projections/projector.h"

namespace fs = std::filesystem;
using namespace dimona;

namespace {

using bench::median;
using bench::seconds_since;

// CPU seconds of the whole process (every thread: ours, librdkafka's, the mock cluster's).
double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

[[noreturn]] void die(const std::string& what) { bench::die("kafka_bench", what); }

// A Log that forwards to another and times each append (one partition's
// share of a commit group), so that a slow group shows whether one append or all were slow.
class TimedLog final : public Log {
 public:
  explicit TimedLog(Log& inner) : inner_(inner) {}
  std::vector<double> append_ms;  // written by the Ledger's appenders (under mutex), read after they are gone

  uint32_t partitions() const override { return inner_.partitions(); }
  std::string uri() const override { return inner_.uri(); }
  bool parallel_appends() const override { return inner_.parallel_appends(); }  // measure the Ledger as it runs
  bool fences_writers() const override { return inner_.fences_writers(); }
  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    Result<std::unique_ptr<LogProducer>> p = inner_.open_producer(partition);
    DIMONA_TRY(p);
    return std::unique_ptr<LogProducer>(std::make_unique<Producer>(*this, std::move(*p)));
  }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override { return inner_.open_consumer(); }

 private:
  struct Producer final : LogProducer {
    Producer(TimedLog& log, std::unique_ptr<LogProducer> inner) : log_(log), inner_(std::move(inner)) {}
    uint32_t partition() const override { return inner_->partition(); }
    Result<Offset> fence() override { return inner_->fence(); }
    Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
      const auto t0 = std::chrono::steady_clock::now();
      Result<AppendOutcome> outcome = inner_->append(records);
      std::lock_guard lock(log_.mutex_);
      log_.append_ms.push_back(1000.0 * seconds_since(t0));
      return outcome;
    }
    TimedLog& log_;
    std::unique_ptr<LogProducer> inner_;
  };
  Log& inner_;
  std::mutex mutex_;  // guards append_ms: on Kafka a group's partitions are appended side by side
};

struct Run {
  double open_seconds = 0;    // Ledger::open on the empty log
  double ingest_seconds = 0;  // ingest_file, from the first line to the last group durable
  uint64_t declarations = 0;
  uint64_t commits = 0;
  double replay_seconds = 0;
  double replay_cpu_seconds = 0;  // the process's CPU time during the replay (wall minus it: waiting)
  double parallel_replay_seconds = 0;  // the same with --threads workers (Kafka runs)
  uint64_t events = 0;
  std::vector<double> append_ms;  // each append of the ingest, in order
  uint32_t partitions = 0;
  uint64_t appended = 0;  // records in the log after the ingest
  uint64_t fences = 0;    // of them, fence records (one per partition a writer took: log.h), not events
};

uint64_t events_in(Log& log) {
  Result<std::vector<PartitionSummary>> summary = summarize(log);
  if (!summary.is_ok()) die(summary.status().to_string());
  uint64_t n = 0;
  for (const PartitionSummary& p : *summary) n += p.end_offset;
  return n;
}

// The fence records of the log (engine/log/log.h: a writer's claim of a partition), read through.
uint64_t fence_records_in(Log& log) {
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  if (!consumer.is_ok()) die(consumer.status().to_string());
  uint64_t n = 0;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*consumer)->end_offset(p);
    if (!end.is_ok()) die(end.status().to_string());
    Status read = read_partition(**consumer, p, 0, *end, [&n](LogRecord& r) {
      n += r.type == kFenceRecordType;
      return Status::ok();
    });
    if (!read.is_ok()) die(read.to_string());
  }
  return n;
}

std::unique_ptr<Log> open_fresh_log(const std::string& uri, uint32_t partitions) {
  LogOptions options;
  options.partitions = partitions;
  Result<std::unique_ptr<Log>> log = open_log(uri, options);
  if (!log.is_ok()) die(uri + ": " + log.status().to_string());
  return std::move(log).value();
}

// One ingest of `input` into the fresh `log`.
Run ingest_once(Log& log, const std::string& input, uint32_t partitions, uint32_t commit_lines) {
  Result<QuotaSchedule> schedule = load_quota_schedule("");
  if (!schedule.is_ok()) die(schedule.status().to_string());
  SystemClock clock;
  Run run;
  run.partitions = partitions;
  {
    auto t0 = std::chrono::steady_clock::now();
    TimedLog timed(log);
    Result<std::unique_ptr<Ledger>> ledger = Ledger::open(timed, std::move(*schedule), clock, ServerSecret::from_passphrase("bench"));
    if (!ledger.is_ok()) die(ledger.status().to_string());
    run.open_seconds = seconds_since(t0);  // producers (one per partition), the fold of the empty log
    t0 = std::chrono::steady_clock::now();
    IngestOptions ingest;
    ingest.commit_lines = commit_lines;
    Result<IngestSummary> summary = ingest_file(**ledger, input, ingest);
    if (!summary.is_ok()) die(log.uri() + ": ingest: " + summary.status().to_string());
    run.ingest_seconds = seconds_since(t0);
    run.declarations = summary->declarations;  // as ingest_bench counts them
    run.commits = summary->commits;
    ledger->reset();  // its committer thread is gone: append_ms is ours
    run.append_ms = std::move(timed.append_ms);
  }
  run.appended = events_in(log);
  if (log.fences_writers()) run.fences = fence_records_in(log);
  return run;
}

// One replay of `log` by a fresh Projector (its open included) with `threads` workers, into `run`.
void replay_once(Log& log, Run& run, unsigned threads = 1) {
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  ProjectorOptions options;
  options.threads = threads;
  Result<std::unique_ptr<Projector>> projector = Projector::open(log, options);
  if (!projector.is_ok()) die(projector.status().to_string());
  Result<ReplayStats> replay = (*projector)->catch_up();
  if (!replay.is_ok()) die(log.uri() + ": replay: " + replay.status().to_string());
  run.replay_seconds = seconds_since(t0);
  run.replay_cpu_seconds = process_cpu_seconds() - cpu0;
  run.events = replay->events;
  if (run.events + run.fences != run.appended) {
    die(log.uri() + ": replayed " + std::to_string(run.events) + " events of " + std::to_string(run.appended - run.fences) +
        " appended (the mock keeps about 5 MiB per partition: use fewer --students or more --partitions)");
  }
}

// One ingest of `input` into the fresh log at `uri`, then one replay of it.
Run run_once(const std::string& uri, const std::string& input, uint32_t partitions, uint32_t commit_lines) {
  std::unique_ptr<Log> log = open_fresh_log(uri, partitions);
  Run run = ingest_once(*log, input, partitions, commit_lines);
  replay_once(*log, run);
  return run;
}

// ---- The bare librdkafka baselines (the log's settings, no Log, no decode) ----

// What the bare consumer read: every record of the topic, its keys' and values' bytes summed.
struct BareRead {
  double seconds = 0;  // from the handle's creation to the last record (handle, watermarks, assign included)
  double cpu_seconds = 0;  // the process's CPU time meanwhile
  uint64_t records = 0;
  uint64_t bytes = 0;  // keys and values
  uint64_t byte_sum = 0;  // the bytes added up: every byte touched
};

BareRead bare_consume(const std::string& bootstrap, const std::string& topic, uint32_t partitions) {
  using namespace kafka_client;
  BareRead read;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  Result<KafkaHandle> handle = new_consumer(bootstrap, "dimona-ledger.bench-bare");
  if (!handle.is_ok()) die(handle.status().to_string());
  std::vector<int64_t> next(partitions), high(partitions);
  uint32_t left = 0;  // partitions not yet read to their high watermark
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions)));
  for (uint32_t p = 0; p < partitions; ++p) {
    Result<Watermarks> marks = watermarks(handle->get(), topic, p);
    if (!marks.is_ok()) die(marks.status().to_string());
    next[p] = static_cast<int64_t>(marks->low);
    high[p] = static_cast<int64_t>(marks->high);
    if (next[p] < high[p]) ++left;
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(p))->offset = next[p];
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(handle->get(), list.get()); err) die(kafka_error("bare assign", err));
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(handle->get());
  std::vector<rd_kafka_message_t*> batch(limits::log_read_chunk_records);
  auto last_progress = std::chrono::steady_clock::now();
  while (left > 0) {
    // A short timeout: rd_kafka_consume_batch_queue waits for a full batch or the timeout,
    // so a long one would make the tail of the topic (a partial batch) wait it out.
    const ssize_t got = rd_kafka_consume_batch_queue(queue, 1, batch.data(), batch.size());
    if (got < 0) die(kafka_error("bare consume", rd_kafka_last_error()));
    if (got == 0 && std::chrono::steady_clock::now() - last_progress > std::chrono::milliseconds(limits::log_read_stall_ms))
      die("the bare consumer stalled with " + std::to_string(left) + " partitions unread");
    for (ssize_t i = 0; i < got; ++i) {
      const rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err) {
        if (!is_transient(m->err)) die(kafka_error("bare consume", m->err));
      } else if (m->partition >= 0 && static_cast<uint32_t>(m->partition) < partitions &&
                 m->offset >= next[static_cast<uint32_t>(m->partition)]) {
        const auto p = static_cast<uint32_t>(m->partition);
        const auto* key = static_cast<const unsigned char*>(m->key);
        const auto* value = static_cast<const unsigned char*>(m->payload);
        for (size_t j = 0; j < m->key_len; ++j) read.byte_sum += key[j];
        for (size_t j = 0; j < m->len; ++j) read.byte_sum += value[j];
        read.bytes += m->key_len + m->len;
        ++read.records;
        next[p] = m->offset + 1;
        if (next[p] == high[p]) --left;
        last_progress = std::chrono::steady_clock::now();
      }
      rd_kafka_message_destroy(batch[static_cast<size_t>(i)]);
    }
  }
  read.seconds = seconds_since(t0);
  read.cpu_seconds = process_cpu_seconds() - cpu0;
  rd_kafka_queue_destroy(queue);
  (void)rd_kafka_assign(handle->get(), nullptr);
  return read;
}

// Every record of `log` read through our LogConsumer (the seam the Projector reads), every
// partition assigned at once as the bare consumer does, keys' and values' bytes summed: the
// seam's own cost (records copied out of librdkafka's messages, the dimona.* headers parsed),
// without decode nor fold.
BareRead seam_read(Log& log) {
  BareRead read;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  if (!consumer.is_ok()) die(consumer.status().to_string());
  const uint32_t partitions = log.partitions();
  std::vector<uint32_t> all(partitions);
  std::vector<Offset> next(partitions, 0), end(partitions);
  uint32_t left = 0;
  for (uint32_t p = 0; p < partitions; ++p) {
    all[p] = p;
    Result<Offset> e = (*consumer)->end_offset(p);
    if (!e.is_ok()) die(e.status().to_string());
    end[p] = *e;
    if (end[p] > 0) ++left;
  }
  if (Status s = (*consumer)->assign(all); !s.is_ok()) die(s.to_string());
  std::vector<LogRecord> records;
  auto last_progress = std::chrono::steady_clock::now();
  while (left > 0) {
    records.clear();
    Result<size_t> got = (*consumer)->poll(records, std::chrono::milliseconds(200), limits::log_read_chunk_records);
    if (!got.is_ok()) die(got.status().to_string());
    if (records.empty() && std::chrono::steady_clock::now() - last_progress > std::chrono::milliseconds(limits::log_read_stall_ms))
      die("the seam read stalled with " + std::to_string(left) + " partitions unread");
    for (const LogRecord& record : records) {
      if (record.offset < next[record.partition]) continue;  // redelivered
      for (const char c : record.key) read.byte_sum += static_cast<unsigned char>(c);
      for (const char c : record.payload) read.byte_sum += static_cast<unsigned char>(c);
      read.bytes += record.key.size() + record.payload.size();
      ++read.records;
      next[record.partition] = record.offset + 1;
      if (next[record.partition] == end[record.partition]) --left;
      last_progress = std::chrono::steady_clock::now();
    }
  }
  read.seconds = seconds_since(t0);
  read.cpu_seconds = process_cpu_seconds() - cpu0;
  return read;
}

// The same read the Projector's way (projections/projector.cc fold_partition, one thread):
// partition after partition, each through a fresh LogConsumer (read_partition: assign, seek,
// poll to the end), bytes summed, no decode nor fold: the access pattern's cost.
BareRead seam_read_by_partition(Log& log) {
  BareRead read;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<LogConsumer>> consumers;  // kept open to the end, as the Projector keeps its own
  Result<std::unique_ptr<LogConsumer>> ends = log.open_consumer();
  if (!ends.is_ok()) die(ends.status().to_string());
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*ends)->end_offset(p);
    if (!end.is_ok()) die(end.status().to_string());
    Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
    if (!consumer.is_ok()) die(consumer.status().to_string());
    Status status = read_partition(**consumer, p, 0, *end, [&](LogRecord& record) {
      for (const char c : record.key) read.byte_sum += static_cast<unsigned char>(c);
      for (const char c : record.payload) read.byte_sum += static_cast<unsigned char>(c);
      read.bytes += record.key.size() + record.payload.size();
      ++read.records;
      return Status::ok();
    });
    if (!status.is_ok()) die(status.to_string());
    consumers.push_back(std::move(consumer).value());
  }
  read.seconds = seconds_since(t0);
  read.cpu_seconds = process_cpu_seconds() - cpu0;
  return read;
}

// The records the ledger wrote, read back through the Log (untimed): the bare producer's input.
std::vector<LogRecord> records_of(Log& log) {
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  if (!consumer.is_ok()) die(consumer.status().to_string());
  std::vector<LogRecord> records;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*consumer)->end_offset(p);
    if (!end.is_ok()) die(end.status().to_string());
    Status read = read_partition(**consumer, p, 0, *end, [&](LogRecord& record) {
      records.push_back(std::move(record));
      return Status::ok();
    });
    if (!read.is_ok()) die(read.to_string());
  }
  // In the order the ledger appended them across partitions (recordedAt; stable within a partition).
  std::stable_sort(records.begin(), records.end(),
                   [](const LogRecord& a, const LogRecord& b) { return a.recorded_at < b.recorded_at; });
  return records;
}

struct BareDeliveries {
  std::chrono::steady_clock::time_point start;
  double first_seconds = 0;  // from the handle's creation to the first delivery report
  uint64_t delivered = 0;
  uint64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_bare_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* book = static_cast<BareDeliveries*>(opaque);
  if (book->delivered + book->failed == 0) book->first_seconds = seconds_since(book->start);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++book->delivered;
  } else if (book->failed++ == 0) {
    book->first_error = message->err;
  }
}

// Produces `records` (their partitions, keys, values, timestamps and dimona.* headers) to
// `topic` with one handle of the log's producer settings, then one flush; seconds from the
// handle's creation to every delivery acknowledged (the idempotent producer's id included);
// `first_seconds`: to the first delivery report.
double bare_produce(const std::string& bootstrap, const std::string& topic, const std::vector<LogRecord>& records,
                    double* first_seconds) {
  using namespace kafka_client;
  const auto t0 = std::chrono::steady_clock::now();
  BareDeliveries book;
  book.start = t0;
  Result<KafkaHandle> handle = new_handle(RD_KAFKA_PRODUCER, log_producer_settings(bootstrap, limits::kafka_delivery_timeout_ms),
                                          on_bare_delivery, &book);
  if (!handle.is_ok()) die(handle.status().to_string());
  for (const LogRecord& record : records) {
    LogRecordDraft draft;
    draft.event_id = record.event_id;
    draft.key = record.key;
    draft.type = record.type;
    draft.schema_version = record.schema_version;
    draft.recorded_at = record.recorded_at;
    draft.payload = record.payload;
    draft.source = record.source;
    rd_kafka_vu_t values[kRecordValues] = {};
    (void)record_values(topic, record.partition, draft, values);  // the log's own record, its headers with it
    for (;;) {
      rd_kafka_error_t* error = rd_kafka_produceva(handle->get(), values, std::size(values));
      if (error == nullptr) break;  // librdkafka owns the headers now
      const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(kafka_error("bare produce", err));
      rd_kafka_poll(handle->get(), 100);  // serve delivery reports, then retry
    }
    rd_kafka_poll(handle->get(), 0);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_flush(handle->get(), 2 * limits::kafka_delivery_timeout_ms); err)
    die(kafka_error("bare flush", err));
  const double seconds = seconds_since(t0);
  if (book.failed > 0 || book.delivered != records.size())
    die(std::to_string(book.delivered) + " of " + std::to_string(records.size()) + " records delivered by the bare producer (" +
        rd_kafka_err2str(book.first_error) + ")");
  *first_seconds = book.first_seconds;
  return seconds;
}

struct Medians {
  double open_ms, ingest_rate, commit_ms, replay_rate;
};

Medians medians_of(const std::vector<Run>& runs) {
  std::vector<double> open, ingest, commit, replay;
  for (const Run& r : runs) {
    open.push_back(1000.0 * r.open_seconds);
    ingest.push_back(static_cast<double>(r.declarations) / r.ingest_seconds);
    commit.push_back(1000.0 * r.ingest_seconds / static_cast<double>(r.commits));
    replay.push_back(static_cast<double>(r.events) / r.replay_seconds);
  }
  return {median(open), median(ingest), median(commit), median(replay)};
}

void print_run(const char* backend, int index, const Run& r) {
  // The first group's appends are each producer's first (a Kafka producer connects and gets its
  // idempotent producer id then); the later ones are the steady state.
  const size_t first = std::min<size_t>(r.partitions, r.append_ms.size());
  auto summary = [](std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    char text[96];
    std::snprintf(text, sizeof text, "%zu, median %.1f ms, max %.1f ms", ms.size(), ms.empty() ? 0 : ms[ms.size() / 2],
                  ms.empty() ? 0 : ms.back());
    return std::string(text);
  };
  std::printf("run %d %-22s appends of group 1: %s; later appends: %s\n", index, backend,
              summary({r.append_ms.begin(), r.append_ms.begin() + static_cast<std::ptrdiff_t>(first)}).c_str(),
              summary({r.append_ms.begin() + static_cast<std::ptrdiff_t>(first), r.append_ms.end()}).c_str());
  std::printf("run %d %-22s open %.3f s, ingest %.3f s (%llu declarations, %llu commit groups), replay %.3f s (%llu events, %.3f s CPU)\n",
              index, backend, r.open_seconds, r.ingest_seconds, static_cast<unsigned long long>(r.declarations),
              static_cast<unsigned long long>(r.commits), r.replay_seconds, static_cast<unsigned long long>(r.events),
              r.replay_cpu_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t students = 1000;
  int runs = 3;
  uint32_t partitions = limits::partitions_default;
  int brokers = 1;
  uint32_t commit_lines = limits::ingest_commit_declarations;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string dir = (fs::temp_directory_path() / ("dimona-kafka-bench-" + std::to_string(::getpid()))).string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--students")) students = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--partitions")) partitions = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--brokers")) brokers = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--commit-lines")) commit_lines = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--threads"))
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else die(std::string("unknown option ") + argv[i]);
  }
  if (runs < 1 || partitions < 1 || brokers < 1 || threads < 1 || threads > 256 || commit_lines < 1 ||
      commit_lines > limits::ingest_commit_declarations)
    die("--runs, --partitions, --brokers, --threads (at most 256) and --commit-lines are at least 1 (--commit-lines at "
        "most " +
        std::to_string(limits::ingest_commit_declarations) + ")");
  fs::create_directories(dir);
  const std::string input = dir + "/year.ndjson";
  {
    std::FILE* f = std::fopen(input.c_str(), "wb");
    if (f == nullptr) die("cannot write " + input);
    GeneratorOptions g;
    g.students = students;
    auto stats = generate(g, [f](std::string_view chunk) {
      return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size() ? Status::ok() : io_error("write");
    });
    std::fclose(f);
    if (!stats.is_ok()) die(stats.status().to_string());
    std::printf("input: %llu lines (--students %llu), %.1f MB; %u partitions; mock cluster of %d broker(s)\n",
                static_cast<unsigned long long>(stats->lines), static_cast<unsigned long long>(students),
                static_cast<double>(stats->bytes) / 1e6, partitions, brokers);
  }
  Result<std::unique_ptr<KafkaMockCluster>> cluster = KafkaMockCluster::start(brokers);
  if (!cluster.is_ok()) die(cluster.status().to_string());

  std::vector<Run> sqlite_runs, kafka_runs;
  std::vector<BareRead> bare_reads;
  std::vector<double> bare_produce_seconds;
  std::vector<double> seam_reads, by_partition_reads;  // seconds of each run's reads through our LogConsumer
  std::vector<double> replay_ratios, ingest_ratios, seam_ratios, by_partition_ratios;  // ours/bare of each run (events/s)
  std::vector<double> parallel_ratios;  // the replay with --threads workers against the same run's bare read
  std::vector<LogRecord> records;  // what the first run's ledger wrote: the bare producer's input
  uint64_t record_bytes = 0;
  const std::string bootstrap = (*cluster)->bootstrap();
  auto fresh_topic = [&](const std::string& topic) {
    Status created = (*cluster)->create_topic(topic, partitions, brokers);
    if (!created.is_ok()) die(created.to_string());
  };
  for (int r = 1; r <= runs; ++r) {
    fs::remove_all(dir + "/sqlite");
    fs::create_directories(dir + "/sqlite");
    sqlite_runs.push_back(run_once("sqlite:" + dir + "/sqlite/ledger.db", input, partitions, commit_lines));
    print_run("sqlite (embedded)", r, sqlite_runs.back());

    // Ours and the bare baselines alternately: odd runs ours first, even runs the baseline first.
    const bool ours_first = r % 2 == 1;
    const std::string topic = "bench-" + std::to_string(r);  // fresh topics per run
    const std::string bare_topic = topic + "-bare";
    fresh_topic(topic);
    fresh_topic(bare_topic);
    std::unique_ptr<Log> log = open_fresh_log("kafka://" + bootstrap + "/" + topic, partitions);
    double produced = 0, first_delivery = 0;
    if (!ours_first) produced = bare_produce(bootstrap, bare_topic, records, &first_delivery);
    Run run = ingest_once(*log, input, partitions, commit_lines);
    if (records.empty()) {
      records = records_of(*log);
      for (const LogRecord& record : records) record_bytes += record.key.size() + record.payload.size();
      if (records.size() != run.appended) die("read back " + std::to_string(records.size()) + " of " + std::to_string(run.appended) + " records");
    }
    if (ours_first) produced = bare_produce(bootstrap, bare_topic, records, &first_delivery);
    BareRead read, seam, by_partition;
    if (!ours_first) {
      by_partition = seam_read_by_partition(*log);
      seam = seam_read(*log);
      read = bare_consume(bootstrap, topic, partitions);
    }
    replay_once(*log, run);
    {
      Run parallel = run;
      replay_once(*log, parallel, threads);
      run.parallel_replay_seconds = parallel.replay_seconds;
    }
    if (ours_first) {
      read = bare_consume(bootstrap, topic, partitions);
      seam = seam_read(*log);
      by_partition = seam_read_by_partition(*log);
    }
    for (const BareRead* other : {&seam, &by_partition}) {
      if (read.records != run.appended || other->records != run.appended || other->byte_sum != read.byte_sum)
        die("the bare consumer read " + std::to_string(read.records) + " records, our LogConsumer " +
            std::to_string(other->records) + ", of " + std::to_string(run.appended) + " (or their bytes differ)");
    }
    kafka_runs.push_back(std::move(run));
    const Run& k = kafka_runs.back();
    print_run("kafka (mock cluster)", r, k);
    const double ours_ingest = static_cast<double>(k.appended) / k.ingest_seconds;
    const double bare_ingest = static_cast<double>(records.size()) / produced;
    const double ours_replay = static_cast<double>(k.events) / k.replay_seconds;
    const double bare_replay = static_cast<double>(read.records) / read.seconds;
    std::printf("run %d %-22s produce %.3f s (first delivery after %.3f s; %zu records, ours/bare %.2f); consume %.3f s (%.3f s CPU; %llu records, %.1f MB, byte sum %llu; ours/bare %.2f)\n",
                r, "bare librdkafka", produced, first_delivery, records.size(), ours_ingest / bare_ingest, read.seconds, read.cpu_seconds,
                static_cast<unsigned long long>(read.records), static_cast<double>(read.bytes) / 1e6,
                static_cast<unsigned long long>(read.byte_sum), ours_replay / bare_replay);
    std::printf("run %d %-22s read %.3f s (%.3f s CPU; ours/bare %.2f); partition by partition, a fresh consumer each: %.3f s (%.3f s CPU; ours/bare %.2f)\n",
                r, "our LogConsumer", seam.seconds, seam.cpu_seconds, read.seconds / seam.seconds, by_partition.seconds,
                by_partition.cpu_seconds, read.seconds / by_partition.seconds);
    by_partition_reads.push_back(by_partition.seconds);
    by_partition_ratios.push_back(read.seconds / by_partition.seconds);
    bare_reads.push_back(read);
    seam_reads.push_back(seam.seconds);
    seam_ratios.push_back(read.seconds / seam.seconds);
    bare_produce_seconds.push_back(produced);
    ingest_ratios.push_back(ours_ingest / bare_ingest);
    replay_ratios.push_back(ours_replay / bare_replay);
    parallel_ratios.push_back(read.seconds / k.parallel_replay_seconds);
    std::printf("run %d %-22s replay with %u threads %.3f s (ours/bare %.2f)\n", r, "kafka (mock cluster)", threads,
                k.parallel_replay_seconds, read.seconds / k.parallel_replay_seconds);
  }
  const Medians s = medians_of(sqlite_runs), k = medians_of(kafka_runs);
  std::printf("\nmedian of %d runs         %18s %18s\n", runs, "sqlite (embedded)", "kafka (mock)");
  std::printf("Ledger::open (empty log), ms %16.1f %18.1f\n", s.open_ms, k.open_ms);
  std::printf("ingest, declarations/s     %18.0f %18.0f\n", s.ingest_rate, k.ingest_rate);
  std::printf("time per commit group, ms  %18.2f %18.2f\n", s.commit_ms, k.commit_ms);
  std::printf("replay, events/s           %18.0f %18.0f\n", s.replay_rate, k.replay_rate);

  // Ours against bare librdkafka on the same mock cluster; MB are the records' keys and values.
  std::vector<double> ours_ingest, ours_replay, ours_parallel, bare_ingest, bare_replay;
  for (const Run& run : kafka_runs) {
    ours_ingest.push_back(run.ingest_seconds);
    ours_replay.push_back(run.replay_seconds);
    ours_parallel.push_back(run.parallel_replay_seconds);
  }
  for (size_t i = 0; i < bare_reads.size(); ++i) {
    bare_ingest.push_back(bare_produce_seconds[i]);
    bare_replay.push_back(bare_reads[i].seconds);
  }
  const double events = static_cast<double>(records.size()), mb = static_cast<double>(record_bytes) / 1e6;
  auto row = [&](const char* what, double ours_seconds, double bare_seconds, double ratio) {
    std::printf("%-32s %10.0f ev/s %6.1f MB/s %10.0f ev/s %6.1f MB/s %8.2f\n", what, events / ours_seconds,
                mb / ours_seconds, events / bare_seconds, mb / bare_seconds, ratio);
  };
  std::printf("\nmedian of %d runs (%llu events, %.1f MB) %-20s %-26s ours/bare\n", runs,
              static_cast<unsigned long long>(records.size()), mb, "ours", "bare librdkafka");
  row("ingest vs bare producer", median(ours_ingest), median(bare_ingest), median(ingest_ratios));
  row("replay vs bare batch consumer", median(ours_replay), median(bare_replay), median(replay_ratios));
  const std::string parallel_row = "  the replay, " + std::to_string(threads) + " threads";
  row(parallel_row.c_str(), median(ours_parallel), median(bare_replay), median(parallel_ratios));
  row("LogConsumer read vs bare", median(seam_reads), median(bare_replay), median(seam_ratios));
  row("  partition by partition", median(by_partition_reads), median(bare_replay), median(by_partition_ratios));
  fs::remove_all(dir);
  return 0;
}
