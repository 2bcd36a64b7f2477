// kafka_bench: the ledger on librdkafka's mock cluster side by side with the
// embedded SQLite log, on the same generated year, in one run: ingest
// (decode + decide + append, durable: acks=all on Kafka, synchronous=FULL on
// SQLite) in declarations/s and in milliseconds per commit group, and replay
// (a fresh Projector folding the whole log, one thread, its open included)
// in events/s; Ledger::open on the empty log is timed apart. Prints
// every run and the median of --runs runs of each.
//
// The mock cluster runs in this process, keeps its partitions in memory
// (about 5 MiB each) and talks over 127.0.0.1: its figures are upper bounds
// of what the client does, not of a cluster with disks and a network
// (docs/benchmarks.md "Kafka (mock cluster)"). The bench checks that the
// replay folded every event appended (the mock drops the oldest records of a
// partition past its size: then use fewer --students or more --partitions).
//
// Usage: kafka_bench [--students N] [--runs R] [--partitions P] [--brokers B]
//                    [--commit-lines L (IngestOptions::commit_lines)] [--dir DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/generator/generator.h"
#include "engine/ingest.h"
#include "engine/ledger.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "projections/projector.h"

namespace fs = std::filesystem;
using namespace dimona;

namespace {

using bench::median;
using bench::seconds_since;

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
  uint64_t events = 0;
  std::vector<double> append_ms;  // each append of the ingest, in order
  uint32_t partitions = 0;
};

uint64_t events_in(Log& log) {
  Result<std::vector<PartitionSummary>> summary = summarize(log);
  if (!summary.is_ok()) die(summary.status().to_string());
  uint64_t n = 0;
  for (const PartitionSummary& p : *summary) n += p.end_offset;
  return n;
}

// One ingest of `input` into the fresh log at `uri`, then one replay of it.
Run run_once(const std::string& uri, const std::string& input, uint32_t partitions, uint32_t commit_lines) {
  LogOptions options;
  options.partitions = partitions;
  Result<std::unique_ptr<Log>> log = open_log(uri, options);
  if (!log.is_ok()) die(uri + ": " + log.status().to_string());
  Result<QuotaSchedule> schedule = load_quota_schedule("");
  if (!schedule.is_ok()) die(schedule.status().to_string());
  SystemClock clock;
  Run run;
  run.partitions = partitions;
  {
    auto t0 = std::chrono::steady_clock::now();
    TimedLog timed(**log);
    Result<std::unique_ptr<Ledger>> ledger = Ledger::open(timed, std::move(*schedule), clock, ServerSecret::from_passphrase("bench"));
    if (!ledger.is_ok()) die(ledger.status().to_string());
    run.open_seconds = seconds_since(t0);  // producers (one per partition), the fold of the empty log
    t0 = std::chrono::steady_clock::now();
    IngestOptions ingest;
    ingest.commit_lines = commit_lines;
    Result<IngestSummary> summary = ingest_file(**ledger, input, ingest);
    if (!summary.is_ok()) die(uri + ": ingest: " + summary.status().to_string());
    run.ingest_seconds = seconds_since(t0);
    run.declarations = summary->declarations;  // as ingest_bench counts them
    run.commits = summary->commits;
    ledger->reset();  // its committer thread is gone: append_ms is ours
    run.append_ms = std::move(timed.append_ms);
  }
  const uint64_t appended = events_in(**log);
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Projector>> projector = Projector::open(**log, ProjectorOptions{});
  if (!projector.is_ok()) die(projector.status().to_string());
  Result<ReplayStats> replay = (*projector)->catch_up();
  if (!replay.is_ok()) die(uri + ": replay: " + replay.status().to_string());
  run.replay_seconds = seconds_since(t0);
  run.events = replay->events;
  if (run.events != appended) {
    die(uri + ": replayed " + std::to_string(run.events) + " events of " + std::to_string(appended) +
        " appended (the mock keeps about 5 MiB per partition: use fewer --students or more --partitions)");
  }
  return run;
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
  std::printf("run %d %-22s open %.3f s, ingest %.3f s (%llu declarations, %llu commit groups), replay %.3f s (%llu events)\n", index,
              backend, r.open_seconds, r.ingest_seconds, static_cast<unsigned long long>(r.declarations),
              static_cast<unsigned long long>(r.commits), r.replay_seconds, static_cast<unsigned long long>(r.events));
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t students = 1000;
  int runs = 3;
  uint32_t partitions = limits::partitions_default;
  int brokers = 1;
  uint32_t commit_lines = limits::ingest_commit_declarations;
  std::string dir = (fs::temp_directory_path() / ("dimona-kafka-bench-" + std::to_string(::getpid()))).string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--students")) students = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--partitions")) partitions = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--brokers")) brokers = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--commit-lines")) commit_lines = static_cast<uint32_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else die(std::string("unknown option ") + argv[i]);
  }
  if (runs < 1 || partitions < 1 || brokers < 1 || commit_lines < 1 || commit_lines > limits::ingest_commit_declarations)
    die("--runs, --partitions, --brokers and --commit-lines are at least 1 (--commit-lines at most " +
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
  for (int r = 1; r <= runs; ++r) {
    fs::remove_all(dir + "/sqlite");
    fs::create_directories(dir + "/sqlite");
    sqlite_runs.push_back(run_once("sqlite:" + dir + "/sqlite/ledger.db", input, partitions, commit_lines));
    print_run("sqlite (embedded)", r, sqlite_runs.back());
    const std::string topic = "bench-" + std::to_string(r);  // a fresh topic per run
    Status created = (*cluster)->create_topic(topic, partitions, brokers);
    if (!created.is_ok()) die(created.to_string());
    kafka_runs.push_back(run_once("kafka://" + (*cluster)->bootstrap() + "/" + topic, input, partitions, commit_lines));
    print_run("kafka (mock cluster)", r, kafka_runs.back());
  }
  const Medians s = medians_of(sqlite_runs), k = medians_of(kafka_runs);
  std::printf("\nmedian of %d runs         %18s %18s\n", runs, "sqlite (embedded)", "kafka (mock)");
  std::printf("Ledger::open (empty log), ms %16.1f %18.1f\n", s.open_ms, k.open_ms);
  std::printf("ingest, declarations/s     %18.0f %18.0f\n", s.ingest_rate, k.ingest_rate);
  std::printf("time per commit group, ms  %18.2f %18.2f\n", s.commit_ms, k.commit_ms);
  std::printf("replay, events/s           %18.0f %18.0f\n", s.replay_rate, k.replay_rate);
  fs::remove_all(dir);
  return 0;
}
