// Who looked (projections/consultation_log.h): a read model of the recorded
// consultations, newest first per citizen, with a checkpoint section that
// refuses what the ledger never records; and a checkpoint written when the
// engine's state still kept them (ledger state version 5) is refused, so that
// the log is folded again.
#include "projections/consultation_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "tests/projections/section_checks.h"
#include "engine/ledger.h"
#include "projections/access_views.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

constexpr Ssin kCitizen{5031412595}, kOther{85073003328};
constexpr uint64_t kEmployer = 203456789;

Instant instant(const char* text) { return *parse_instant(text); }

Event consultation(Ssin citizen, const char* at, ConsultationRole role, uint64_t employer, ConsultationChannel channel,
                   std::string_view scope, std::string_view auditor = {}) {
  return testing::consultation_event(citizen, instant(at), role, employer, channel, scope, auditor);
}

Event by_auditor(Ssin citizen, const char* at, std::string_view scope = "studentBalance") {
  return consultation(citizen, at, ConsultationRole::kAuditor, 0, ConsultationChannel::kAuditor, scope, "ins-1");
}

Event by_employer(Ssin citizen, const char* at) {
  return consultation(citizen, at, ConsultationRole::kEmployer, kEmployer, ConsultationChannel::kAccessCode, "accessCode");
}

std::vector<std::string> scopes_at(const std::vector<Consultation>& list) {
  std::vector<std::string> out;
  for (const Consultation& c : list) out.push_back(c.scope + "@" + to_string(c.at));
  return out;
}

TEST(ConsultationLog, KeepsEachCitizensConsultationsNewestFirstAndNothingElse) {
  ConsultationLog log;
  log.apply(by_auditor(kCitizen, "2025-03-17T10:00:00Z", "anomalies"), 0);
  log.apply(by_employer(kOther, "2025-03-17T11:00:00Z"), 0);
  log.apply(by_employer(kCitizen, "2025-03-18T09:00:00Z"), 1);
  Event attestation = by_auditor(kCitizen, "2025-03-19T09:00:00Z");
  attestation.type = event_type_of(ActionKind::kAttestationRequest);
  attestation.action.action.kind = ActionKind::kAttestationRequest;
  log.apply(attestation, 2);  // another action: not a consultation
  Event declaration;
  declaration.type = EventType::kDimonaInDeclared;
  declaration.ssin = kCitizen;
  log.apply(declaration, 3);

  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(scopes_at(log.of_citizen(kCitizen)),
            (std::vector<std::string>{"accessCode@2025-03-18T09:00:00Z", "anomalies@2025-03-17T10:00:00Z"}));
  const std::vector<Consultation> other = log.of_citizen(kOther);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].role, ConsultationRole::kEmployer);
  EXPECT_EQ(other[0].employer, kEmployer);
  EXPECT_EQ(other[0].channel, ConsultationChannel::kAccessCode);
  EXPECT_TRUE(log.of_citizen(Ssin{12345678901}).empty());
  EXPECT_EQ(log.of_citizen(kCitizen)[1].auditor, "ins-1");
}

class ConsultationLogBytes : public ::testing::Test {
 protected:
  void SetUp() override {
    log_.apply(by_employer(kCitizen, "2025-03-18T09:00:00Z"), 0);
    log_.apply(by_auditor(kCitizen, "2025-03-19T09:00:00Z"), 1);
    log_.save(&saved_);
  }
  static Status load(const std::string& bytes) {
    ConsultationLog loaded;
    return ConsultationLog::load(bytes, &loaded);
  }
  // The first record's role byte: magic, count, then citizen, at, employer.
  static constexpr size_t kRole = 4 + 4 + 8 + 8 + 8;
  ConsultationLog log_;
  std::string saved_;
};

TEST_F(ConsultationLogBytes, RoundTripToTheSameBytesAndAnswers) {
  ConsultationLog loaded;
  ASSERT_TRUE(ConsultationLog::load(saved_, &loaded).is_ok());
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved_);
  EXPECT_EQ(scopes_at(loaded.of_citizen(kCitizen)), scopes_at(log_.of_citizen(kCitizen)));
  ConsultationLog empty;
  std::string none;
  empty.save(&none);
  ConsultationLog loaded_empty;
  EXPECT_TRUE(ConsultationLog::load(none, &loaded_empty).is_ok());
  EXPECT_EQ(loaded_empty.size(), 0u);
}

TEST_F(ConsultationLogBytes, WhatTheLedgerNeverRecordsIsCorruption) {
  ASSERT_EQ(saved_[kRole], static_cast<char>(ConsultationRole::kEmployer));
  testing::expect_refuses_what_save_never_writes(saved_, 4, load);
  for (const char role : {char{3}, static_cast<char>(ConsultationRole::kAuditor)}) {  // no such role; an auditor with an employer
    std::string b = saved_;
    b[kRole] = role;
    EXPECT_EQ(load(testing::recrc(b)).code(), Code::kCorruption) << int{role};
  }
  std::string channel = saved_;
  channel[kRole + 1] = static_cast<char>(ConsultationChannel::kAuditor);  // an employer reading as an auditor
  EXPECT_EQ(load(testing::recrc(channel)).code(), Code::kCorruption);
  std::string scope = saved_;
  scope[kRole + 1 + 1 + 4] = ' ';  // not a view's name
  EXPECT_EQ(load(testing::recrc(scope)).code(), Code::kCorruption);
  std::string citizen = saved_;
  for (size_t i = 0; i < 8; ++i) citizen[8 + i] = 0;  // no citizen
  EXPECT_EQ(load(testing::recrc(citizen)).code(), Code::kCorruption);
}

// tests/data/checkpoint_v5: a log of 4 partitions (generate --students 3 --seed 3, ingested) and
// the checkpoint `serve` wrote at its stop after two auditor reads of each of two students, by the
// build before this read model (the engine's state kept consultations then, ledger state version 5).
// A state older than today's lacks what only a fold of the log gives (each period's place in
// processing order, ledger state version 9): it is refused, naming the way out, and a fold from
// the log's start has every consultation.
TEST(ConsultationLogUpgrade, ACheckpointOfAnOlderStateIsRefusedAndTheLogGivesEveryConsultation) {
  testing::TempDir dir;
  for (const char* name : {"ledger.db", "checkpoint.db"})
    std::filesystem::copy_file(std::string(DIMONA_TEST_DATA_DIR) + "/checkpoint_v5/" + name, dir.file(name));
  LogOptions log_options;
  log_options.create_if_missing = false;
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + dir.file("ledger.db"), log_options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();

  ProjectorOptions from_checkpoint;
  from_checkpoint.checkpoint_path = dir.file("checkpoint.db");
  Result<std::unique_ptr<Projector>> old = Projector::open(**log, from_checkpoint);
  ASSERT_FALSE(old.is_ok());
  EXPECT_EQ(old.status().code(), Code::kFailedPrecondition) << old.status().to_string();
  EXPECT_NE(old.status().message().find("ledger state version 5"), std::string::npos) << old.status().to_string();
  EXPECT_NE(old.status().message().find("replay --rebuild"), std::string::npos) << old.status().to_string();

  Result<std::unique_ptr<Projector>> replayed = Projector::open(**log, ProjectorOptions{});
  ASSERT_TRUE(replayed.is_ok());
  ASSERT_TRUE((*replayed)->catch_up().is_ok());
  for (const Ssin student : {Ssin{58410400126}, Ssin{7082220348}}) {
    const std::vector<Consultation> seen = consultations_of(**replayed, student);
    ASSERT_EQ(seen.size(), 2u) << student.value;
    for (const Consultation& c : seen) {
      EXPECT_EQ(c.role, ConsultationRole::kAuditor);
      EXPECT_EQ(c.scope, "studentBalance");
      EXPECT_EQ(c.auditor, "ins-7");
    }
    EXPECT_GT(seen[0].at, seen[1].at);
  }
}

}  // namespace
}  // namespace dimona
