// The conformance suite of the log seam: the same tests, the same answers on
// every backend (memory; the embedded SQLite log, one temporary file per
// test; Kafka on librdkafka's mock cluster, started here on 127.0.0.1).
#include "engine/log/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/log/input_topic.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log_tools.h"
#include "tests/engine/log_test_support.h"

namespace dimona {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kPartitions = 4;
constexpr int64_t kStartMicros = 1'750'000'000 * kMicrosPerSecond;

// Drafts own their strings; drafts() views them.
struct Batch {
  std::vector<std::string> ids;
  std::vector<std::string> keys;
  std::vector<std::string> payloads;
  std::vector<Instant> recorded_at;
  std::vector<std::string> sources;  // every other record has one

  void add(std::string id, Instant at, size_t payload_bytes = 40) {
    std::string payload = "{\"eventId\":\"" + id + "\",\"pad\":\"";
    payload.append(payload_bytes > payload.size() ? payload_bytes - payload.size() : 0, 'x');
    payload += "\"}";
    ids.push_back(std::move(id));
    keys.push_back("05031412595");
    payloads.push_back(std::move(payload));
    recorded_at.push_back(at);
    sources.push_back(ids.size() % 2 == 0 ? "file:c0ffee:" + std::to_string(ids.size()) : "");
  }
  std::vector<LogRecordDraft> drafts() const {
    std::vector<LogRecordDraft> result;
    for (size_t i = 0; i < ids.size(); ++i) {
      result.push_back({ids[i], keys[i], "DimonaInDeclared", 3, recorded_at[i], payloads[i], sources[i]});
    }
    return result;
  }
};

// count events "<prefix>-<i>", recorded step_micros apart from start.
Batch make_batch(const std::string& prefix, size_t count, int64_t step_micros = 1000,
                 int64_t start = kStartMicros) {
  Batch batch;
  for (size_t i = 0; i < count; ++i) {
    batch.add(prefix + "-" + std::to_string(i), Instant{start + static_cast<int64_t>(i) * step_micros});
  }
  return batch;
}

class LogConformance : public testing::LogBackendTest {
 protected:
  LogConformance() : LogBackendTest("log", kPartitions) { options_.memory_fences_writers = true; }

  std::unique_ptr<LogProducer> producer(uint32_t partition, Log* log = nullptr) {
    Result<std::unique_ptr<LogProducer>> opened = (log ? log : log_.get())->open_producer(partition);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }

  std::unique_ptr<LogConsumer> consumer(std::vector<uint32_t> partitions, Log* log = nullptr) {
    Result<std::unique_ptr<LogConsumer>> opened = (log ? log : log_.get())->open_consumer();
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    if (!opened.is_ok()) return nullptr;
    EXPECT_TRUE((*opened)->assign(partitions).is_ok());
    return std::move(opened).value();
  }

  // Polls until count records came (or 20 s passed), then once more briefly
  // to catch a record too many.
  static std::vector<LogRecord> read(LogConsumer& consumer, size_t count) {
    std::vector<LogRecord> records;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (records.size() < count && std::chrono::steady_clock::now() < deadline) {
      Result<size_t> got = consumer.poll(records, 200ms, limits::log_poll_records_max);
      EXPECT_TRUE(got.is_ok()) << got.status().to_string();
      if (!got.is_ok()) break;
    }
    Result<size_t> extra = consumer.poll(records, 300ms, limits::log_poll_records_max);
    EXPECT_TRUE(extra.is_ok());
    return records;
  }

  static AppendOutcome append(LogProducer& producer, const Batch& batch) {
    std::vector<LogRecordDraft> drafts = batch.drafts();
    Result<AppendOutcome> outcome = producer.append(drafts);
    EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    return outcome.is_ok() ? std::move(outcome).value() : AppendOutcome{};
  }

  static std::vector<Offset> offsets(const std::vector<LogRecord>& records) {
    std::vector<Offset> result;
    for (const LogRecord& r : records) result.push_back(r.offset);
    return result;
  }

};

TEST_P(LogConformance, AppendedRecordsReadBackWithEveryField) {
  EXPECT_EQ(log_->partitions(), kPartitions);
  auto writer = producer(1);
  Batch batch = make_batch("dcl-1", 5);
  AppendOutcome outcome = append(*writer, batch);
  EXPECT_EQ(outcome.offsets, (std::vector<Offset>{0, 1, 2, 3, 4}));
  EXPECT_EQ(outcome.duplicates, 0u);

  auto reader = consumer({1});
  std::vector<LogRecord> records = read(*reader, 5);
  ASSERT_EQ(records.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(records[i].partition, 1u);
    EXPECT_EQ(records[i].offset, i);
    EXPECT_EQ(records[i].event_id, batch.ids[i]);
    EXPECT_EQ(records[i].key, "05031412595");
    EXPECT_EQ(records[i].type, "DimonaInDeclared");
    EXPECT_EQ(records[i].schema_version, 3u);
    EXPECT_EQ(records[i].recorded_at, batch.recorded_at[i]);
    EXPECT_EQ(records[i].payload, batch.payloads[i]);
    EXPECT_EQ(records[i].source, batch.sources[i]);
  }
}

TEST_P(LogConformance, OffsetsAreDenseAndGrowAcrossAppends) {
  auto writer = producer(0);
  std::vector<Offset> all;
  for (int round = 0; round < 3; ++round) {
    AppendOutcome outcome =
        append(*writer, make_batch("r" + std::to_string(round), 3, 1000, kStartMicros + round * 10'000));
    all.insert(all.end(), outcome.offsets.begin(), outcome.offsets.end());
  }
  EXPECT_EQ(all, (std::vector<Offset>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  auto reader = consumer({0});
  EXPECT_EQ(offsets(read(*reader, 9)), all);
  Result<Offset> end = reader->end_offset(0);
  ASSERT_TRUE(end.is_ok()) << end.status().to_string();
  EXPECT_EQ(*end, 9u);
}

TEST_P(LogConformance, AnEventIdAppendedTwiceInOneSessionIsStoredOnce) {
  auto writer = producer(2);
  Batch first;
  first.add("a", Instant{kStartMicros});
  first.add("b", Instant{kStartMicros + 1});
  EXPECT_EQ(append(*writer, first).offsets, (std::vector<Offset>{0, 1}));
  Batch second;  // b again (a retried append), then c twice inside the batch
  second.add("b", Instant{kStartMicros + 1});
  second.add("c", Instant{kStartMicros + 2});
  second.add("c", Instant{kStartMicros + 2});
  AppendOutcome outcome = append(*writer, second);
  EXPECT_EQ(outcome.offsets, (std::vector<Offset>{1, 2, 2}));
  EXPECT_EQ(outcome.duplicates, 2u);

  auto reader = consumer({2});
  std::vector<LogRecord> records = read(*reader, 3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].event_id, "a");
  EXPECT_EQ(records[1].event_id, "b");
  EXPECT_EQ(records[2].event_id, "c");
}

TEST_P(LogConformance, SeekToAnOffset) {
  auto writer = producer(3);
  append(*writer, make_batch("s", 10));
  auto reader = consumer({3});
  ASSERT_TRUE(reader->seek(3, 7).is_ok());
  EXPECT_EQ(offsets(read(*reader, 3)), (std::vector<Offset>{7, 8, 9}));
  ASSERT_TRUE(reader->seek(3, 2).is_ok());  // back
  EXPECT_EQ(offsets(read(*reader, 8)), (std::vector<Offset>{2, 3, 4, 5, 6, 7, 8, 9}));
  ASSERT_TRUE(reader->seek(3, 10).is_ok());  // the end: nothing until something is appended
  EXPECT_TRUE(read(*reader, 0).empty());
  append(*writer, make_batch("t", 1, 1000, kStartMicros + 100'000));
  EXPECT_EQ(offsets(read(*reader, 1)), (std::vector<Offset>{10}));
  ASSERT_TRUE(reader->seek(3, 1000).is_ok());  // past the end: the end, never back to the start
  EXPECT_TRUE(read(*reader, 0).empty());
  append(*writer, make_batch("u", 1, 1000, kStartMicros + 200'000));
  EXPECT_EQ(offsets(read(*reader, 1)), (std::vector<Offset>{11}));
  EXPECT_EQ(reader->seek(1, 0).code(), Code::kInvalidArgument);  // not assigned
}

// Log::open_reader(): the consumer's contract (only its waiting differs, on
// Kafka); read the way a citizen's past is read: seek, a short read, seek again.
TEST_P(LogConformance, AReaderReadsAtChosenOffsetsAsAConsumerDoes) {
  auto writer = producer(3);
  append(*writer, make_batch("r", 10));
  auto whole = consumer({3});
  const std::vector<LogRecord> all = read(*whole, 10);
  ASSERT_EQ(all.size(), 10u);
  Result<std::unique_ptr<LogConsumer>> opened = log_->open_reader();
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  LogConsumer& reader = **opened;
  const uint32_t three[] = {3};
  ASSERT_TRUE(reader.assign(three).is_ok());
  Result<Offset> end = reader.end_offset(3);
  ASSERT_TRUE(end.is_ok()) << end.status().to_string();
  EXPECT_EQ(*end, 10u);
  for (const Offset at : {Offset{7}, Offset{2}, Offset{9}, Offset{0}, Offset{5}}) {
    ASSERT_TRUE(reader.seek(3, at).is_ok());
    std::vector<LogRecord> got;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got.empty() && std::chrono::steady_clock::now() < deadline) ASSERT_TRUE(reader.poll(got, 200ms, 1).is_ok());
    ASSERT_EQ(got.size(), 1u) << "at " << at;
    const LogRecord& want = all[at];
    EXPECT_EQ(got[0].offset, at);
    EXPECT_EQ(got[0].event_id, want.event_id);
    EXPECT_EQ(got[0].key, want.key);
    EXPECT_EQ(got[0].payload, want.payload);
    EXPECT_EQ(got[0].type, want.type);
    EXPECT_EQ(got[0].recorded_at, want.recorded_at);
  }
  ASSERT_TRUE(reader.seek(3, 10).is_ok());  // the end: nothing until something is appended
  EXPECT_TRUE(read(reader, 0).empty());
  append(*writer, make_batch("s", 1, 1000, kStartMicros + 100'000));
  EXPECT_EQ(offsets(read(reader, 1)), (std::vector<Offset>{10}));
}

// read_at(): the records at chosen offsets, in order, as a whole read gives them: offsets in one
// stored batch and in several (the embedded log splits 600 records of ~1 KiB into ~10 batches),
// near each other and further apart than a read through (citizen_history_gap_records); an error
// of f stops the read and is returned; an offset past the end is refused and the reader reads on.
TEST_P(LogConformance, ReadAtHandsTheRecordsAtChosenOffsets) {
  auto writer = producer(2);
  Batch big;
  for (int i = 0; i < 600; ++i) big.add("b-" + std::to_string(i), Instant{kStartMicros + i * 1000}, 1000);
  append(*writer, big);
  auto whole = consumer({2});
  const std::vector<LogRecord> all = read(*whole, 600);
  ASSERT_EQ(all.size(), 600u);
  Result<std::unique_ptr<LogConsumer>> opened = log_->open_reader();
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  LogConsumer& reader = **opened;
  const std::vector<std::vector<Offset>> reads = {
      {0}, {599}, {0, 1, 2, 3}, {5, 70, 71, 130, 131, 132, 400, 599}, {10, 11 + limits::citizen_history_gap_records}};
  for (const std::vector<Offset>& wanted : reads) {
    std::vector<LogRecord> got;
    Status status = reader.read_at(2, wanted, [&](LogRecord& r) {
      got.push_back(r);
      return Status::ok();
    });
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    ASSERT_EQ(offsets(got), wanted);
    for (const LogRecord& r : got) {
      const LogRecord& want = all[r.offset];
      EXPECT_EQ(r.partition, 2u);
      EXPECT_EQ(r.event_id, want.event_id);
      EXPECT_EQ(r.key, want.key);
      EXPECT_EQ(r.type, want.type);
      EXPECT_EQ(r.payload, want.payload);
      EXPECT_EQ(r.source, want.source);
      EXPECT_EQ(r.recorded_at, want.recorded_at);
      EXPECT_EQ(r.schema_version, want.schema_version);
    }
  }
  int calls = 0;
  const std::vector<Offset> some = {1, 2, 300, 301};
  Status stopped = reader.read_at(
      2, some, [&](LogRecord&) { return ++calls == 3 ? io_error("the caller's own error") : Status::ok(); });
  EXPECT_EQ(stopped.code(), Code::kIoError);
  EXPECT_EQ(calls, 3);
  const std::vector<Offset> past = {4, 600};
  int before_refusal = 0;
  Status beyond = reader.read_at(2, past, [&](LogRecord&) {
    ++before_refusal;
    return Status::ok();
  });
  EXPECT_EQ(beyond.code(), Code::kFailedPrecondition) << beyond.to_string();
  EXPECT_EQ(before_refusal, 0);  // refused before any record is handed over
  EXPECT_NE(beyond.message().find("has no offset 600"), std::string::npos) << beyond.to_string();
  const std::vector<Offset> after = {598};
  std::vector<Offset> read_after;
  ASSERT_TRUE(reader
                  .read_at(2, after,
                           [&](LogRecord& r) {
                             read_after.push_back(r.offset);
                             return Status::ok();
                           })
                  .is_ok());
  EXPECT_EQ(read_after, after);
  EXPECT_EQ(reader.read_at(kPartitions, after, [](LogRecord&) { return Status::ok(); }).code(), Code::kInvalidArgument);
}

TEST_P(LogConformance, SeekToAnInstantFindsTheFirstRecordAtOrAfterIt) {
  auto writer = producer(1);
  // 400 µs apart: several records share a millisecond (Kafka's timestamp unit).
  append(*writer, make_batch("i", 20, 400));
  auto reader = consumer({1});
  ASSERT_TRUE(reader->seek_to_instant(1, Instant{kStartMicros + 1000}).is_ok());
  std::vector<LogRecord> records = read(*reader, 17);
  ASSERT_EQ(records.size(), 17u);
  EXPECT_EQ(records.front().offset, 3u);  // recorded at +1200 µs, the first >= +1000
  EXPECT_EQ(records.back().offset, 19u);

  ASSERT_TRUE(reader->seek_to_instant(1, Instant{kStartMicros + 1200}).is_ok());  // exactly one's instant
  EXPECT_EQ(read(*reader, 17).front().offset, 3u);
  ASSERT_TRUE(reader->seek_to_instant(1, Instant{kStartMicros - 1}).is_ok());  // before all
  EXPECT_EQ(read(*reader, 20).size(), 20u);
  ASSERT_TRUE(reader->seek_to_instant(1, Instant{kStartMicros + 20 * 400}).is_ok());  // after all
  EXPECT_TRUE(read(*reader, 0).empty());
}

TEST_P(LogConformance, SeekToAnInstantOnAnEmptyPartitionWaitsAtItsStart) {
  auto reader = consumer({0});
  ASSERT_TRUE(reader->seek_to_instant(0, Instant{kStartMicros}).is_ok());
  auto writer = producer(0);
  append(*writer, make_batch("late", 2, 1000, kStartMicros + 5000));
  EXPECT_EQ(offsets(read(*reader, 2)), (std::vector<Offset>{0, 1}));
}

TEST_P(LogConformance, PollOnAnEmptyPartitionWaitsItsTimeoutAndReturnsNothing) {
  auto reader = consumer({2});
  std::vector<LogRecord> records;
  auto start = std::chrono::steady_clock::now();
  Result<size_t> got = reader->poll(records, 300ms, 100);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(*got, 0u);
  EXPECT_TRUE(records.empty());
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);
}

TEST_P(LogConformance, PartitionsHaveTheirOwnOffsets) {
  auto first = producer(0);
  auto second = producer(3);
  EXPECT_EQ(append(*first, make_batch("p0", 3)).offsets, (std::vector<Offset>{0, 1, 2}));
  EXPECT_EQ(append(*second, make_batch("p3", 2)).offsets, (std::vector<Offset>{0, 1}));

  auto both = consumer({0, 3});
  std::vector<LogRecord> records = read(*both, 5);
  ASSERT_EQ(records.size(), 5u);
  std::vector<Offset> of0;
  std::vector<Offset> of3;
  for (const LogRecord& r : records) (r.partition == 0 ? of0 : of3).push_back(r.offset);
  EXPECT_EQ(of0, (std::vector<Offset>{0, 1, 2}));
  EXPECT_EQ(of3, (std::vector<Offset>{0, 1}));

  auto only3 = consumer({3});
  std::vector<LogRecord> three = read(*only3, 2);
  ASSERT_EQ(three.size(), 2u);
  EXPECT_EQ(three[0].event_id, "p3-0");
}

TEST_P(LogConformance, OneProducerPerPartitionTheSecondIsFenced) {
  auto holder = producer(1);
  Result<std::unique_ptr<LogProducer>> second = log_->open_producer(1);
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().to_string();
  std::unique_ptr<Log> other = reopen();  // another Log on the same topic is fenced too
  Result<std::unique_ptr<LogProducer>> third = other->open_producer(1);
  EXPECT_EQ(third.status().code(), Code::kBusy);
  EXPECT_NE(producer(2), nullptr);  // other partitions are free
  holder.reset();
  EXPECT_NE(producer(1, other.get()), nullptr);  // released with its producer
}

TEST_P(LogConformance, ANewConsumerReadsWhatAnEarlierProducerWrote) {
  Batch batch = make_batch("restart", 4);
  {
    auto writer = producer(2);
    append(*writer, batch);
  }
  log_.reset();
  std::unique_ptr<Log> reopened = reopen();
  ASSERT_NE(reopened, nullptr);
  auto reader = consumer({2}, reopened.get());
  std::vector<LogRecord> records = read(*reader, 4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].event_id, "restart-3");
  auto writer = producer(2, reopened.get());  // a new session continues the offsets
  EXPECT_EQ(append(*writer, make_batch("after", 1, 1000, kStartMicros + 10'000)).offsets,
            (std::vector<Offset>{4}));
  // A new session does not remember the last one's ids: the log does not deduplicate
  // across sessions (the writer resumes from its source position instead).
  EXPECT_EQ(append(*writer, make_batch("restart", 1, 1000, kStartMicros + 20'000)).duplicates, 0u);
}

TEST_P(LogConformance, ALargeBatchKeepsItsOrder) {
  auto writer = producer(0);
  constexpr size_t kCount = 5000;  // about 1.2 MB: several Kafka batches, under the mock's 5 MiB
  Batch batch;
  for (size_t i = 0; i < kCount; ++i) batch.add("big-" + std::to_string(i), Instant{kStartMicros + static_cast<int64_t>(i)}, 240);
  AppendOutcome outcome = append(*writer, batch);
  ASSERT_EQ(outcome.offsets.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(outcome.offsets[i], i);
  auto reader = consumer({0});
  std::vector<LogRecord> records = read(*reader, kCount);
  ASSERT_EQ(records.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(records[i].offset, i);
    ASSERT_EQ(records[i].payload, batch.payloads[i]);
  }
}

TEST_P(LogConformance, RecordedAtNeverGoesBackInAPartition) {
  {
    auto writer = producer(3);
    append(*writer, make_batch("late", 1, 1000, kStartMicros + 50'000));
    Batch early = make_batch("early", 1);
    std::vector<LogRecordDraft> earlier = early.drafts();
    EXPECT_EQ(writer->append(earlier).status().code(), Code::kInvalidArgument);
    Batch backwards;
    backwards.add("x", Instant{kStartMicros + 60'000});
    backwards.add("y", Instant{kStartMicros + 55'000});
    std::vector<LogRecordDraft> drafts = backwards.drafts();
    EXPECT_EQ(writer->append(drafts).status().code(), Code::kInvalidArgument);
  }
  auto next_session = producer(3);  // the partition's tail bounds a new session too
  Batch early = make_batch("early", 1);
  std::vector<LogRecordDraft> earlier = early.drafts();
  EXPECT_EQ(next_session->append(earlier).status().code(), Code::kInvalidArgument);
  Result<Offset> end = consumer({3})->end_offset(3);
  ASSERT_TRUE(end.is_ok());
  EXPECT_EQ(*end, 1u);  // nothing of the refused appends was written
}

TEST_P(LogConformance, RefusesWhatBreaksALimit) {
  EXPECT_EQ(log_->open_producer(kPartitions).status().code(), Code::kInvalidArgument);
  auto writer = producer(0);
  Batch huge;
  huge.add("huge", Instant{kStartMicros}, limits::event_bytes_max + 1);
  std::vector<LogRecordDraft> drafts = huge.drafts();
  EXPECT_EQ(writer->append(drafts).status().code(), Code::kInvalidArgument);
  Batch no_id;
  no_id.add("", Instant{kStartMicros});
  drafts = no_id.drafts();
  EXPECT_EQ(writer->append(drafts).status().code(), Code::kInvalidArgument);
  Batch long_source = make_batch("src", 1);
  long_source.sources[0].assign(limits::log_source_bytes_max + 1, 's');
  drafts = long_source.drafts();
  EXPECT_EQ(writer->append(drafts).status().code(), Code::kInvalidArgument);
  auto reader = consumer({});
  std::vector<uint32_t> missing{kPartitions};
  EXPECT_EQ(reader->assign(missing).code(), Code::kInvalidArgument);
  std::vector<LogRecord> records;
  EXPECT_EQ(reader->poll(records, 10ms, 0).status().code(), Code::kInvalidArgument);
}

// log.h "Fence": a fence record's offset is the epoch every later record of
// its producer carries; a second claimant's fence comes later and wins. The
// embedded log fences by its conditional append and refuses fence().
TEST_P(LogConformance, AFencesOffsetIsTheEpochOfTheRecordsAfterIt) {
  auto first = producer(1);
  if (!log_->fences_writers()) {
    EXPECT_EQ(GetParam(), "sqlite");
    EXPECT_EQ(first->fence().status().code(), Code::kFailedPrecondition);
    append(*first, make_batch("dcl-1", 2));
    for (const LogRecord& r : read(*consumer({1}), 2)) EXPECT_EQ(r.epoch, kNoEpoch);
    return;
  }
  append(*first, make_batch("dcl-0", 1));  // before fencing: no epoch
  first.reset();
  first = producer(1);
  Result<Offset> fence = first->fence();
  ASSERT_TRUE(fence.is_ok()) << fence.status().to_string();
  EXPECT_EQ(*fence, 1u);
  EXPECT_EQ(append(*first, make_batch("dcl-1", 2, 1000, kStartMicros + 1000)).offsets, (std::vector<Offset>{2, 3}));
  // Another process claims the partition (the in-process fence skipped by the test seam).
  LogOptions other_options = options_;
  other_options.test_only_skip_in_process_fence = true;
  Result<std::unique_ptr<Log>> other = open_log(uri_, other_options);
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  auto second = producer(1, other->get());
  Result<Offset> later = second->fence();
  ASSERT_TRUE(later.is_ok()) << later.status().to_string();
  EXPECT_EQ(*later, 4u);
  append(*first, make_batch("dcl-2", 1, 1000, kStartMicros + 9000));  // the zombie, after it
  append(*second, make_batch("dcl-3", 1, 1000, kStartMicros + 9000));
  std::vector<LogRecord> records = read(*consumer({1}), 7);
  ASSERT_EQ(records.size(), 7u);
  const std::vector<Offset> epochs{kNoEpoch, kFenceEpoch, 1, 1, kFenceEpoch, 1, 4};
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].epoch, epochs[i]) << "offset " << i;
  EXPECT_EQ(records[1].type, kFenceRecordType);
  EXPECT_TRUE(records[1].payload.empty());
  EXPECT_EQ(records[1].recorded_at, Instant{kStartMicros});  // the partition's last recordedAt: never back
  EXPECT_NE(records[1].event_id, records[4].event_id);
}

// LogConsumer::recycle: records given back lend their buffers to the next polls, and every field
// of every record is still what a fresh consumer reads: long records then short ones (no stale
// bytes), a source on every other record (an empty one after a set one), a fence record's epoch
// then the records after it, and a read through read_partition as the Projector's.
TEST_P(LogConformance, RecycledRecordsReadExactlyAsFreshOnes) {
  auto first = producer(2);
  Batch long_ones = make_batch("a-long-event-id-prefix-beyond-the-small-string-buffer", 20, 1000);
  for (std::string& payload : long_ones.payloads) payload.insert(payload.size() - 2, std::string(900, 'y'));
  for (std::string& key : long_ones.keys) key += "-and-more-than-a-small-string";
  append(*first, long_ones);
  size_t count = 20;
  if (log_->fences_writers()) {
    first.reset();
    first = producer(2);
    ASSERT_TRUE(first->fence().is_ok());
    ++count;
  }
  append(*first, make_batch("b", 20, 1000, kStartMicros + 100'000));
  count += 20;
  const std::vector<LogRecord> expected = read(*consumer({2}), count);
  ASSERT_EQ(expected.size(), count);
  const auto same = [](const LogRecord& a, const LogRecord& b) {
    return a.partition == b.partition && a.offset == b.offset && a.recorded_at == b.recorded_at &&
           a.schema_version == b.schema_version && a.event_id == b.event_id && a.key == b.key && a.type == b.type &&
           a.payload == b.payload && a.source == b.source && a.epoch == b.epoch;
  };
  auto reused = consumer({2});
  std::vector<LogRecord> records;
  size_t at = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (at < count && std::chrono::steady_clock::now() < deadline) {
    reused->recycle(records);
    EXPECT_TRUE(records.empty());
    Result<size_t> got = reused->poll(records, 200ms, 7);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    for (const LogRecord& r : records) {
      ASSERT_LT(at, count);
      EXPECT_TRUE(same(r, expected[at++])) << "offset " << r.offset;
    }
  }
  EXPECT_EQ(at, count);
  size_t read = 0;
  ASSERT_TRUE(read_partition(*reused, 2, 0, count, [&](LogRecord& r) {
                EXPECT_TRUE(read < count && same(r, expected[read])) << "offset " << r.offset;
                ++read;
                return Status::ok();
              }).is_ok());
  EXPECT_EQ(read, count);
}

// poll_views and read_partition_views, every backend: the records poll() gives, field for
// field, from the start, from an offset inside a stored batch, and over a fence on Kafka.
TEST_P(LogConformance, ViewsReadExactlyAsRecords) {
  auto writer = producer(1);
  size_t count = 0;
  for (int round = 0; round < 4; ++round) {
    append(*writer, make_batch("v" + std::to_string(round), 9 + round, 1000, kStartMicros + round * 100'000));
    count += 9 + static_cast<size_t>(round);
  }
  if (log_->fences_writers()) {
    writer.reset();
    writer = producer(1);
    ASSERT_TRUE(writer->fence().is_ok());
    ++count;
    append(*writer, make_batch("after-fence", 5, 1000, kStartMicros + 900'000));
    count += 5;
  }
  const std::vector<LogRecord> expected = read(*consumer({1}), count);
  ASSERT_EQ(expected.size(), count);
  const auto same = [](const LogRecordView& a, const LogRecord& b) {
    return a.partition == b.partition && a.offset == b.offset && a.recorded_at == b.recorded_at &&
           a.schema_version == b.schema_version && a.event_id == b.event_id && a.key == b.key && a.type == b.type &&
           a.payload == b.payload && a.source == b.source && a.epoch == b.epoch;
  };
  for (const Offset from : {Offset{0}, Offset{4}, Offset{count - 1}}) {
    auto reader = consumer({1});
    ASSERT_TRUE(reader->seek(1, from).is_ok());
    std::vector<LogRecordView> views;
    size_t at = static_cast<size_t>(from);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (at < count && std::chrono::steady_clock::now() < deadline) {
      views.clear();
      Result<size_t> got = reader->poll_views(views, 200ms, 5);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_EQ(*got, views.size());
      EXPECT_LT(views.size(), 5 + limits::batch_events_max);
      for (const LogRecordView& v : views) {
        ASSERT_LT(at, count);
        EXPECT_TRUE(same(v, expected[at++])) << "from " << from << ", offset " << v.offset;
      }
    }
    EXPECT_EQ(at, count) << "from " << from;
  }
  auto reader = consumer({1});
  size_t read_views = 3;
  ASSERT_TRUE(read_partition_views(*reader, 1, 3, count - 2, [&](const LogRecordView& v) {
                EXPECT_TRUE(read_views < count - 2 && same(v, expected[read_views])) << "offset " << v.offset;
                ++read_views;
                return Status::ok();
              }).is_ok());
  EXPECT_EQ(read_views, count - 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogConformance, ::testing::Values("memory", "sqlite", "kafka"), testing::backend_name);

// --- Beside the suite: the partitioner and the URIs ---------------------------------

TEST(KafkaPartitioner, Murmur2GivesTheJavaClientsHashes) {
  // Kafka's Java Utils.murmur2 values (also librdkafka's unittest_murmur2).
  EXPECT_EQ(kafka_murmur2("kafka"), 0xd067cf64u);
  EXPECT_EQ(kafka_murmur2("giberish123456789"), 0x8f552b0cu);
  EXPECT_EQ(kafka_murmur2("1234"), 0x9fc97b14u);
  EXPECT_EQ(kafka_murmur2("234"), 0xe7c009cau);
  EXPECT_EQ(kafka_murmur2("34"), 0x873930dau);
  EXPECT_EQ(kafka_murmur2("4"), 0x5a4b5ca1u);
  EXPECT_EQ(kafka_murmur2("PreAmbleWillBeRemoved,ThePrePartThatIs"), 0x78424f1cu);
  EXPECT_EQ(kafka_murmur2("reAmbleWillBeRemoved,ThePrePartThatIs"), 0x4a62b377u);
  EXPECT_EQ(kafka_murmur2(""), 0x106e08d9u);
}

TEST(KafkaPartitioner, PartitionForKeyAgreesWithLibrdkafkasMurmur2Random) {
  for (uint32_t partitions : {1u, 3u, 16u, 100u, 1024u}) {
    for (uint64_t ssin = 1'000'000'00; ssin < 1'000'000'00 + 2000; ++ssin) {
      std::string key = std::to_string(ssin * 7919 % 99'999'999'999ULL);
      key.insert(0, 11 - key.size(), '0');
      ASSERT_EQ(partition_for_key(key, partitions), librdkafka_partition_for_key(key, partitions)) << key;
    }
  }
  EXPECT_EQ(partition_for_key("", 16), 0u);
}

TEST(LogUri, EachSchemeAndEachMistake) {
  LogOptions options;
  EXPECT_TRUE(open_log("memory:", options).is_ok());
  EXPECT_EQ(open_log("sqlite:", options).status().code(), Code::kInvalidArgument);
  LogOptions existing_only;
  existing_only.create_if_missing = false;
  EXPECT_EQ(open_log("sqlite:" + ::testing::TempDir() + "no-such-dir/events.db", existing_only).status().code(),
            Code::kNotFound);
  EXPECT_EQ(open_log("postgres://x", options).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(open_log("kafka://127.0.0.1:9092", options).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(open_log("kafka://127.0.0.1:9092/", options).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(open_log("kafka:///topic", options).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(open_log("kafka://user:pw@host:9092/t", options).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(open_log("kafka://127.0.0.1:9092/bad topic", options).status().code(), Code::kInvalidArgument);
  // Refused before any connection: a port outside 1..65535, no host, no port, a topic . or ..
  for (const char* uri :
       {"kafka://127.0.0.1:0/t", "kafka://127.0.0.1:99999/t", "kafka://127.0.0.1:-1/t", "kafka://:9092/t",
        "kafka://127.0.0.1/t", "kafka://127.0.0.1:/t", "kafka://127.0.0.1:9092,/t", "kafka://127.0.0.1:9092,:9093/t",
        "kafka://127.0.0.1:90x2/t", "kafka://127.0.0.1:9092/.", "kafka://127.0.0.1:9092/.."}) {
    const Result<KafkaAddress> parsed = parse_kafka_uri(uri);
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << uri;
  }
  for (const char* uri :
       {"kafka://127.0.0.1:9092/t", "kafka://localhost:1/t", "kafka://[::1]:65535/t", "kafka://a:1,b:2/t.x_y-z"})
    EXPECT_TRUE(parse_kafka_uri(uri).is_ok()) << uri;
  options.partitions = 0;
  EXPECT_EQ(open_log("memory:", options).status().code(), Code::kInvalidArgument);
  options.partitions = limits::partitions_max + 1;
  EXPECT_EQ(open_log("memory:", options).status().code(), Code::kInvalidArgument);
}

TEST(LogUri, AnExistingKafkaTopicKeepsItsPartitionCount) {
  ASSERT_TRUE(testing::mock_cluster().create_topic("existing.topic", 6, 1).is_ok());
  LogOptions options;
  options.partitions = 16;
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + testing::mock_cluster().bootstrap() + "/existing.topic", options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_EQ((*log)->partitions(), 6u);
}

// Produce requests refused for a moment (an in-sync replica lost): the
// idempotent producer retries, and every record is there exactly once.
TEST(KafkaLog, ProduceErrorsAreRetriedWithNothingLostOrDoubled) {
  ASSERT_TRUE(testing::mock_cluster().create_topic("faults.produce", 2, 1).is_ok());
  LogOptions options;
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + testing::mock_cluster().bootstrap() + "/faults.produce", options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(1);
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  Batch batch = make_batch("fault", 200, 10);
  std::vector<LogRecordDraft> drafts = batch.drafts();
  testing::mock_cluster().fail_next_produce_requests(4);
  Result<AppendOutcome> outcome = (*producer)->append(drafts);
  ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
  for (size_t i = 0; i < batch.ids.size(); ++i) ASSERT_EQ(outcome->offsets[i], i);

  Result<std::unique_ptr<LogConsumer>> consumer = (*log)->open_consumer();
  ASSERT_TRUE(consumer.is_ok());
  std::vector<uint32_t> one{1};
  ASSERT_TRUE((*consumer)->assign(one).is_ok());
  std::vector<LogRecord> records;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (records.size() < batch.ids.size() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE((*consumer)->poll(records, 200ms, 1000).is_ok());
  }
  ASSERT_TRUE((*consumer)->poll(records, 300ms, 1000).is_ok());
  ASSERT_EQ(records.size(), batch.ids.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].event_id, batch.ids[i]);
  Result<Offset> end = (*consumer)->end_offset(1);
  ASSERT_TRUE(end.is_ok());
  EXPECT_EQ(*end, batch.ids.size());
}

// Every broker down during an append: after the delivery timeout the append
// reports kUnavailable (the records purged, their late reports dropped); once
// the brokers are back, the same batch in the same session is appended, and
// is there once (nothing had reached a broker).
TEST(KafkaLog, AnAppendWhileTheBrokersAreDownFailsThenARetrySucceeds) {
  ASSERT_TRUE(testing::mock_cluster().create_topic("faults.down", 1, 1).is_ok());
  LogOptions options;
  options.delivery_timeout_ms = 1500;
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + testing::mock_cluster().bootstrap() + "/faults.down", options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(0);
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  Batch batch = make_batch("down", 50);
  std::vector<LogRecordDraft> drafts = batch.drafts();

  testing::mock_cluster().set_all_brokers_down(true);
  auto start = std::chrono::steady_clock::now();
  Result<AppendOutcome> failed = (*producer)->append(drafts);
  auto waited = std::chrono::steady_clock::now() - start;
  testing::mock_cluster().set_all_brokers_down(false);
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(failed.status().code(), Code::kUnavailable) << failed.status().to_string();
  EXPECT_LT(waited, 15s);

  // The client reconnects with a backoff (reconnect.backoff.max.ms): a writer retries until
  // its append is acknowledged; each failed try is kUnavailable, never a partial success.
  Result<AppendOutcome> retried = (*producer)->append(drafts);
  for (int attempt = 1; !retried.is_ok() && attempt < 10; ++attempt) {
    EXPECT_EQ(retried.status().code(), Code::kUnavailable) << retried.status().to_string();
    retried = (*producer)->append(drafts);
  }
  ASSERT_TRUE(retried.is_ok()) << retried.status().to_string();
  EXPECT_EQ(retried->duplicates, 0u);
  Result<std::unique_ptr<LogConsumer>> consumer = (*log)->open_consumer();
  ASSERT_TRUE(consumer.is_ok());
  std::vector<uint32_t> one{0};
  ASSERT_TRUE((*consumer)->assign(one).is_ok());
  std::vector<LogRecord> records;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (records.size() < batch.ids.size() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE((*consumer)->poll(records, 200ms, 1000).is_ok());
  }
  ASSERT_TRUE((*consumer)->poll(records, 300ms, 1000).is_ok());
  ASSERT_EQ(records.size(), batch.ids.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].event_id, batch.ids[i]);
  EXPECT_EQ(records.front().offset, retried->offsets.front());
}

// A missing topic is created with the configured partition count, or refused
// plainly when the broker cannot create topics (the mock of librdkafka 2.0.2
// has no CreateTopics); never auto-created with the broker's default count.
TEST(LogUri, AMissingKafkaTopicIsCreatedWithItsPartitionsOrRefused) {
  LogOptions options;
  options.partitions = 7;
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + testing::mock_cluster().bootstrap() + "/missing.topic", options);
  if (log.is_ok()) {
    EXPECT_EQ((*log)->partitions(), 7u);
  } else {
    EXPECT_EQ(log.status().code(), Code::kFailedPrecondition) << log.status().to_string();
    EXPECT_NE(log.status().message().find("CreateTopics"), std::string::npos) << log.status().to_string();
  }
}

}  // namespace
}  // namespace dimona
