// A seeded simulation of ingests under faults (issue 11, item 8, in the
// spirit of TigerBeetle's simulator): from one seed, a random interleaving of
// ingest runs with small commit groups, appends that fail from a random
// point on (testing::FaultyLog: a full disk, an unreachable broker, a
// process dying between two appends of one group; or a batch stored whose
// acknowledgement is lost), Ledger::reload() after a
// failure, "crashes" (the Ledger destroyed with a failed group behind it,
// then a fresh one opened on the same log), Produce errors on Kafka, and
// re-runs of a finished ingest; then one last clean run. The log must then
// hold each line exactly once and the Projector's export must equal a clean
// ingest's into a fresh memory: log. A failure names its seed; replay one with
//   DIMONA_SIM_SEED=<seed> ctest --test-dir build -R IngestSimulation
// (the seed runs first, then the usual ones).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/ingest.h"
#include "tests/engine/ingest_check.h"
#include "tests/engine/kafka_fault_cluster.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

constexpr uint32_t kPartitions = 4;
constexpr char kLabel[] = "sim.ndjson";
constexpr int kStepsMax = 12;  // runs before the last clean one
// Whether a Ledger that finished an ingest may run the next one as it is
// (no reload, no new process). False until the Ledger notes the source
// positions it commits: its redelivery filter (Ledger::may_be_stored) looks
// only at what the log held at its last open()/reload(), so a second run of
// the same file on the same Ledger appends its re-read tail again (true
// reproduces it: seed 1000 doubles lines 1044..1049; docs/kafka.md "Faults").
constexpr bool kReuseLedgerAfterSuccess = true;

class IngestSimulation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    input_dir_ = new testing::TempDir();
    testing::write_year(input(), 40, 5);
    clean_ = new testing::CleanRun(testing::clean_run(input(), kLabel, kPartitions));
    ASSERT_GT(clean_->lines.size(), 300u);
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete input_dir_;
  }
  static std::string input() { return input_dir_->file(kLabel); }

  // The seeds of a backend: DIMONA_SIM_SEED first when set, then first..first+count-1.
  static std::vector<uint64_t> seeds(uint64_t first, int count) {
    std::vector<uint64_t> out;
    if (const char* s = std::getenv("DIMONA_SIM_SEED")) out.push_back(std::strtoull(s, nullptr, 10));
    for (int i = 0; i < count; ++i) out.push_back(first + static_cast<uint64_t>(i));
    return out;
  }

  // One simulated history on `inner` (a fresh, empty log), from `seed`.
  // `cluster`, when given, also injects retriable Produce errors.
  void simulate(uint64_t seed, std::unique_ptr<Log> inner, testing::FaultCluster* cluster) {
    SCOPED_TRACE("simulation seed " + std::to_string(seed) + " on " + inner->uri() +
                 " (replay: DIMONA_SIM_SEED=" + std::to_string(seed) + ")");
    std::mt19937_64 random(seed);
    auto chance = [&random](int percent) { return static_cast<int>(random() % 100) < percent; };
    testing::FaultyLog log(std::move(inner));
    ManualClock clock(testing::after_the_year());
    std::unique_ptr<Ledger> ledger;
    // On Kafka each fresh Ledger's producers stall ~1 s on their first append (docs/benchmarks.md).
    const int steps = 1 + static_cast<int>(random() % (cluster != nullptr ? kStepsMax / 2 : kStepsMax));
    for (int step = 0; step < steps && !HasFailure(); ++step) {
      if (!ledger) {
        Result<std::unique_ptr<Ledger>> opened = testing::open_ledger(log, clock);
        ASSERT_TRUE(opened.is_ok()) << "step " << step << ": " << opened.status().to_string();
        ledger = std::move(*opened);
      }
      // On Kafka each append waits for a round trip (and linger.ms): fewer, larger groups there.
      const uint32_t group = std::array<uint32_t, 4>{7, 25, 60, 200}[random() % 4] * (cluster != nullptr ? 4 : 1);
      const bool faulty = chance(70);
      if (faulty) {
        const int ok = static_cast<int>(random() % 30);
        const int failing = 1 + static_cast<int>(random() % 1000);
        log.fail_appends_after(ok, failing, /*stored=*/chance(30));
      }
      if (cluster != nullptr && chance(30)) cluster->fail_produce_requests(1 + random() % 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
      Result<IngestSummary> run = testing::ingest(*ledger, input(), group);
      log.fail_appends(0);
      if (verbose_) {
        std::fprintf(stderr, "seed %llu step %d: group %u, %s: %s\n", static_cast<unsigned long long>(seed), step, group,
                     faulty ? "faulty" : "clean", run.is_ok() ? summary_text(*run).c_str() : run.status().to_string().c_str());
      }
      if (run.is_ok()) {
        if (chance(30)) {  // a reload on a healthy ledger, which ingests again
          Status reloaded = ledger->reload();
          ASSERT_TRUE(reloaded.is_ok()) << "step " << step << ": " << reloaded.to_string();
        } else if (!kReuseLedgerAfterSuccess || chance(50)) {
          ledger.reset();  // the process ends, as `dimona-ledger ingest` does
        }
        continue;
      }
      ASSERT_TRUE(faulty) << "step " << step << ": a run without an injected fault failed: " << run.status().to_string();
      if (chance(50)) {
        Status reloaded = ledger->reload();  // the writer recovers in place
        ASSERT_TRUE(reloaded.is_ok()) << "step " << step << ": " << reloaded.to_string();
      } else {
        ledger.reset();  // a crash: the process is gone, with a failed group behind it
      }
    }
    ledger.reset();
    if (HasFailure()) return;
    Result<std::unique_ptr<Ledger>> last = testing::open_ledger(log, clock);
    ASSERT_TRUE(last.is_ok()) << last.status().to_string();
    Result<IngestSummary> final_run = testing::ingest(**last, input(), (cluster != nullptr ? 100 : 1) + static_cast<uint32_t>(random() % 300));
    ASSERT_TRUE(final_run.is_ok()) << final_run.status().to_string();
    last->reset();
    testing::expect_exactly_once(log, kLabel, *clean_, "seed " + std::to_string(seed));
  }

  static std::string summary_text(const IngestSummary& s) {
    return "lines " + std::to_string(s.lines) + ", resumed after " + std::to_string(s.resumed_after_lines) +
           ", already stored " + std::to_string(s.already_stored) + (s.already_complete ? ", already complete" : "");
  }

  static testing::TempDir* input_dir_;
  static testing::CleanRun* clean_;
  const bool verbose_ = std::getenv("DIMONA_SIM_VERBOSE") != nullptr;  // each step on stderr
};

testing::TempDir* IngestSimulation::input_dir_ = nullptr;
testing::CleanRun* IngestSimulation::clean_ = nullptr;

TEST_F(IngestSimulation, MemoryLog) {
  for (uint64_t seed : seeds(1000, 60)) {
    LogOptions options;
    options.partitions = kPartitions;
    simulate(seed, std::move(open_log("memory:", options)).value(), nullptr);
    if (HasFailure()) return;
  }
}

TEST_F(IngestSimulation, SqliteLog) {
  for (uint64_t seed : seeds(2000, 6)) {
    testing::TempDir dir;
    LogOptions options;
    options.partitions = kPartitions;
    Result<std::unique_ptr<Log>> log = open_log("sqlite:" + dir.file("ledger.db"), options);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    simulate(seed, std::move(*log), nullptr);
    if (HasFailure()) return;
  }
}

TEST_F(IngestSimulation, KafkaLog) {
  testing::FaultCluster cluster(1);
  int topic = 0;
  for (uint64_t seed : seeds(3000, 2)) {
    const std::string name = "sim-" + std::to_string(++topic);
    cluster.create_topic(name, kPartitions, 1);
    LogOptions options;
    options.partitions = kPartitions;
    Result<std::unique_ptr<Log>> log = open_log(cluster.uri(name), options);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    simulate(seed, std::move(*log), &cluster);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace dimona
