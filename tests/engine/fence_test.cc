// Fencing a zombie writer without transactions (log.h "Fence", engine/log/fence.h,
// docs/kafka.md "Fencing a zombie"): the FenceFilter's rule on made-up records,
// then two Ledgers on one partition (the zombie and its successor, the
// in-process fence skipped by the test seam LogOptions::
// test_only_skip_in_process_fence, as two processes would be) on memory with
// fences and on Kafka (librdkafka's mock cluster, 127.0.0.1).
#include "engine/log/fence.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/log/kafka_client.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "projections/checkpoint_store.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/engine/log_test_support.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

LogRecord record(Offset offset, Offset epoch) {
  LogRecord r;
  r.partition = 1;
  r.offset = offset;
  r.epoch = epoch;
  return r;
}

bool admitted(FenceFilter& filter, const LogRecord& r) {
  Result<bool> a = filter.admit(r);
  EXPECT_TRUE(a.is_ok()) << a.status().to_string();
  return a.is_ok() && *a;
}

TEST(FenceFilter, RecordsWithoutAnEpochFoldUntilTheFirstFence) {
  FenceFilter filter;
  EXPECT_TRUE(admitted(filter, record(0, kNoEpoch)));
  EXPECT_TRUE(admitted(filter, record(1, kNoEpoch)));
  EXPECT_FALSE(admitted(filter, record(2, kFenceEpoch)));  // a fence is no event
  EXPECT_EQ(filter.fence(), 2u);
  EXPECT_TRUE(admitted(filter, record(3, 2)));
  EXPECT_FALSE(admitted(filter, record(4, kNoEpoch)));  // a writer from before fencing, after a fence
}

TEST(FenceFilter, AZombiesRecordsAfterANewerFenceAreDropped) {
  FenceFilter filter;
  EXPECT_FALSE(admitted(filter, record(0, kFenceEpoch)));  // A's fence
  EXPECT_TRUE(admitted(filter, record(1, 0)));
  EXPECT_FALSE(admitted(filter, record(2, kFenceEpoch)));  // B's fence
  EXPECT_FALSE(admitted(filter, record(3, 0)));            // A, the zombie
  EXPECT_TRUE(admitted(filter, record(4, 2)));             // B
  EXPECT_FALSE(admitted(filter, record(5, 0)));            // A again
  EXPECT_EQ(filter.fence(), 2u);
  // A reader resuming at offset 5 with the fence in effect there drops it too.
  FenceFilter resumed(2);
  EXPECT_FALSE(admitted(resumed, record(5, 0)));
  EXPECT_TRUE(admitted(resumed, record(6, 2)));
}

TEST(FenceFilter, AnEpochNoFenceCanHaveGivenIsCorruption) {
  FenceFilter none;
  Result<bool> ahead = none.admit(record(3, 1));  // epoch 1, but no fence seen
  EXPECT_EQ(ahead.status().code(), Code::kCorruption);
  EXPECT_NE(ahead.status().message().find("which is no fence record"), std::string::npos) << ahead.status().to_string();

  FenceFilter at(2);
  EXPECT_EQ(at.admit(record(5, 4)).status().code(), Code::kCorruption);  // newer than the latest fence: offset 4 was no fence
  EXPECT_EQ(at.admit(record(5, 5)).status().code(), Code::kCorruption);  // its own offset
  EXPECT_EQ(at.admit(record(5, 9)).status().code(), Code::kCorruption);  // a later one
  Result<bool> back = at.admit(record(2, kFenceEpoch));                   // a fence not after the latest
  EXPECT_EQ(back.status().code(), Code::kCorruption);
  EXPECT_NE(back.status().message().find("does not follow the fence at offset 2"), std::string::npos);
}

// The fold reads views of its records (LogConsumer::poll_views): each is admitted, dropped or
// refused exactly as its record, with the same message.
TEST(FenceFilter, AViewIsJudgedAsItsRecord) {
  const std::pair<Offset, Offset> sequence[] = {{0, kNoEpoch},    {1, kFenceEpoch}, {2, 1}, {3, kNoEpoch},
                                                {4, kFenceEpoch}, {5, 1},           {6, 4}, {7, 6},
                                                {8, 9},           {3, kFenceEpoch}};
  FenceFilter by_record, by_view;
  for (const auto& [offset, epoch] : sequence) {
    const LogRecord r = record(offset, epoch);
    Result<bool> a = by_record.admit(r);
    Result<bool> b = by_view.admit(view_of(r));
    ASSERT_EQ(a.is_ok(), b.is_ok()) << "offset " << offset;
    if (a.is_ok())
      EXPECT_EQ(*a, *b) << "offset " << offset;
    else
      EXPECT_EQ(a.status().to_string(), b.status().to_string());
    EXPECT_EQ(by_record.fence(), by_view.fence());
  }
  EXPECT_EQ(by_view.fence(), 4u);
}

// Two writers of one log: the zombie (A) and its successor (B).
class ZombieWriter : public testing::LogBackendTest {
 protected:
  ZombieWriter() : LogBackendTest("fence", 2) { options_.memory_fences_writers = true; }

  // Another Log on the same topic whose producers skip the in-process fence: another process.
  std::unique_ptr<Log> other_process() const {
    LogOptions options = options_;
    options.test_only_skip_in_process_fence = true;
    Result<std::unique_ptr<Log>> log = open_log(uri_, options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  std::unique_ptr<Ledger> writer(Log& log) {
    Result<std::unique_ptr<Ledger>> l = Ledger::open(log, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
    EXPECT_TRUE(l.is_ok()) << l.status().to_string();
    return l.is_ok() ? std::move(l).value() : nullptr;
  }

  // Submits a student IN of `day` (June 2025) for the one worker of these tests and commits.
  Status write(Ledger& ledger, int day) {
    clock_.advance_micros(kMicrosPerSecond);
    const std::string date = "2025-06-" + std::string(day < 10 ? "0" : "") + std::to_string(day);
    std::string json = testing::stu_in(date, date, 4);
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Declaration> d = decoder_.decode(std::string_view(json.data(), size), json.size());
    EXPECT_TRUE(d.is_ok());
    if (!d.is_ok()) return d.status();
    Result<Submission> s = ledger.submit(*d, std::string_view(json.data(), size), "test");
    DIMONA_TRY(s);
    return ledger.commit();
  }

  static std::unique_ptr<Projector> projector(Log& log, const std::string& checkpoint = "") {
    ProjectorOptions options;
    options.checkpoint_path = checkpoint;
    options.quota = std::make_shared<const QuotaSchedule>(testing::test_schedule());
    Result<std::unique_ptr<Projector>> p = Projector::open(log, options);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    if (!p.is_ok()) return nullptr;
    Result<ReplayStats> stats = (*p)->catch_up();
    EXPECT_TRUE(stats.is_ok()) << stats.status().to_string();
    return std::move(p).value();
  }

  static std::string exported(const Projector& projector) {
    std::string out;
    Status s = export_read_models(projector, [&](std::string_view lines) {
      out.append(lines);
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }

  // The export of a log where A wrote day 2, then B took over and wrote `b_days`: no zombie.
  std::string export_without_zombie(const std::vector<int>& b_days) {
    clock_.set(*parse_instant("2025-06-01T08:00:00Z"));
    std::unique_ptr<Log> log = testing::memory_log(2);
    {
      std::unique_ptr<Ledger> a = writer(*log);
      EXPECT_TRUE(write(*a, 2).is_ok());
    }
    clock_.advance_micros(kMicrosPerSecond);  // A's zombie write took a tick
    std::unique_ptr<Ledger> b = writer(*log);
    for (int day : b_days) EXPECT_TRUE(write(*b, day).is_ok());
    std::unique_ptr<Projector> p = projector(*log);
    return p ? exported(*p) : "";
  }

  uint32_t partition() const { return partition_for(Ssin{5031412595}, 2); }

  // A writes day 2, then B (another process) takes over, fencing A; a projector's checkpoint is
  // written right after B's fence (offset 2 of the worker's partition).
  struct Writers {
    std::unique_ptr<Log> b_log;  // first: B's Ledger goes before its log
    std::unique_ptr<Ledger> a, b;
  };
  Writers b_fenced_a_before_a_checkpoint(const std::string& checkpoint) {
    Writers w;
    w.a = writer(*log_);
    EXPECT_NE(w.a, nullptr);
    if (w.a) {
      EXPECT_TRUE(write(*w.a, 2).is_ok());
    }
    w.b_log = other_process();
    if (w.b_log) w.b = writer(*w.b_log);
    EXPECT_NE(w.b, nullptr);
    EXPECT_NE(projector(*log_, checkpoint), nullptr);
    return w;
  }

  ManualClock clock_{*parse_instant("2025-06-01T08:00:00Z")};
  DeclarationDecoder decoder_;
};

TEST_P(ZombieWriter, ItsRecordsAfterTheNewFenceAreDroppedItsCommitFailsTheNewOwnersSucceeds) {
  std::unique_ptr<Ledger> a = writer(*log_);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(write(*a, 2).is_ok());
  std::unique_ptr<Log> b_log = other_process();
  std::unique_ptr<Ledger> b = writer(*b_log);  // fences both partitions
  ASSERT_NE(b, nullptr);

  // A, the zombie, appends after B's fence: its commit fails, naming the fence.
  const Offset fence = 2;  // A's fence at 0, its event at 1, B's fence at 2
  Status zombie = write(*a, 9);
  EXPECT_EQ(zombie.code(), Code::kFailedPrecondition) << zombie.to_string();
  EXPECT_NE(zombie.message().find("fenced by a newer writer at offset " + std::to_string(fence)), std::string::npos)
      << zombie.to_string();
  // Where A's events end, as serve asks after the failed commit: at B's fence, not the log's end.
  Result<Offset> events_end = a->stored_events_end(partition());
  ASSERT_TRUE(events_end.is_ok()) << events_end.status().to_string();
  EXPECT_EQ(*events_end, fence);
  // Its record is in the log all the same (no transaction took it back), with A's epoch.
  std::vector<LogRecord> records = testing::read_all(*log_, partition());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_TRUE(records[0].is_fence());
  EXPECT_EQ(records[1].epoch, 0u);
  EXPECT_TRUE(records[2].is_fence());
  EXPECT_EQ(records[3].epoch, 0u);

  // B, whose predicted offset A's fenced record took, commits all the same, twice.
  const Offset predicted = b->next_offset(partition());
  EXPECT_EQ(predicted, 3u);
  Status first = write(*b, 16);
  EXPECT_TRUE(first.is_ok()) << first.to_string();
  EXPECT_EQ(b->stored_offset(partition(), predicted), 4u);  // what serve answers
  EXPECT_EQ(b->next_offset(partition()), 5u);
  Status second = write(*b, 23);
  EXPECT_TRUE(second.is_ok()) << second.to_string();
  records = testing::read_all(*log_, partition());
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[4].epoch, fence);
  EXPECT_EQ(records[5].epoch, fence);
  // B's events end where the log does: the fence before them is its own.
  Result<Offset> b_end = b->stored_events_end(partition());
  ASSERT_TRUE(b_end.is_ok()) << b_end.status().to_string();
  EXPECT_EQ(*b_end, 6u);
  EXPECT_FALSE(b->fenced());

  // A reload of the zombie does not make it a writer again: it was fenced.
  Status reloaded = a->reload();
  EXPECT_EQ(reloaded.code(), Code::kFailedPrecondition) << reloaded.to_string();
  EXPECT_NE(reloaded.message().find("fenced by a newer writer"), std::string::npos) << reloaded.to_string();
  EXPECT_TRUE(a->fenced());

  // Every fold drops A's record after the fence: the export is a run's where A never wrote it.
  std::unique_ptr<Projector> folded = projector(*log_);
  ASSERT_NE(folded, nullptr);
  const std::string with_zombie = exported(*folded);
  EXPECT_EQ(with_zombie.find("2025-06-09"), std::string::npos);
  EXPECT_NE(with_zombie.find("2025-06-16"), std::string::npos);
  b.reset();
  a.reset();
  EXPECT_EQ(with_zombie, export_without_zombie({16, 23}));
  // A writer opening now folds the log past A's zombie record, and fences after B's records.
  std::unique_ptr<Ledger> c = writer(*log_);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->next_offset(partition()), 7u);
}

TEST_P(ZombieWriter, ACheckpointAfterAFenceResumesWithIt) {
  testing::TempDir dir;
  const std::string checkpoint = dir.file("checkpoint.db");
  // The checkpoint is taken right after B's fence (offset 2): A's zombie record comes next, at its offset.
  Writers w = b_fenced_a_before_a_checkpoint(checkpoint);
  ASSERT_FALSE(HasFailure());
  Ledger& a = *w.a;
  Ledger& b = *w.b;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(checkpoint);
  ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  Result<std::optional<Checkpoint>> saved = (*store)->load();
  ASSERT_TRUE(saved.is_ok() && saved->has_value());
  EXPECT_EQ((**saved).partitions[partition()].offset, 3u);
  EXPECT_EQ((**saved).partitions[partition()].fence, 2u);
  EXPECT_EQ((**saved).partitions[1 - partition()].fence, 1u);  // the other partition: A's fence 0, B's 1

  EXPECT_EQ(write(a, 9).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(write(b, 16).is_ok());
  std::unique_ptr<Projector> resumed = projector(*log_, checkpoint);
  std::unique_ptr<Projector> from_start = projector(*log_);
  ASSERT_NE(resumed, nullptr);
  ASSERT_NE(from_start, nullptr);
  EXPECT_EQ(resumed->offset(partition()), 5u);
  EXPECT_EQ(to_hex(resumed->state_hash()), to_hex(from_start->state_hash()));
  EXPECT_EQ(exported(*resumed).find("2025-06-09"), std::string::npos);
  EXPECT_NE(exported(*resumed).find("2025-06-16"), std::string::npos);
}

// Serve at once (projector.h): a citizen's offsets known before the partition loads skip the
// zombie's record past the checkpoint, as the load's fold does: the checkpoint's fence starts
// the filter over the log past it.
TEST_P(ZombieWriter, ACitizensOffsetsBeforeTheLoadSkipAZombiesRecordPastTheCheckpoint) {
  testing::TempDir dir;
  const std::string checkpoint = dir.file("checkpoint.db");
  Writers w = b_fenced_a_before_a_checkpoint(checkpoint);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(write(*w.a, 9).code(), Code::kFailedPrecondition);  // the zombie's record, past the checkpoint
  ASSERT_TRUE(write(*w.b, 16).is_ok());
  ProjectorOptions options;
  options.checkpoint_path = checkpoint;
  options.quota = std::make_shared<const QuotaSchedule>(testing::test_schedule());
  Result<std::unique_ptr<Projector>> deferred = Projector::open_deferred(*log_, options);
  ASSERT_TRUE(deferred.is_ok()) << deferred.status().to_string();
  std::unique_ptr<Projector> from_start = projector(*log_);
  ASSERT_NE(from_start, nullptr);
  const Ssin worker{5031412595};
  const std::vector<Offset> expected = from_start->citizens(partition()).offsets(worker);
  ASSERT_EQ(expected.size(), 2u);  // days 2 and 16, not the zombie's 9
  EXPECT_EQ((*deferred)->loading_citizen_offsets(worker), std::optional<std::vector<Offset>>(expected));
}

INSTANTIATE_TEST_SUITE_P(Backends, ZombieWriter, ::testing::Values("memory", "kafka"), testing::backend_name);

// A log written before fencing (no epochs) folds whole, and goes on under a fencing writer.
TEST(Fencing, RecordsWithoutAnEpochStillFold) {
  LogOptions plain;
  plain.partitions = 2;
  Result<std::unique_ptr<Log>> old_log = open_log("memory:fence-old-records", plain);
  ASSERT_TRUE(old_log.is_ok());
  ManualClock clock(*parse_instant("2025-06-01T08:00:00Z"));
  DeclarationDecoder decoder;
  auto write = [&](Log& log, const std::string& date) {
    Result<std::unique_ptr<Ledger>> l = Ledger::open(log, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    clock.advance_micros(kMicrosPerSecond);
    std::string json = testing::stu_in(date, date, 4);
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Declaration> d = decoder.decode(std::string_view(json.data(), size), json.size());
    ASSERT_TRUE(d.is_ok());
    ASSERT_TRUE((*l)->submit(*d, std::string_view(json.data(), size), "test").is_ok());
    Status committed = (*l)->commit();
    ASSERT_TRUE(committed.is_ok()) << committed.to_string();
  };
  write(**old_log, "2025-06-02");
  LogOptions fencing = plain;
  fencing.memory_fences_writers = true;
  Result<std::unique_ptr<Log>> new_log = open_log("memory:fence-old-records", fencing);
  ASSERT_TRUE(new_log.is_ok());
  write(**new_log, "2025-06-03");
  const uint32_t p = partition_for(Ssin{5031412595}, 2);
  std::vector<LogRecord> records = testing::read_all(**new_log, p);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].epoch, kNoEpoch);
  EXPECT_TRUE(records[1].is_fence());
  EXPECT_EQ(records[2].epoch, 1u);
  ProjectorOptions options;
  options.quota = std::make_shared<const QuotaSchedule>(testing::test_schedule());
  Result<std::unique_ptr<Projector>> projector = Projector::open(**new_log, options);
  ASSERT_TRUE(projector.is_ok());
  Result<ReplayStats> stats = (*projector)->catch_up();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->events, 2u);
}

// A record whose dimona.epoch header is not a number (another client wrote
// it, or bytes were damaged) is kCorruption, named by its place, on every read.
TEST(Fencing, AMalformedEpochHeaderOnKafkaIsCorruption) {
  KafkaMockCluster& mock = testing::mock_cluster();
  ASSERT_TRUE(mock.create_topic("fence-malformed", 1, 1).is_ok());
  Result<kafka_client::KafkaHandle> producer =
      kafka_client::new_handle(RD_KAFKA_PRODUCER, kafka_client::log_producer_settings(mock.bootstrap(), 10'000));
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  for (const char* epoch : {"0", "x1"}) {  // a good one at offset 0 (no fence: corruption too), then a bad one
    LogRecordDraft draft{"dcl-1", "05031412595", "DimonaInDeclared", 3, Instant{1}, "{}", ""};
    rd_kafka_vu_t values[kafka_client::kRecordValues];
    const std::string topic = "fence-malformed";  // record_values keeps a pointer to it until produced
    rd_kafka_headers_t* headers = kafka_client::record_values(topic, 0, draft, values);
    rd_kafka_header_add(headers, kafka_client::kHeaderEpoch, -1, epoch, -1);
    rd_kafka_error_t* error = rd_kafka_produceva(producer->get(), values, kafka_client::kRecordValues);
    ASSERT_EQ(error, nullptr);
  }
  ASSERT_EQ(rd_kafka_flush(producer->get(), 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + mock.bootstrap() + "/fence-malformed", LogOptions{});
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<LogConsumer>> consumer = (*log)->open_consumer();
  ASSERT_TRUE(consumer.is_ok());
  std::vector<LogRecord> read;
  auto keep = [&](LogRecord& r) {
    read.push_back(r);
    return Status::ok();
  };
  ASSERT_TRUE(read_partition(**consumer, 0, 0, 1, keep).is_ok());
  Status bad = read_partition(**consumer, 0, 1, 2, keep);
  EXPECT_EQ(bad.code(), Code::kCorruption) << bad.to_string();
  EXPECT_NE(bad.message().find("record at offset 1 of partition 0 has a malformed dimona.epoch header"), std::string::npos)
      << bad.to_string();
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].epoch, 0u);
  // The well-formed one names its own offset 0 as its epoch, no fence before it: the fold refuses it too.
  FenceFilter filter;
  EXPECT_EQ(filter.admit(read[0]).status().code(), Code::kCorruption);
  ProjectorOptions options;
  options.quota = std::make_shared<const QuotaSchedule>(testing::test_schedule());
  Result<std::unique_ptr<Projector>> projector = Projector::open(**log, options);
  ASSERT_TRUE(projector.is_ok());
  EXPECT_EQ((*projector)->catch_up().status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace dimona
