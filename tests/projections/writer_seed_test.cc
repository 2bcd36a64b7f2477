// A writer started from the read side's state (Ledger::open with a WriterSeed,
// engine/ledger.h "Starting from the read side"; the seed's WriterIndex,
// projections/writer_index.h) decides exactly as one that folded the log
// from offset 0.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/ingest.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "engine/source_position.h"
#include "projections/checkpoint_store.h"
#include "projections/projector.h"
#include "projections/writer_index.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/projections/generated_year.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::TempDir;

constexpr uint32_t kPartitions = 4;

// A memory log whose writers fence (as on Kafka): a seeded writer's fold steps over fences.
std::unique_ptr<Log> fencing_log() {
  LogOptions options;
  options.partitions = kPartitions;
  options.memory_fences_writers = true;
  Result<std::unique_ptr<Log>> log = open_log("memory:", options);
  DIMONA_ASSERT(log.is_ok());
  return std::move(log).value();
}

// What a writer is, as far as anyone can tell from outside: where each source
// stands per partition, then every line of `input` decided again (its
// recordedAt dropped: decided now, against the state) and what it staged.
std::vector<std::string> trace_of(Ledger& ledger, const std::vector<std::string>& sources, const std::string& input) {
  std::vector<std::string> trace;
  for (const std::string& source : sources) {
    std::string line = source + ":";
    for (const std::optional<SourcePosition>& at : ledger.source_positions(source)) {
      line += " ";
      if (at) format_source_position(*at, &line);
    }
    trace.push_back(line);
  }
  DeclarationDecoder decoder;
  std::istringstream lines(input);
  const std::regex recorded_at(R"(,"recordedAt":"[^"]*")");
  for (std::string text; std::getline(lines, text);) {
    text = std::regex_replace(text, recorded_at, "");
    const size_t size = text.size();
    text.resize(size + kJsonPadding, ' ');
    Result<Command> command = decoder.decode_command(std::string_view(text.data(), size), text.size());
    if (!command.is_ok()) continue;  // the generator's malformed lines
    const std::string_view raw(text.data(), size);
    uint32_t partition = 0;
    if (command->is_action) {
      Result<ActionSubmission> s = ledger.submit_action(command->action, raw, "again");
      if (!s.is_ok()) {
        trace.push_back(s.status().to_string());
        continue;
      }
      partition = s->partition;
    } else {
      Result<Submission> s = ledger.submit(command->declaration, raw, "again");
      if (!s.is_ok()) {
        trace.push_back(s.status().to_string());
        continue;
      }
      partition = s->partition;
    }
    trace.push_back(std::to_string(partition) + " " + std::string(ledger.last_staged_event(partition)));
  }
  return trace;
}

class WriterSeedTest : public ::testing::TestWithParam<bool> {};  // true: the read side caught up halfway

TEST_P(WriterSeedTest, AWriterStartedFromTheReadSideDecidesAsOneThatFoldedTheLog) {
  const bool halfway = GetParam();
  std::unique_ptr<Log> log = fencing_log();
  const std::string input = testing::ingest_generated_year(*log, 200, 5);
  ASSERT_FALSE(input.empty());
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  options.quota = std::make_shared<const QuotaSchedule>(testing::test_schedule());
  {
    Result<std::unique_ptr<Projector>> read = Projector::open(*log, options);
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    std::vector<Offset> ends(kPartitions);
    std::unique_ptr<LogConsumer> consumer = std::move(log->open_consumer()).value();
    for (uint32_t p = 0; p < kPartitions; ++p)
      ends[p] = halfway ? *consumer->end_offset(p) / 2 : *consumer->end_offset(p);
    ASSERT_TRUE((*read)->catch_up_to(ends).is_ok());
    ASSERT_TRUE((*read)->checkpoint().is_ok());
  }
  // The seed comes from a projector loaded from that checkpoint: the WriterIndex's bytes round-trip.
  Result<std::unique_ptr<Projector>> read = Projector::open(*log, options);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_TRUE((*read)->writer_seed().has_value());
  const WriterSeed seed = *(*read)->writer_seed();
  std::vector<std::string> sources;
  for (const WriterSeed::Partition& part : seed.partitions)
    part.tails.for_each_last([&](std::string_view text) { sources.emplace_back(source_of_position(text)); });
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  ASSERT_EQ(sources.size(), 1u) << "the generated year is one input file";
  if (halfway) {
    for (uint32_t p = 0; p < kPartitions; ++p)
      EXPECT_LT(seed.partitions[p].offset, *log->open_consumer().value()->end_offset(p));
  }

  ManualClock clock(*parse_instant("2027-06-01T00:00:00Z"));
  auto run = [&](const WriterSeed* from) {
    Result<std::unique_ptr<Ledger>> ledger =
        Ledger::open(*log, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"), {}, from);
    EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    if (!ledger.is_ok()) return std::vector<std::string>{};
    EXPECT_EQ((*ledger)->started_from_seed(), from != nullptr) << (*ledger)->seed_refusal();
    return trace_of(**ledger, sources, input);
  };
  const std::vector<std::string> folded = run(nullptr);
  const std::vector<std::string> seeded = run(&seed);
  // The same seed read from the checkpoint's bytes, no state built (what ingest starts from).
  Checkpoint keep;
  Result<std::optional<WriterSeed>> from_bytes = writer_seed_of_checkpoint(options.checkpoint_path, kPartitions, &keep);
  ASSERT_TRUE(from_bytes.is_ok()) << from_bytes.status().to_string();
  ASSERT_TRUE(from_bytes->has_value());
  for (const WriterSeed::Partition& part : (*from_bytes)->partitions) EXPECT_EQ(part.state, nullptr);
  EXPECT_EQ(run(&**from_bytes), seeded);
  ASSERT_EQ(folded.size(), seeded.size());
  size_t accepted = 0, other = 0;
  for (size_t i = 0; i < folded.size(); ++i) {
    ASSERT_EQ(folded[i], seeded[i]) << "line " << i;
    (folded[i].find(R"("result":"A")") != std::string::npos ? accepted : other) += 1;
  }
  // Both outcomes occur, so the state decided something (duplicates refused, updates taken).
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(other, 100u);
}

INSTANTIATE_TEST_SUITE_P(CaughtUp, WriterSeedTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) { return param.param ? "Halfway" : "Whole"; });

// A small generated year in a fencing memory log, and a folder for a checkpoint.
class SeededWriter : public ::testing::Test {
 protected:
  SeededWriter() { (void)testing::ingest_generated_year(*log_, 20, 5); }
  std::unique_ptr<Log> log_ = fencing_log();
  TempDir dir_;
};

// A seed of another shape is refused; one that is not this log's state is set aside, and the
// writer folds the log from offset 0 as without one.
TEST_F(SeededWriter, ASeedThatIsNotTheLogsIsSetAsideAndOneOfAnotherShapeRefused) {
  Result<std::unique_ptr<Projector>> read = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(read.is_ok());
  ASSERT_TRUE((*read)->catch_up().is_ok());
  ManualClock clock(*parse_instant("2027-06-01T00:00:00Z"));
  auto open = [&](const WriterSeed& seed) {
    return Ledger::open(*log_, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"), {}, &seed);
  };
  size_t periods = 0;
  {
    Result<std::unique_ptr<Ledger>> own = open(*(*read)->writer_seed());
    ASSERT_TRUE(own.is_ok()) << own.status().to_string();
    EXPECT_TRUE((*own)->started_from_seed()) << (*own)->seed_refusal();
    LedgerState merged;
    ASSERT_TRUE((*own)->merged_state(&merged).is_ok());
    periods = merged.period_count();
    ASSERT_GT(periods, 0u);
  }
  auto set_aside = [&](const WriterSeed& seed, std::string_view why) {
    Result<std::unique_ptr<Ledger>> ledger = open(seed);
    ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    EXPECT_FALSE((*ledger)->started_from_seed());
    EXPECT_NE((*ledger)->seed_refusal().find(why), std::string::npos) << (*ledger)->seed_refusal();
    LedgerState merged;
    ASSERT_TRUE((*ledger)->merged_state(&merged).is_ok());
    EXPECT_EQ(merged.period_count(), periods) << "folded from offset 0";
  };
  WriterSeed past = *(*read)->writer_seed();
  past.partitions[1].offset += 1000;
  set_aside(past, "past the log's end");
  // Two partitions' states that claim the same records cannot be one ledger.
  WriterSeed twice = *(*read)->writer_seed();
  for (uint32_t p = 0; p < kPartitions; ++p)
    if (twice.partitions[p].state->period_count() > 0)
      twice.partitions[(p + 1) % kPartitions].state = twice.partitions[p].state;
  set_aside(twice, "");
  // Another log's state, at offsets this log has: its last events are not this log's records.
  std::unique_ptr<Log> other = fencing_log();
  (void)testing::ingest_generated_year(*other, 20, 9);
  Result<std::unique_ptr<Projector>> elsewhere = Projector::open(*other, ProjectorOptions{});
  ASSERT_TRUE(elsewhere.is_ok());
  ASSERT_TRUE((*elsewhere)->catch_up().is_ok());
  WriterSeed foreign = *(*elsewhere)->writer_seed();
  std::unique_ptr<LogConsumer> ends = std::move(log_->open_consumer()).value();
  for (uint32_t p = 0; p < kPartitions; ++p)
    foreign.partitions[p].offset = std::min(foreign.partitions[p].offset, *ends->end_offset(p));
  set_aside(foreign, "another log");
  // Bytes that are not a state's.
  WriterSeed garbage = *(*read)->writer_seed();
  garbage.partitions[2].state = nullptr;
  garbage.partitions[2].state_bytes = "not a state";
  set_aside(garbage, "not a ledger state");
  // Another shape: a programming error, refused.
  WriterSeed fewer = *(*read)->writer_seed();
  fewer.partitions.pop_back();
  EXPECT_EQ(open(fewer).status().code(), Code::kInvalidArgument);
  WriterSeed serials = *(*read)->writer_seed();
  serials.partitions[0].serials.push_back(0);
  EXPECT_EQ(open(serials).status().code(), Code::kInvalidArgument);
}

// A shared seed behind the log (events came past the read side's states before this writer's
// fence: a zombie's, or another writer's) is not shared, and not set aside either: its states are
// copied and the tail folded into the copies, so the writer decides against every event.
TEST_F(SeededWriter, ASharedSeedBehindTheLogServesUnshared) {
  Result<std::unique_ptr<Projector>> read = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(read.is_ok());
  ASSERT_TRUE((*read)->catch_up().is_ok());
  ManualClock clock(*parse_instant("2027-06-01T00:00:00Z"));
  {  // another writer appends past the read side's states
    const std::string input = dir_.file("more.ndjson");
    std::ofstream(input) << testing::stu_in("2027-06-01", "2027-06-30", 10) << "\n"
                         << testing::stu_in("2027-06-01", "2027-06-30", 10, "85073003328") << "\n";
    Result<std::unique_ptr<Ledger>> other =
        Ledger::open(*log_, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
    ASSERT_TRUE(other.is_ok()) << other.status().to_string();
    Result<IngestSummary> more = ingest_file(**other, input, IngestOptions{});
    ASSERT_TRUE(more.is_ok()) << more.status().to_string();
  }
  Result<std::unique_ptr<Projector>> whole = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(whole.is_ok());
  ASSERT_TRUE((*whole)->catch_up().is_ok());
  const std::optional<WriterSeed> seed = (*read)->writer_seed(/*share=*/true);
  ASSERT_TRUE(seed && seed->shares());
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::open(*log_, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"), {}, &*seed);
  ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  EXPECT_TRUE((*ledger)->started_from_seed()) << (*ledger)->seed_refusal();
  EXPECT_TRUE((*ledger)->seed_refusal().empty()) << (*ledger)->seed_refusal();
  EXPECT_FALSE((*ledger)->shares_states());
  EXPECT_NE((*ledger)->partition_state(0), &(*read)->partition(0));
  for (uint32_t p = 0; p < kPartitions; ++p)
    EXPECT_EQ((*ledger)->partition_state(p)->events_applied(), (*whole)->partition(p).events_applied()) << p;
}

// A server that stops without having folded anything since its checkpoint adds no copy of it
// (checkpoint() on a state the latest checkpoint holds); one that folded, or folded a read model
// again, writes one.
TEST_F(SeededWriter, AStopThatChangedNothingWritesNoCheckpoint) {
  ProjectorOptions options;
  options.checkpoint_path = dir_.file("checkpoint.db");
  options.checkpoint_at_end = false;
  auto kept = [&] {
    Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
    EXPECT_TRUE(store.is_ok());
    return store.is_ok() ? (*store)->list().value().size() : size_t{0};
  };
  auto run = [&] {
    Result<std::unique_ptr<Projector>> p = Projector::open(*log_, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    ASSERT_TRUE((*p)->catch_up().is_ok());
    ASSERT_TRUE((*p)->checkpoint().is_ok());
  };
  run();
  EXPECT_EQ(kept(), 1u);
  run();  // nothing new in the log
  EXPECT_EQ(kept(), 1u);
  {  // one more event: the next stop saves it
    ManualClock clock(*parse_instant("2027-06-01T00:00:00Z"));
    Result<std::unique_ptr<Ledger>> ledger =
        Ledger::open(*log_, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
    ASSERT_TRUE(ledger.is_ok());
    std::string json = testing::stu_in("2027-07-01", "2027-07-02", 8);
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    DeclarationDecoder decoder;
    Result<Declaration> d = decoder.decode(std::string_view(json.data(), size), json.size());
    ASSERT_TRUE(d.is_ok());
    ASSERT_TRUE((*ledger)->submit(*d, std::string_view(json.data(), size), "test").is_ok());
    ASSERT_TRUE((*ledger)->commit().is_ok());
  }
  run();
  EXPECT_EQ(kept(), 2u);
}

// A checkpoint written before the WriterIndex existed gives no seed until catch_up() has folded
// that model again; then the seed is the one a fresh replay gives.
TEST_F(SeededWriter, ACheckpointWithoutTheWriterIndexGivesASeedOnlyOnceItIsFoldedAgain) {
  ProjectorOptions older;
  older.checkpoint_path = dir_.file("checkpoint.db");
  for (const ReadModelFactory& make : standard_read_models())
    if (make()->name() != WriterIndex::kName) older.read_models.push_back(make);
  {
    Result<std::unique_ptr<Projector>> p = Projector::open(*log_, older);
    ASSERT_TRUE(p.is_ok());
    ASSERT_TRUE((*p)->catch_up().is_ok());
    EXPECT_FALSE((*p)->writer_seed().has_value()) << "no WriterIndex registered";
  }
  Checkpoint keep;
  Result<std::optional<WriterSeed>> from_bytes = writer_seed_of_checkpoint(older.checkpoint_path, kPartitions, &keep);
  ASSERT_TRUE(from_bytes.is_ok());
  EXPECT_FALSE(from_bytes->has_value()) << "no writer section: a fold from offset 0";
  ProjectorOptions today;
  today.checkpoint_path = older.checkpoint_path;
  Result<std::unique_ptr<Projector>> p = Projector::open(*log_, today);
  ASSERT_TRUE(p.is_ok());
  EXPECT_FALSE((*p)->writer_seed().has_value()) << "the WriterIndex is still to be folded";
  ASSERT_TRUE((*p)->catch_up().is_ok());
  ASSERT_TRUE((*p)->writer_seed().has_value());
  Result<std::unique_ptr<Projector>> fresh = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(fresh.is_ok());
  ASSERT_TRUE((*fresh)->catch_up().is_ok());
  for (uint32_t q = 0; q < kPartitions; ++q) {
    EXPECT_EQ((*p)->writer_seed()->partitions[q].tails, (*fresh)->writer_seed()->partitions[q].tails);
    EXPECT_EQ((*p)->writer_seed()->partitions[q].serials, (*fresh)->writer_seed()->partitions[q].serials);
  }
}

}  // namespace
}  // namespace dimona
