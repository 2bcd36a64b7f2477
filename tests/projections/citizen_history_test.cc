#include "projections/citizen_history.h"

#include <gtest/gtest.h>

#include "engine/base/limits.h"
#include "engine/codec.h"
#include "engine/log/log_tools.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::stu_in;

constexpr Ssin kStudent{5031412595};

class CitizenHistoryTest : public testing::LedgerFixture {
 protected:
  explicit CitizenHistoryTest(uint32_t partitions = 4) : LedgerFixture(partitions) {}
  // Submits at the given ledger time.
  Submission at(const std::string& when, const std::string& json) {
    clock_.set(*parse_instant(when));
    return submit(json);
  }
  std::unique_ptr<Projector> project() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok());
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }
  // The items of ranks [first, first + count) as of `as_of`, and the total.
  std::vector<std::string> items(const Projector& p, uint64_t first, uint64_t count, uint64_t* total = nullptr,
                                 std::optional<Instant> as_of = std::nullopt, Ssin citizen = kStudent,
                                 HistoryReader who = HistoryReader::kAuditor) {
    std::vector<std::string> out;
    Result<uint64_t> n = citizen_history(
        p, citizen, as_of, first, count,
        [&](std::string_view item) {
          out.emplace_back(item);
          return Status::ok();
        },
        who);
    EXPECT_TRUE(n.is_ok()) << n.status().to_string();
    if (total) *total = n.is_ok() ? *n : ~uint64_t{0};
    return out;
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(CitizenHistoryTest, EachEventWithItsDecisionAndTheRuleBehindEachFigure) {
  const Submission in = at("2025-06-01T08:00:00Z", stu_in("2025-07-01", "2025-09-30", 400));
  at("2025-06-02T08:00:00Z", stu_in("2025-08-01", "2025-08-29", 100, "05031412595", "0403019360"));  // W: 25 beyond 475
  at("2025-06-03T08:00:00Z", stu_in("2025-06-20", "2025-07-10", 40));                                 // B 90373-421
  at("2025-06-04T08:00:00Z", R"({"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"plannedHoursNumber":350}})");
  at("2025-06-05T08:00:00Z", R"({"dimonaCancel":{"periodId":)" + period_of(in) + "}}");
  at("2025-06-05T09:00:00Z", stu_in("2025-07-01", "2025-07-31", 20, "85073003328"));  // another citizen
  auto p = project();
  uint64_t total = 0;
  const std::vector<std::string> all = items(*p, 0, 100, &total);
  ASSERT_EQ(total, 5u);
  ASSERT_EQ(all.size(), 5u);
  const uint32_t part = partition_for(kStudent, p->partition_count());
  const std::vector<Offset> offsets = p->citizens(part).offsets(kStudent);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(has(all[i], "{\"partition\":" + std::to_string(part) + ",\"offset\":" + std::to_string(offsets[i]) +
                                ",\"recordedAt\":\"2025-06-0" + std::to_string(i + 1) + "T08:00:00Z\""))
        << all[i];
    EXPECT_TRUE(has(all[i], ",\"event\":" + *p->event_at(part, offsets[i]) + ",\"decision\":{")) << "as logged";
  }
  EXPECT_TRUE(has(all[0], "\"type\":\"DimonaInDeclared\"")) << all[0];
  EXPECT_TRUE(has(all[0], R"("result":"A","rule":"rule 9: accepted (A))")) << all[0];
  EXPECT_TRUE(has(all[0], R"({"name":"plannedHours","value":400,"rule":"rule 2: )")) << all[0];
  EXPECT_TRUE(has(all[1], R"({"code":"90017-369","severity":"NP","rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[1], R"({"name":"inQuotaHours","value":75,"rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[1], R"({"name":"exceedingHours","value":25,"rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[2], R"("result":"B","rule":"rule 9: refused (B))")) << all[2];
  EXPECT_TRUE(has(all[2], R"({"code":"90373-421","severity":"B","rule":"rule 5: )")) << all[2];
  EXPECT_TRUE(has(all[2], R"("figures":[])")) << "a refusal has no figure: " << all[2];
  EXPECT_TRUE(has(all[3], R"("type":"DimonaUpdateDeclared")")) << all[3];
  EXPECT_TRUE(has(all[3], R"({"name":"plannedHours","value":350,"rule":"rule 3: )")) << all[3];
  EXPECT_TRUE(has(all[4], R"({"name":"plannedHours","value":0,"rule":"rule 4: )")) << all[4];
  EXPECT_EQ(items(*p, 1, 2, &total), std::vector<std::string>(all.begin() + 1, all.begin() + 3)) << "a page is a slice";
  EXPECT_EQ(total, 5u);
  EXPECT_TRUE(items(*p, 5, 10, &total).empty()) << "past the last";
  EXPECT_EQ(total, 5u);
  EXPECT_TRUE(items(*p, 0, 10, &total, std::nullopt, Ssin{90010112345}).empty()) << "nobody";
  EXPECT_EQ(total, 0u);
}

// asOf keeps the events recorded at or before it: a prefix, at every boundary.
// A declaration on the citizen's period naming someone else as its worker (refused 00024-347) is
// logged in the citizen's partition: the citizen's history leaves that person's identity out; the
// auditor's shows the event as logged.
TEST_F(CitizenHistoryTest, TheCitizenSeesNoOtherPersonsIdentity) {
  const Submission in = at("2025-06-01T08:00:00Z", stu_in("2025-07-01", "2025-07-31", 30));
  const Submission out =
      at("2025-06-02T08:00:00Z",
         R"({"worker":{"ssin":"85073003328","familyName":"Janssens","givenName":"Other"},"dimonaOut":{"periodId":)" +
             period_of(in) + R"(,"endDate":"2025-07-15"}})");
  ASSERT_TRUE(testing::has_anomaly(out, anomaly::kSsinMismatch));
  auto p = project();
  const std::vector<std::string> auditor = items(*p, 0, 10);
  const std::vector<std::string> citizen = items(*p, 0, 10, nullptr, std::nullopt, kStudent, HistoryReader::kCitizen);
  ASSERT_EQ(auditor.size(), 2u);
  ASSERT_EQ(citizen.size(), 2u);
  EXPECT_TRUE(has(auditor[1], "85073003328") && has(auditor[1], "Janssens")) << auditor[1];
  EXPECT_FALSE(has(citizen[1], "85073003328") || has(citizen[1], "Janssens")) << citizen[1];
  EXPECT_TRUE(has(citizen[1], R"("dimonaOut":{)")) << citizen[1];
  EXPECT_TRUE(has(citizen[1], "00024-347")) << citizen[1];
  EXPECT_EQ(citizen[0], auditor[0]) << "the citizen's own declaration is shown whole";
  EXPECT_TRUE(has(citizen[0], "05031412595"));
}

TEST(WithoutNestedMember, RemovesTheMemberAndOneComma) {
  EXPECT_EQ(without_nested_member(R"({"a":1,"declaration":{"worker":{"ssin":"1","n":"}{,\""},"b":[1,{"c":2}]},"z":3})",
                                  "declaration", "worker"),
            R"({"a":1,"declaration":{"b":[1,{"c":2}]},"z":3})");
  EXPECT_EQ(without_nested_member(R"({"declaration":{"b":1,"worker":{"x":2}}})", "declaration", "worker"),
            R"({"declaration":{"b":1}})");
  EXPECT_EQ(without_nested_member(R"({"declaration":{"worker":{"x":2}}})", "declaration", "worker"),
            R"({"declaration":{}})");
  EXPECT_EQ(without_nested_member(R"({"declaration":{"b":{"worker":1}}})", "declaration", "worker"),
            R"({"declaration":{"b":{"worker":1}}})")
      << "a deeper member of that name stays";
  EXPECT_EQ(without_nested_member(R"({"x":1})", "declaration", "worker"), R"({"x":1})");
  EXPECT_EQ(without_nested_member(R"({"declaration":{"worker":)", "declaration", "worker"),
            R"({"declaration":{"worker":)")
      << "truncated: unchanged";
}

TEST_F(CitizenHistoryTest, AsOfKeepsTheEventsRecordedAtOrBeforeIt) {
  for (int day = 1; day <= 9; ++day)
    at("2025-06-0" + std::to_string(day) + "T08:00:00Z",
       stu_in("2025-07-0" + std::to_string(day), "2025-07-0" + std::to_string(day), 1));
  auto p = project();
  auto size_at = [&](const char* when) {
    uint64_t total = 0;
    const std::vector<std::string> got = items(*p, 0, 100, &total, *parse_instant(when));
    EXPECT_EQ(got.size(), total) << when;
    return total;
  };
  EXPECT_EQ(size_at("2025-05-31T23:59:59Z"), 0u);
  EXPECT_EQ(size_at("2025-06-01T08:00:00Z"), 1u) << "at the instant itself";
  EXPECT_EQ(size_at("2025-06-01T07:59:59.999999Z"), 0u);
  for (int day = 1; day <= 9; ++day)
    EXPECT_EQ(size_at(("2025-06-0" + std::to_string(day) + "T12:00:00Z").c_str()), static_cast<uint64_t>(day));
  EXPECT_EQ(size_at("2030-01-01T00:00:00Z"), 9u);
  uint64_t none = 1;
  EXPECT_TRUE(items(*p, 0, 100, &none, *parse_instant("2030-01-01T00:00:00Z"), Ssin{85073003328}).empty());
  EXPECT_EQ(none, 0u) << "no events";
}

// One partition, two citizens' events interleaved, several at one instant: at every instant
// of the log, just before and just after it, the history holds exactly the citizen's events
// recorded at or before it, as a scan of the whole log counts them.
class CitizenHistoryOnePartitionTest : public CitizenHistoryTest {
 protected:
  CitizenHistoryOnePartitionTest() : CitizenHistoryTest(1) {}
};

TEST_F(CitizenHistoryOnePartitionTest, AsOfAtEveryInstantEqualsAScanOfTheLog) {
  const Instant base = *parse_instant("2025-06-01T08:00:00Z");
  for (int i = 0; i < 30; ++i) {
    clock_.set(Instant{base.micros + (i / 3) * 60 * kMicrosPerSecond});  // three events an instant
    submit(stu_in("2025-07-01", "2025-07-01", 1 + i, i % 3 == 1 ? "85073003328" : "05031412595"));
  }
  auto p = project();
  ASSERT_EQ(p->partition_count(), 1u);
  std::vector<std::pair<Instant, uint64_t>> logged;  // recordedAt, ssin: the whole partition
  auto consumer = log_.open_consumer();
  ASSERT_TRUE(consumer.is_ok());
  EventDecoder decoder;
  ASSERT_TRUE(read_partition(**consumer, 0, 0, p->offset(0), [&](LogRecord& r) {
                Result<Event> e = decoder.decode_copy(r.payload);
                EXPECT_TRUE(e.is_ok());
                if (e.is_ok()) logged.emplace_back(e->recorded_at, e->ssin.value);
                return Status::ok();
              }).is_ok());
  for (const auto& [at, unused] : logged) {
    for (int64_t shift : {-1, 0, 1}) {
      const Instant as_of{at.micros + shift};
      for (const Ssin who : {kStudent, Ssin{85073003328}}) {
        uint64_t expected = 0;
        for (const auto& [t, s] : logged) expected += (s == who.value && t <= as_of) ? 1 : 0;
        uint64_t total = 0;
        const std::vector<std::string> got = items(*p, 0, 100, &total, as_of, who);
        EXPECT_EQ(total, expected) << to_string(as_of) << " " << who.value;
        EXPECT_EQ(got.size(), expected);
      }
    }
  }
}

// A citizen's events far apart are read by seeking to each; close ones in one pass that skips
// the records between them: either way exactly the citizen's records, in order.
TEST_F(CitizenHistoryOnePartitionTest, ReadsAcrossShortGapsAndSeeksPastLongOnes) {
  auto other = [&](int n) {
    for (int i = 0; i < n; ++i) submit(stu_in("2025-07-01", "2025-07-01", 1 + i % 9, "85073003328"));
  };
  submit(stu_in("2025-07-01", "2025-07-01", 1));
  other(static_cast<int>(limits::citizen_history_gap_records) + 1);  // a gap one past the limit: a seek
  submit(stu_in("2025-07-02", "2025-07-02", 2));
  other(static_cast<int>(limits::citizen_history_gap_records));  // at the limit: read through
  submit(stu_in("2025-07-03", "2025-07-03", 3));
  submit(stu_in("2025-07-04", "2025-07-04", 4));  // consecutive
  other(3);
  submit(stu_in("2025-07-07", "2025-07-07", 5));
  auto p = project();
  const std::vector<Offset> offsets = p->citizens(0).offsets(kStudent);
  ASSERT_EQ(offsets.size(), 5u);
  EXPECT_EQ(offsets[1] - offsets[0], limits::citizen_history_gap_records + 2);
  Result<std::vector<std::string>> events = p->events_at(0, offsets);
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ((*events)[i], *p->event_at(0, offsets[i])) << i;
  uint64_t total = 0;
  EXPECT_EQ(items(*p, 1, 3, &total).size(), 3u);
  EXPECT_EQ(total, 5u);
}

}  // namespace
}  // namespace dimona
