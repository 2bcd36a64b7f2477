#include "projections/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "engine/source_position.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::FaultyLog;
using testing::read_all;
using testing::TempDir;

// A valid SSIN of someone born in 1995: yymmddccc and 97 - body mod 97.
std::string ssin_of(int counter) {
  const uint64_t body = 95'01'01'001ULL + static_cast<uint64_t>(counter);  // serials from 001
  const uint64_t number = body * 100 + (97 - body % 97);
  std::string digits = std::to_string(number);
  return std::string(11 - digits.size(), '0') + digits;
}

std::string attestation_request(const std::string& ssin, int year) {
  return R"({"worker":{"ssin":")" + ssin + R"("},"attestationRequest":{"year":)" + std::to_string(year) + "}}";
}

// The ledger's events on the fixture's memory log (over FaultyLog), the
// outbox on the backend of the parameter: "memory" or "sqlite".
class OutboxTest : public testing::LedgerFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  OutboxTest() { outbox_ = open_outbox(4, "outbox"); }

  std::unique_ptr<Log> open_outbox(uint32_t partitions, const std::string& name) {
    LogOptions options;
    options.partitions = partitions;
    const std::string uri = GetParam() == "sqlite" ? "sqlite:" + dir_.file(name + ".db") : "memory:";
    Result<std::unique_ptr<Log>> log = open_log(uri, options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(*log) : nullptr;
  }

  // A restart of the process: the outbox opened again from its file (sqlite).
  void reopen_outbox() {
    if (GetParam() == "sqlite") outbox_ = open_outbox(4, "outbox");
  }

  // `students` citizens, each with accepted and refused attestations among
  // declarations; committed in groups. Returns the accepted ids, per partition in order.
  void populate(int students, uint32_t seed) {
    std::mt19937 random(seed);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < students; ++i) {
        const std::string ssin = ssin_of(i);
        clock_.advance_micros(60'000'000);
        switch (random() % 4) {
          case 0:
            submit(testing::stu_in("2025-07-0" + std::to_string(1 + round), "2025-07-0" + std::to_string(1 + round), 4,
                                   ssin));
            break;
          case 1: {
            ActionSubmission refused = act(attestation_request(ssin, 2023));  // not an available year
            EXPECT_FALSE(refused.outcome.accepted());
            ++refused_;
            break;
          }
          default: {
            ActionSubmission a = act(attestation_request(ssin, 2025));
            EXPECT_TRUE(a.outcome.accepted());
            expected_[a.partition].push_back(a.outcome.id);
            ++accepted_;
          }
        }
        if (random() % 7 == 0) {
          ASSERT_TRUE(ledger_->commit().is_ok());
        }
      }
    }
    ASSERT_TRUE(ledger_->commit().is_ok());
  }

  Result<std::unique_ptr<OutboxRelay>> relay(const OutboxOptions& options = {}) {
    return OutboxRelay::open(log_, *outbox_, options);
  }

  std::vector<Offset> events_ends() {
    std::vector<Offset> ends;
    Result<std::unique_ptr<LogConsumer>> c = log_.open_consumer();
    for (uint32_t p = 0; p < log_.partitions(); ++p) ends.push_back(*(*c)->end_offset(p));
    return ends;
  }

  // The message ids of each outbox partition, in order.
  std::map<uint32_t, std::vector<uint64_t>> relayed() {
    std::map<uint32_t, std::vector<uint64_t>> ids;
    for (uint32_t p = 0; p < outbox_->partitions(); ++p)
      for (const LogRecord& r : read_all(*outbox_, p)) ids[p].push_back(std::stoull(r.event_id.substr(4)));
    return ids;
  }

  std::map<uint32_t, std::vector<uint64_t>> expected() {
    std::map<uint32_t, std::vector<uint64_t>> ids;
    for (const auto& [p, list] : expected_)
      if (!list.empty()) ids[p] = list;
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Log> outbox_;
  std::map<uint32_t, std::vector<uint64_t>> expected_;
  uint64_t accepted_ = 0, refused_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

TEST_P(OutboxTest, AMessagePerAcceptedAttestationNoneForARefusedOne) {
  populate(30, 1);
  ASSERT_GT(accepted_, 20u);
  ASSERT_GT(refused_, 5u);
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  Result<OutboxStats> stats = (*r)->relay_to_end();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->messages, accepted_);
  EXPECT_EQ(stats->refused, refused_);
  EXPECT_EQ(stats->events, testing::event_count(log_));
  EXPECT_EQ(relayed(), expected());
  EXPECT_EQ((*r)->next(), events_ends());

  // Each message: keyed by its citizen, in the partition partition_for_key gives, its event's place as its source.
  for (uint32_t p = 0; p < outbox_->partitions(); ++p) {
    const std::vector<LogRecord> events = read_all(log_, p);
    for (const LogRecord& m : read_all(*outbox_, p)) {
      ASSERT_EQ(m.key.size(), 11u);
      EXPECT_EQ(partition_for_key(m.key, outbox_->partitions()), p);
      EXPECT_EQ(m.type, "StudentAttestationMessage");
      Result<SourcePosition> source = parse_source_position(m.source);
      ASSERT_TRUE(source.is_ok()) << m.source;
      EXPECT_EQ(source->source, "log:" + std::to_string(p));
      const LogRecord& event = events.at(source->resume.index);
      EXPECT_EQ(event.type, "StudentAttestationIssued");
      EXPECT_EQ(event.key, m.key);
      EXPECT_EQ(m.recorded_at, event.recorded_at);
      EXPECT_NE(m.payload.find(R"("eventId":")" + event.event_id + '"'), std::string::npos) << m.payload;
      EXPECT_NE(m.payload.find(R"("citizen":")" + m.key + '"'), std::string::npos) << m.payload;
    }
  }
}

TEST_P(OutboxTest, TheMessageCarriesTheAttestationAsTheInboxKeepsIt) {
  clock_.set(*parse_instant("2024-12-31T10:00:00Z"));
  ActionSubmission a = act(attestation_request("05031412595", 2025));  // December: next year's is available
  ASSERT_TRUE(a.outcome.accepted());
  ASSERT_TRUE(ledger_->commit().is_ok());
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_TRUE((*r)->relay_to_end().is_ok());
  const std::vector<LogRecord> messages = read_all(*outbox_, a.partition);
  ASSERT_EQ(messages.size(), 1u);
  const std::string id = std::to_string(a.outcome.id);
  EXPECT_EQ(messages[0].event_id, "msg-" + id);
  EXPECT_EQ(messages[0].key, "05031412595");
  // Two months after 31 December: the last day of February, as the inbox keeps it.
  EXPECT_EQ(messages[0].payload,
            R"({"messageId":")" + id + R"(","citizen":"05031412595","kind":"studentAttestation","forYear":2025,)"
            R"("quotaHours":475,"remainingHours":475,"accessCode":")" + format_access_code(a.outcome.access_code) +
            R"(","validFrom":"2024-12-01","validUntil":"2025-02-28","issuedAt":"2024-12-31T10:00:00Z",)"
            R"("expiresAt":"2025-02-28T10:00:00Z","eventId":"act-)" + id + R"("})");
}

// DOMAIN §5 step 4: ONEM's decision goes to the employee's eBox, so it is relayed too: one message,
// its id the ticket's, as the inbox has it; a refused decision (a second one) gives none.
TEST_P(OutboxTest, OnemsDecisionIsRelayedToTheEmployee) {
  clock_.set(*parse_instant("2025-06-16T14:30:00Z"));
  const std::string worker = R"("worker":{"ssin":"85073003328"})";
  ActionSubmission request = act(
      R"({"employer":{"enterpriseNumber":"0403019261"},)" + worker +
      R"(,"careerBreakRequest":{"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2025-10-01","endDate":"2026-09-30","regimeBefore":1,"regimeDuring":0.8}})");
  ASSERT_TRUE(request.outcome.accepted());
  const std::string ticket = std::to_string(request.outcome.id);
  ASSERT_TRUE(act("{" + worker + R"(,"careerBreakEmployeePart":{"ticket":")" + ticket + R"("}})").outcome.accepted());
  const std::string decision = R"({"onemDecision":{"ticket":")" + ticket + R"(","decision":"REFUSED"}})";
  ActionSubmission decided = act(decision);
  ASSERT_TRUE(decided.outcome.accepted());
  EXPECT_FALSE(act(decision).outcome.accepted());  // alreadyDecided
  ASSERT_TRUE(ledger_->commit().is_ok());
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  Result<OutboxStats> stats = (*r)->relay_to_end();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->messages, 1u);
  EXPECT_EQ(stats->refused, 1u);
  const std::vector<LogRecord> messages = read_all(*outbox_, decided.partition);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].event_id, "msg-" + ticket);
  EXPECT_EQ(messages[0].type, "CareerBreakDecisionMessage");
  EXPECT_EQ(messages[0].key, "85073003328");
  EXPECT_EQ(messages[0].payload,
            R"({"messageId":")" + ticket + R"(","citizen":"85073003328","kind":"careerBreakDecision","ticket":")" +
                ticket +
                R"(","decision":"REFUSED","employer":"0403019261",)"
                R"("decidedAt":"2025-06-16T14:30:00Z","expiresAt":"2025-08-16T14:30:00Z","eventId":"act-)" +
                std::to_string(decided.outcome.id) + R"("})");
}

// Seed 002: the Interim@work overview goes to the eBox or by e-mail; both are the delivery
// service's, so both are relayed, the address with EMAIL only; a refused one (a date out of
// zone 00910's domain) gives none.
TEST_P(OutboxTest, AnOverviewSentIsRelayedToTheEboxOrToItsAddress) {
  clock_.set(*parse_instant("2026-12-06T10:00:00Z"));
  const std::string worker = R"({"worker":{"ssin":"85073003328"},"interimOverviewSend":)";
  ActionSubmission ebox = act(worker + R"({"channel":"EBOX"}})");
  ASSERT_TRUE(ebox.outcome.accepted());
  ActionSubmission email =
      act(worker + R"({"channel":"EMAIL","email":"jan@example.be","from":"2026-01-01","userCompany":"Café du Coin"}})");
  ASSERT_TRUE(email.outcome.accepted());
  EXPECT_FALSE(act(worker + R"({"channel":"EBOX","from":"1900-01-01"}})").outcome.accepted());  // dateOutOfRange
  ASSERT_TRUE(ledger_->commit().is_ok());
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  Result<OutboxStats> stats = (*r)->relay_to_end();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->messages, 2u);
  EXPECT_EQ(stats->refused, 1u);
  const std::vector<LogRecord> messages = read_all(*outbox_, ebox.partition);
  ASSERT_EQ(messages.size(), 2u);
  const std::string e = std::to_string(ebox.outcome.id), m = std::to_string(email.outcome.id);
  EXPECT_EQ(messages[0].event_id, "msg-" + e);
  EXPECT_EQ(messages[0].type, "InterimOverviewMessage");
  EXPECT_EQ(messages[0].key, "85073003328");
  EXPECT_EQ(
      messages[0].payload,
      R"({"messageId":")" + e +
          R"(","citizen":"85073003328","kind":"interimOverview","channel":"EBOX",)"
          R"("from":"2025-01-01","to":"2027-12-31","sentAt":"2026-12-06T10:00:00Z","expiresAt":"2027-02-06T10:00:00Z",)"
          R"("document":"/v1/citizens/85073003328/interimRelations?from=2025-01-01&to=2027-12-31)"
          R"(&asOf=2026-12-06T10%3A00%3A00Z","eventId":"act-)" +
          e + R"("})");
  EXPECT_EQ(
      messages[1].payload,
      R"({"messageId":")" + m +
          R"(","citizen":"85073003328","kind":"interimOverview","channel":"EMAIL",)"
          R"("email":"jan@example.be","from":"2026-01-01","to":"2027-12-31","userCompany":"Café du Coin",)"
          R"("sentAt":"2026-12-06T10:00:00Z","document":"/v1/citizens/85073003328/interimRelations?from=2026-01-01)"
          R"(&to=2027-12-31&userCompany=Caf%C3%A9%20du%20Coin&asOf=2026-12-06T10%3A00%3A00Z","eventId":"act-)" +
          m + R"("})");
}

TEST_P(OutboxTest, ARelayRunAgainOrOpenedAgainRelaysNothingTwice) {
  populate(12, 2);
  {
    Result<std::unique_ptr<OutboxRelay>> r = relay();
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE((*r)->relay_to_end().is_ok());
    Result<OutboxStats> again = (*r)->relay_to_end();
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(again->messages, 0u);
    EXPECT_EQ(again->events, 0u);
  }
  reopen_outbox();
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  // Resumed after the last attestation relayed in each partition: what follows it is read again, and skipped.
  for (uint32_t p = 0; p < log_.partitions(); ++p) EXPECT_LE((*r)->next()[p], events_ends()[p]);
  Result<OutboxStats> stats = (*r)->relay_to_end();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats->messages, 0u);
  EXPECT_EQ(relayed(), expected());

  // New events: only theirs are relayed.
  populate(5, 3);
  stats = (*r)->relay_to_end();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(relayed(), expected());
}

// The relay stopped (or its appends failing, as a crash would leave them) at
// random points, then opened again, many times: the outbox ends exactly as
// one uninterrupted relay writes it, record for record.
TEST_P(OutboxTest, ExactlyOnceWhereverTheRelayStops) {
  populate(40, 4);
  std::unique_ptr<Log> reference = open_outbox(4, "reference");
  {
    Result<std::unique_ptr<OutboxRelay>> r = OutboxRelay::open(log_, *reference);
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE((*r)->relay_to_end().is_ok());
  }
  auto faulty = std::make_unique<FaultyLog>(std::move(outbox_));
  std::mt19937 random(11);
  const std::vector<Offset> ends = events_ends();
  int restarts = 0, crashes = 0;
  for (bool complete = false; !complete; ++restarts) {
    ASSERT_LT(restarts, 400);
    OutboxOptions options;
    options.append_messages_max = 1 + random() % 3;
    Result<std::unique_ptr<OutboxRelay>> r = OutboxRelay::open(log_, *faulty, options);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    if (random() % 2 == 0) {  // a stop at random ends
      std::vector<Offset> until = (*r)->next();
      for (uint32_t p = 0; p < until.size(); ++p) until[p] += random() % (ends[p] - until[p] + 1);
      ASSERT_TRUE((*r)->relay_until(until).is_ok());
    } else {  // a crash after a few appends: the relay is destroyed with its error
      faulty->fail_appends_after(static_cast<int>(random() % 4), 1);
      Result<OutboxStats> failed = (*r)->relay_to_end();
      crashes += failed.is_ok() ? 0 : 1;
      if (!failed.is_ok()) {
        EXPECT_EQ((*r)->relay_to_end().status().code(), Code::kFailedPrecondition);
      }
      faulty->fail_appends(0);
    }
    complete = (*r)->next() == ends;
  }
  EXPECT_GT(crashes, 3);
  EXPECT_GT(restarts, 6);
  RecordProperty("restarts", restarts);
  RecordProperty("crashes", crashes);
  for (uint32_t p = 0; p < log_.partitions(); ++p) {
    const std::vector<LogRecord> want = read_all(*reference, p);
    const std::vector<LogRecord> got = read_all(*faulty, p);
    ASSERT_EQ(got.size(), want.size()) << "partition " << p;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].payload, want[i].payload);
      EXPECT_EQ(got[i].key, want[i].key);
      EXPECT_EQ(got[i].source, want[i].source);
      EXPECT_EQ(got[i].event_id, want[i].event_id);
    }
  }
  outbox_ = std::make_unique<FaultyLog>(std::move(faulty));  // relayed() reads it
  EXPECT_EQ(relayed(), expected());
}

TEST_P(OutboxTest, AFollowingRelayTakesEventsAsTheyCome) {
  populate(6, 5);
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> seen{0};
  Result<OutboxStats> followed = OutboxStats{};
  std::thread relay_thread([&] {
    followed = (*r)->follow([&] { return stop.load(); }, [&](const OutboxStats& s) { seen = s.messages; });
  });
  populate(6, 6);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (seen.load() < accepted_ && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  relay_thread.join();
  ASSERT_TRUE(followed.is_ok()) << followed.status().to_string();
  EXPECT_EQ(followed->messages, accepted_);
  EXPECT_EQ(relayed(), expected());
}

TEST_P(OutboxTest, AnOutboxOfAnotherShapeOrWriterIsRefused) {
  populate(4, 7);
  std::unique_ptr<Log> three = open_outbox(3, "three");
  Result<std::unique_ptr<OutboxRelay>> r = OutboxRelay::open(log_, *three);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("has 3 partitions, the events log 4"), std::string::npos) << r.status().to_string();

  EXPECT_EQ(OutboxRelay::open(log_, log_).status().code(), Code::kInvalidArgument);
  OutboxOptions none;
  none.append_messages_max = 0;
  EXPECT_EQ(relay(none).status().code(), Code::kInvalidArgument);

  // A record the relay did not write, last in a partition.
  {
    Result<std::unique_ptr<LogProducer>> other = outbox_->open_producer(2);
    ASSERT_TRUE(other.is_ok());
    const LogRecordDraft foreign{"x-1", "", "Other", 1, clock_.now(), "{}", "file:abc@2,20,0/1,10,0"};
    ASSERT_TRUE((*other)->append(std::span<const LogRecordDraft>(&foreign, 1)).is_ok());
  }
  r = relay();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("partition 2 offset 0 was not written by the relay"), std::string::npos)
      << r.status().to_string();
}

TEST_P(OutboxTest, AnOutboxRelayedFromAnotherEventsLogIsRefused) {
  populate(8, 8);
  {
    Result<std::unique_ptr<OutboxRelay>> r = relay();
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE((*r)->relay_to_end().is_ok());
  }
  // Another ledger, whose events differ: its log has other ids at the offsets the outbox names.
  std::unique_ptr<Log> other = testing::memory_log(4);
  {
    Result<std::unique_ptr<Ledger>> l =
        Ledger::open(*other, testing::test_schedule(), clock_, ServerSecret::from_passphrase("other"));
    ASSERT_TRUE(l.is_ok());
    for (int i = 0; i < 40; ++i) {
      std::string json = attestation_request(ssin_of(100 + i), 2025);
      const size_t size = json.size();
      json.resize(size + kJsonPadding, ' ');
      Result<Command> c = decoder_.decode_command(std::string_view(json.data(), size), json.size());
      ASSERT_TRUE(c.is_ok());
      ASSERT_TRUE((*l)->submit_action(c->action, std::string_view(json.data(), size), "test").is_ok());
    }
    ASSERT_TRUE((*l)->commit().is_ok());
  }
  Result<std::unique_ptr<OutboxRelay>> r = OutboxRelay::open(*other, *outbox_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("relayed from another log"), std::string::npos) << r.status().to_string();
  // No SSIN in any message.
  for (int i = 0; i < 140; ++i) EXPECT_EQ(r.status().message().find(ssin_of(i)), std::string::npos);
}

TEST_P(OutboxTest, OneRelayPerOutboxInAProcess) {
  Result<std::unique_ptr<OutboxRelay>> first = relay();
  ASSERT_TRUE(first.is_ok());
  Result<std::unique_ptr<OutboxRelay>> second = relay();
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
}

TEST_P(OutboxTest, AnEventThatDoesNotDecodeStopsTheRelayNamingItsPlace) {
  populate(6, 9);
  uint32_t partition = 0;
  Offset offset = 0;
  bool found = false;
  for (uint32_t p = 0; p < log_.partitions() && !found; ++p)
    for (const LogRecord& e : read_all(log_, p))
      if (e.type == "StudentAttestationIssued") {
        partition = p, offset = e.offset, found = true;
        break;
      }
  ASSERT_TRUE(found);
  log_.corrupt(partition, offset, 1);
  Result<std::unique_ptr<OutboxRelay>> r = relay();
  ASSERT_TRUE(r.is_ok());
  Result<OutboxStats> stats = (*r)->relay_to_end();
  ASSERT_FALSE(stats.is_ok());
  EXPECT_EQ(stats.status().code(), Code::kCorruption);
  EXPECT_NE(stats.status().message().find("events partition " + std::to_string(partition) + " offset " +
                                          std::to_string(offset)),
            std::string::npos)
      << stats.status().to_string();
}

TEST(DefaultOutboxUri, BesideTheEventsLog) {
  EXPECT_EQ(*default_outbox_uri("kafka://127.0.0.1:9092/dimona.events"), "kafka://127.0.0.1:9092/dimona.events.outbox");
  EXPECT_EQ(*default_outbox_uri("sqlite:dimona-data/ledger.db"), "sqlite:dimona-data/ledger.outbox.db");
  EXPECT_EQ(*default_outbox_uri("sqlite:/var/log/dimona"), "sqlite:/var/log/dimona.outbox");
  EXPECT_EQ(*default_outbox_uri("memory:ledger"), "memory:ledger.outbox");
  EXPECT_EQ(default_outbox_uri("memory:").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(default_outbox_uri("ftp://x").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace dimona
