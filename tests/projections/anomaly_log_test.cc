#include "projections/anomaly_log.h"

#include <gtest/gtest.h>

#include "engine/base/crc32c.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::stu_in;

class AnomalyLogTest : public testing::LedgerFixture {
 protected:
  std::unique_ptr<Projector> project() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok());
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }
};

TEST_F(AnomalyLogTest, RecordsRefusalsAndWarningsNotAcceptances) {
  submit(stu_in("2025-06-02", "2025-06-30", 30));          // A
  submit(stu_in("2025-06-20", "2025-07-10", 40));          // B 90373-421
  submit(stu_in("2025-05-02", "2025-05-31", 10));          // W 90373-460 (late)
  submit(R"({"dimonaCancel":{"periodId":656309292174}})");  // B 00913-354, worker unknown
  auto p = project();
  const Ssin student{5031412595};
  std::vector<AnomalyRecord> mine = p->anomalies_of(student).of_citizen(student);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].result, ResultCode::kRefused);
  EXPECT_EQ(mine[0].codes[0], 90373421u);
  EXPECT_EQ(mine[1].result, ResultCode::kWarning);
  EXPECT_EQ(mine[1].codes[0], 90373460u);
  EXPECT_EQ(p->anomalies_of(student).of_employer(403019261, p->state_of(student)).size(), 2u);
  std::vector<AnomalyRecord> unknown = p->anomalies(0).of_citizen(Ssin{0});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].kind, DeclarationKind::kCancel);
  EXPECT_EQ(unknown[0].codes[0], 913354u);
  std::string json;
  to_json(unknown[0], &json);
  EXPECT_NE(json.find(R"("anomalies":["00913-354"])"), std::string::npos) << json;
  EXPECT_EQ(json.find("ssin"), std::string::npos) << json;
}

// DESIGN §3: an UPDATE, OUT or CANCEL needs only the period's id. One refused without naming the
// employer is still the employer's of that period.
TEST_F(AnomalyLogTest, ARefusalNamingOnlyThePeriodIsItsEmployers) {
  const std::string period = period_of(submit(stu_in("2025-06-02", "2025-06-30", 30)));
  submit(R"({"dimonaUpdate":{"periodId":)" + period + R"(,"plannedHoursNumber":30}})");  // B 90378-444
  submit(R"({"employer":{"enterpriseNumber":"0403019261"},"dimonaUpdate":{"periodId":)" + period +
         R"(,"plannedHoursNumber":30}})");                    // B 90378-444
  submit(R"({"dimonaCancel":{"periodId":)" + period + "}}");  // A
  submit(R"({"dimonaCancel":{"periodId":)" + period + "}}");  // B 00913-355
  submit(R"({"employer":{"enterpriseNumber":"0403019360"},"dimonaCancel":{"periodId":)" + period +
         "}}");  // B 347 and 355
  auto p = project();
  const Ssin student{5031412595};
  const std::vector<AnomalyRecord> mine = p->anomalies_of(student).of_employer(403019261, p->state_of(student));
  ASSERT_EQ(mine.size(), 3u);
  for (const AnomalyRecord& r : mine) EXPECT_EQ(r.employer, 403019261u);
  EXPECT_EQ(mine[2].kind, DeclarationKind::kCancel);
  // The one that named another employer is that employer's, not the period's.
  EXPECT_EQ(p->anomalies_of(student).of_employer(403019360, p->state_of(student)).size(), 1u);
}

TEST_F(AnomalyLogTest, SaveAndLoadRoundTripAndCatchCorruption) {
  submit(stu_in("2025-06-20", "2025-07-10", 40));
  submit(stu_in("2025-05-02", "2025-05-31", 10));
  auto p = project();
  const AnomalyLog& log = p->anomalies_of(Ssin{5031412595});
  std::string bytes;
  log.save(&bytes);
  AnomalyLog back;
  ASSERT_TRUE(AnomalyLog::load(bytes, &back).is_ok());
  ASSERT_EQ(back.size(), log.size());
  std::string again;
  back.save(&again);
  EXPECT_EQ(again, bytes);
  bytes[20] ^= 1;
  AnomalyLog damaged;
  EXPECT_EQ(AnomalyLog::load(bytes, &damaged).code(), Code::kCorruption);
  AnomalyLog truncated;
  EXPECT_EQ(AnomalyLog::load(std::string_view(bytes).substr(0, 10), &truncated).code(), Code::kCorruption);
}

// Found by tests/fuzz/fuzz_checkpoint: a code of nine digits, under a valid
// CRC, loaded and then stopped the process when a read formatted it.
TEST_F(AnomalyLogTest, ALoadedCodeOfMoreThanEightDigitsIsCorruption) {
  submit(stu_in("2025-06-20", "2025-07-10", 40));  // B 90373-421
  auto p = project();
  std::string bytes;
  p->anomalies_of(Ssin{5031412595}).save(&bytes);
  const auto le32 = [](uint32_t v) {
    std::string out;
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  };
  const size_t at = bytes.find(le32(90373421));
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 4, le32(100'000'000));
  bytes.replace(bytes.size() - 4, 4, le32(crc32c(bytes.data(), bytes.size() - 4)));
  AnomalyLog damaged;
  EXPECT_EQ(AnomalyLog::load(bytes, &damaged).code(), Code::kCorruption);
}

}  // namespace
}  // namespace dimona
