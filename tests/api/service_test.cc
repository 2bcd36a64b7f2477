// LedgerService on a full disk (issue 9, item 3): a write the log did not store
// is answered "not stored", one it stored is never answered as failed, and the
// writer recovers when the disk does, without a restart. The full disk is real
// to SQLite: RLIMIT_FSIZE makes the kernel refuse to grow the log's -wal file
// (EFBIG), as ENOSPC would, without root or a loop mount.
#include "api/service.h"
#include "api/embedded_service.h"
#include "api/ledger_root.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include "engine/ledger.h"
#include "engine/log/kafka_mock.h"
#include "engine/quota_schedule.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "tests/engine/log_test_support.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

std::string student_in(const std::string& ssin, const std::string& start, const std::string& end, int hours) {
  return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + ssin +
         R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" + start +
         R"(","endDate":")" + end + R"(","plannedHoursNumber":)" + std::to_string(hours) + "}}";
}

Result<api::WriteOutcome> write(api::LedgerService& service, const std::string& body) {
  std::promise<Result<api::WriteOutcome>> answer;
  service.submit(body, nullptr, [&answer](Result<api::WriteOutcome> r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

// A service over a fresh data folder, its clock at 2025-06-01 08:00 (null when it did not open).
struct FreshService {
  testing::TempDir dir;
  api::LedgerConfig common;
  ManualClock clock{*parse_instant("2025-06-01T08:00:00Z")};
  std::unique_ptr<api::LedgerService> service;
  FreshService() {
    common.data_dir = dir.file("data");
    Result<std::unique_ptr<api::LedgerService>> opened = api::open_ledger_service(common, clock, 1);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    if (opened.is_ok()) service = std::move(*opened);
  }
};

// While it lives, no file of this process may grow past `bytes`.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
    EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &before_), 0);
    rlimit limit = before_;
    limit.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  ~FileSizeLimit() { EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &before_), 0); }

 private:
  rlimit before_{};
};

TEST(LedgerServiceOnAFullDisk, AnswersWhatWasStoredAndWritesAgainOnceThereIsRoom) {
  FreshService fresh;
  ASSERT_NE(fresh.service, nullptr);
  api::LedgerService& s = *fresh.service;

  Result<api::WriteOutcome> first = write(s, student_in("05031412595", "2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  const std::string wal = fresh.common.data_dir + "/ledger.db-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));

  const std::string second = student_in("04070101124", "2025-08-01", "2025-08-31", 40);
  {
    FileSizeLimit full(static_cast<rlim_t>(std::filesystem::file_size(wal)));
    for (int attempt = 0; attempt < 2; ++attempt) {
      Result<api::WriteOutcome> refused = write(s, second);
      ASSERT_FALSE(refused.is_ok()) << "answered as stored, attempt " << attempt;
      EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().to_string();
      EXPECT_NE(refused.status().message().find("not stored"), std::string::npos) << refused.status().to_string();
    }
  }
  EXPECT_EQ(s.commit_failures(), 2u);
  EXPECT_TRUE(s.ready());

  // Room again: the same declaration is accepted, not refused as overlapping a
  // period the writer had taken in but the log never stored.
  Result<api::WriteOutcome> stored = write(s, second);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(stored->declaration.decision.result, ResultCode::kAccepted);
  EXPECT_EQ(s.commit_failures(), 2u);
  ASSERT_TRUE(s.wait_for(stored->partition, stored->offset, 5000));
  const uint32_t hours = s.read([&](const Projector& p) { return p.state_of(Ssin{4070101124}).student_hours(Ssin{4070101124}, 2025); });
  EXPECT_EQ(hours, 40u);
  s.stop();

  // The live state was the log's: a ledger folded from the log alone decides the same.
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + fresh.common.data_dir + "/ledger.db", LogOptions{});
  ASSERT_TRUE(log.is_ok());
  LedgerState folded;
  ASSERT_TRUE(fold_log(**log, &folded).is_ok());
  EXPECT_EQ(folded.student_hours(Ssin{4070101124}, 2025), 40u);
  EXPECT_EQ(folded.student_hours(Ssin{5031412595}, 2025), 30u);
}

uint32_t hours_of(const api::LedgerService& s, uint64_t ssin) {
  return s.read([&](const Projector& p) { return p.state_of(Ssin{ssin}).student_hours(Ssin{ssin}, 2025); });
}

// The events of a citizen the read side's CitizenIndex lists.
size_t events_listed(const api::LedgerService& s, uint64_t ssin) {
  return s.read([&](const Projector& p) { return p.model_of<CitizenIndex>(Ssin{ssin}).offsets(Ssin{ssin}).size(); });
}

// The states the writer decides against and folds into (the Ledger's), read on its thread.
std::vector<const LedgerState*> writer_states(api::LedgerService& s, bool* shares) {
  std::promise<std::vector<const LedgerState*>> answer;
  EXPECT_TRUE(s.with_writer([&](const Ledger* ledger) {
    std::vector<const LedgerState*> states;
    *shares = ledger != nullptr && ledger->shares_states();
    if (ledger != nullptr)
      for (uint32_t p = 0; p < ledger->partitions(); ++p) states.push_back(ledger->partition_state(p));
    answer.set_value(std::move(states));
  }));
  return answer.get_future().get();
}

std::vector<const LedgerState*> read_states(const api::LedgerService& s) {
  return s.read([](const Projector& p) {
    std::vector<const LedgerState*> states;
    for (uint32_t q = 0; q < p.partition_count(); ++q) states.push_back(&p.partition(q));
    return states;
  });
}

// One state in serve (issue 11 item 2): the writer decides against the read side's own
// LedgerStates and folds each event into them once; the read models take it from the hand-over.
// After a commit the log refused, the two part ways: the writer folds the log into states of its
// own (keeping its epoch), the read side is opened again, and neither holds the refused write.
TEST(LedgerService, TheWriterSharesTheReadSidesStatesAndEachEventIsFoldedOnce) {
  FreshService fresh;
  ASSERT_NE(fresh.service, nullptr);
  api::LedgerService& s = *fresh.service;
  Result<api::WriteOutcome> first = write(s, student_in("05031412595", "2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  Result<api::WriteOutcome> second = write(s, student_in("04070101124", "2025-08-01", "2025-08-31", 40));
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  bool shares = false;
  EXPECT_EQ(writer_states(s, &shares), read_states(s));
  EXPECT_TRUE(shares);
  const uint64_t applied = s.read([](const Projector& p) {
    uint64_t n = 0;
    for (uint32_t q = 0; q < p.partition_count(); ++q) n += p.partition(q).events_applied();
    return n;
  });
  EXPECT_EQ(applied, 2u) << "an event folded twice";
  EXPECT_EQ(hours_of(s, 4070101124), 40u);
  EXPECT_EQ(events_listed(s, 5031412595), 1u);  // the read models took it

  const std::string wal = fresh.common.data_dir + "/ledger.db-wal";
  {
    FileSizeLimit full(static_cast<rlim_t>(std::filesystem::file_size(wal)));
    Result<api::WriteOutcome> refused = write(s, student_in("05031412595", "2025-09-01", "2025-09-30", 50));
    ASSERT_FALSE(refused.is_ok());
  }
  EXPECT_EQ(hours_of(s, 5031412595), 30u) << "a write the log refused is read";
  EXPECT_TRUE(s.ready());
  Result<api::WriteOutcome> third = write(s, student_in("05031412595", "2025-09-01", "2025-09-30", 50));
  ASSERT_TRUE(third.is_ok()) << third.status().to_string();
  EXPECT_EQ(third->declaration.decision.result, ResultCode::kAccepted) << "decided against the refused write";
  EXPECT_NE(writer_states(s, &shares), read_states(s));
  EXPECT_FALSE(shares);
  EXPECT_EQ(hours_of(s, 5031412595), 80u);
  EXPECT_EQ(events_listed(s, 5031412595), 2u);
  s.stop();
}

// Who looked (docs/audit.md): a consultation is the ledger's own record of a read. A record of
// an input topic (serve --input) carrying one is refused before anything is decided; the
// router's own submission, with its check, is stored.
TEST(LedgerService, AnInputTopicRecordCannotCarryAConsultation) {
  FreshService fresh;
  ASSERT_NE(fresh.service, nullptr);
  api::LedgerService& s = *fresh.service;
  const std::string consultation =
      R"({"worker":{"ssin":"05031412595"},"dataConsultation":{"role":"auditor","scope":"anomalies","channel":"auditor"}})";
  std::promise<Result<api::WriteOutcome>> answer;
  s.submit_from(consultation, SourcePosition{"topic:input/0", {1, 1, 0}, {0, 0, 0}}, "topic:input/0:0",
                [&answer](Result<api::WriteOutcome> r) { answer.set_value(std::move(r)); });
  const Result<api::WriteOutcome> refused = answer.get_future().get();
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("dataConsultation"), std::string::npos) << refused.status().to_string();
  EXPECT_EQ(s.events_folded(), 0u);

  std::promise<Result<api::WriteOutcome>> recorded;
  s.submit(
      consultation,
      [](const Command& c, const Ledger&) {
        return c.action.kind == ActionKind::kDataConsultation ? Status::ok() : permission_denied("consultations only");
      },
      [&recorded](Result<api::WriteOutcome> r) { recorded.set_value(std::move(r)); });
  const Result<api::WriteOutcome> stored = recorded.get_future().get();
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_TRUE(stored->action.outcome.accepted());
  EXPECT_NE(stored->event_json.find("\"type\":\"CitizenDataConsulted\""), std::string::npos) << stored->event_json;
  s.stop();
}

// Issue 11: serve's writer hands each event it appended to the fold as the log stored it; the
// projector does not read it back. Writes from several threads (so groups of several), each
// folded once from the hand-over, give the state a replay of the log gives.
TEST(LedgerService, EachWriteIsFoldedAsTheWriterHandedItOverNotReadBack) {
  FreshService fresh;
  ASSERT_NE(fresh.service, nullptr);
  api::LedgerService& s = *fresh.service;
  auto ssin = [](int serial) {  // born 2005-03-14: the check digits of 2 followed by the nine digits
    const uint64_t n = 50314000 + static_cast<uint64_t>(serial);
    char text[12];
    std::snprintf(text, sizeof text, "%09llu%02llu", static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(97 - (2000000000ULL + n) % 97));
    return std::string(text);
  };
  constexpr int kThreads = 3, kEach = 20;
  std::vector<std::thread> writers;
  std::atomic<int> stored{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int hours = 4 + (i % 5) * 100;  // some over the quota: refusals are events too
        Result<api::WriteOutcome> r = write(s, student_in(ssin(t * kEach + i % 7 + 1), "2025-07-01", "2025-07-31", hours));
        EXPECT_TRUE(r.is_ok()) << r.status().to_string();
        if (r.is_ok() && !r->stored_before) stored += 1;
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(stored.load(), kThreads * kEach);
  EXPECT_EQ(s.events_folded(), static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.events_handed_over(), static_cast<uint64_t>(kThreads * kEach));  // none read back
  std::string live;
  s.read_view([&](const Projector& p) { live = p.state_hash(); });
  s.stop();
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + fresh.common.data_dir + "/ledger.db", LogOptions{});
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<Projector>> replayed = Projector::open(**log, ProjectorOptions{});
  ASSERT_TRUE(replayed.is_ok()) << replayed.status().to_string();
  Result<ReplayStats> stats = (*replayed)->catch_up();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->events, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ((*replayed)->state_hash(), live);
}

// A serve whose partitions another writer took over (a zombie: docs/kafka.md
// section 11) writes records every reader drops. Such a write is answered not
// stored, never stored: the log holds its record, but as no event. So is every
// later write (a fenced writer never writes again); what it stored before stays.
TEST(LedgerService, AFencedServiceAnswersItsWritesNotStoredAndNeverWritesAgain) {
  KafkaMockCluster& mock = testing::mock_cluster();
  const std::string topic = "fenced-service";
  constexpr uint32_t kPartitions = 4;
  ASSERT_TRUE(mock.create_topic(topic, kPartitions, 1).is_ok());
  for (const char* table : {".directory", ".reference", ".owners"})
    ASSERT_TRUE(mock.create_topic(topic + table, 1, 1).is_ok());
  testing::TempDir dir;
  api::LedgerConfig common;
  common.data_dir = dir.file("data");
  common.log_uri = "kafka://" + mock.bootstrap() + "/" + topic;
  ManualClock clock{*parse_instant("2025-06-01T08:00:00Z")};
  Result<std::unique_ptr<api::LedgerService>> opened = api::open_ledger_service(common, clock, 1);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  api::LedgerService& zombie = **opened;
  const std::string before = student_in("05031412595", "2025-07-01", "2025-07-31", 30);
  Result<api::WriteOutcome> stored = write(zombie, before);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();

  // Another process's writer opens the log: it fences every partition.
  LogOptions options;
  options.test_only_skip_in_process_fence = true;
  Result<std::unique_ptr<Log>> other = open_log(common.log_uri, options);
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  Result<QuotaSchedule> schedule = load_quota_schedule("");  // the service's: schemas/quota.json
  ASSERT_TRUE(schedule.is_ok()) << schedule.status().to_string();
  Result<std::unique_ptr<Ledger>> successor =
      Ledger::open(**other, *schedule, clock, ServerSecret::from_passphrase("other"));
  ASSERT_TRUE(successor.is_ok()) << successor.status().to_string();

  for (const char* start : {"2025-08-01", "2025-09-01", "2025-10-01"}) {
    clock.advance_micros(kMicrosPerSecond);
    Result<api::WriteOutcome> refused = write(zombie, student_in("05031412595", start, start, 4));
    ASSERT_FALSE(refused.is_ok()) << start << " was answered as stored by a fenced writer";
    EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find("not stored"), std::string::npos) << refused.status().to_string();
    // The first failed commit names the fence; after it, the service says it is fenced for good.
    EXPECT_NE(refused.status().message().find("fenced"), std::string::npos) << refused.status().to_string();
  }
  // Every reader: the write before the fence, none after.
  ProjectorOptions replay;
  replay.quota = std::make_shared<const QuotaSchedule>(*schedule);
  Result<std::unique_ptr<Projector>> projector = Projector::open(**other, replay);
  ASSERT_TRUE(projector.is_ok()) << projector.status().to_string();
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  std::string exported;
  ASSERT_TRUE(export_read_models(**projector, [&](std::string_view lines) {
                exported.append(lines);
                return Status::ok();
              }).is_ok());
  EXPECT_NE(exported.find("2025-07-01"), std::string::npos);
  EXPECT_EQ(exported.find("2025-08-01"), std::string::npos);
  EXPECT_EQ(exported.find("2025-09-01"), std::string::npos);
  EXPECT_EQ(exported.find("2025-10-01"), std::string::npos);
}

// serve's start (issue 13 item 4): the read side is loaded and caught up, the service answers
// reads at once, and the writer opens from the read side's states on the writer thread. A write
// sent meanwhile waits in the queue and is decided once it is open, against those states.
struct DeferredWriterFixture {
  testing::TempDir dir;
  api::LedgerConfig common;
  ManualClock clock{*parse_instant("2025-06-01T08:00:00Z")};

  DeferredWriterFixture() { common.data_dir = dir.file("data"); }

  // A ledger of one student with 30 hours in July 2025.
  void write_one() {
    Result<std::unique_ptr<api::LedgerService>> opened = api::open_ledger_service(common, clock, 1);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    Result<api::WriteOutcome> first = write(**opened, student_in("05031412595", "2025-07-01", "2025-07-31", 30));
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    (*opened)->stop();
  }

  // The service as open_ledger_service builds it, with `open_writer` for the writer.
  Result<std::unique_ptr<api::EmbeddedLedgerService>> open(api::EmbeddedLedgerService::OpenWriter open_writer) {
    Result<api::WriterLock> lock = api::WriterLock::acquire(common.data_dir);
    DIMONA_TRY(lock);
    Result<std::unique_ptr<Log>> log = api::open_ledger_log(common, /*create=*/false);
    DIMONA_TRY(log);
    ProjectorOptions options;
    options.checkpoint_path = api::checkpoint_path(common);
    Result<std::unique_ptr<Projector>> projector = api::open_projector(**log, options);
    DIMONA_TRY(projector);
    DIMONA_TRY((*projector)->catch_up());
    return api::EmbeddedLedgerService::open(api::WriteSide{std::move(*lock), std::move(*log), nullptr}, options,
                                            std::move(*projector), std::move(open_writer));
  }
};

TEST(LedgerService, ReadsAreAnsweredWhileTheWriterOpensAndWritesWaitForIt) {
  DeferredWriterFixture f;
  ASSERT_NO_FATAL_FAILURE(f.write_one());
  std::promise<void> go;
  std::shared_future<void> released = go.get_future().share();
  std::atomic<bool> seeded{false};
  Result<std::unique_ptr<api::EmbeddedLedgerService>> opened =
      f.open([&](Log& log, Projector& read_side) -> Result<std::unique_ptr<Ledger>> {
        released.wait();
        const std::optional<WriterSeed> seed = read_side.writer_seed();
        Result<QuotaSchedule> schedule = load_quota_schedule("");
        DIMONA_TRY(schedule);
        Result<ServerSecret> secret = api::open_secret(f.common);
        DIMONA_TRY(secret);
        Result<std::unique_ptr<Ledger>> ledger =
            Ledger::open(log, std::move(*schedule), f.clock, *secret, {}, seed ? &*seed : nullptr);
        if (ledger.is_ok()) seeded = (*ledger)->started_from_seed();
        return ledger;
      });
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  api::EmbeddedLedgerService& s = **opened;

  EXPECT_EQ(s.writer_status(), "opening");
  EXPECT_TRUE(s.ready());
  EXPECT_EQ(hours_of(s, 5031412595), 30u);  // the read side answers before the writer is open
  // The same period again, and a new one: queued, not decided yet.
  std::promise<Result<api::WriteOutcome>> again_answer, other_answer;
  s.submit(student_in("05031412595", "2025-07-01", "2025-07-31", 30), nullptr,
           [&](Result<api::WriteOutcome> r) { again_answer.set_value(std::move(r)); });
  s.submit(student_in("04070101124", "2025-08-01", "2025-08-31", 40), nullptr,
           [&](Result<api::WriteOutcome> r) { other_answer.set_value(std::move(r)); });
  std::future<Result<api::WriteOutcome>> again = again_answer.get_future(), other = other_answer.get_future();
  EXPECT_EQ(again.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_EQ(s.lag(), 2u);
  EXPECT_EQ(hours_of(s, 5031412595), 30u);

  go.set_value();
  const Result<api::WriteOutcome> repeated = again.get();
  const Result<api::WriteOutcome> stored = other.get();
  EXPECT_TRUE(seeded.load());
  EXPECT_EQ(s.writer_status(), "open");
  ASSERT_TRUE(repeated.is_ok()) << repeated.status().to_string();
  // Decided against the read side's state: the period it holds makes this one a duplicate.
  EXPECT_NE(repeated->declaration.decision.result, ResultCode::kAccepted);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(stored->declaration.decision.result, ResultCode::kAccepted);
  EXPECT_EQ(hours_of(s, 4070101124), 40u);
  EXPECT_EQ(hours_of(s, 5031412595), 30u);
  s.stop();
}

TEST(LedgerService, AWriterThatCannotOpenAnswersWritesUnavailableAndReadsGoOn) {
  DeferredWriterFixture f;
  ASSERT_NO_FATAL_FAILURE(f.write_one());
  Result<std::unique_ptr<api::EmbeddedLedgerService>> opened =
      f.open([](Log&, const Projector&) -> Result<std::unique_ptr<Ledger>> { return io_error("the disk is gone"); });
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  api::EmbeddedLedgerService& s = **opened;
  const Result<api::WriteOutcome> refused = write(s, student_in("04070101124", "2025-08-01", "2025-08-31", 40));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("the disk is gone"), std::string::npos) << refused.status().to_string();
  EXPECT_EQ(s.writer_status(), "failed");
  EXPECT_FALSE(s.ready());
  EXPECT_EQ(hours_of(s, 5031412595), 30u);
  std::promise<bool> given;
  ASSERT_TRUE(s.with_writer([&given](const Ledger* ledger) { given.set_value(ledger != nullptr); }));
  EXPECT_FALSE(given.get_future().get());  // told there is none, not left waiting
  s.stop();
}

}  // namespace
}  // namespace dimona
