// A Ledger over an in-memory Log (memory:) with a manual clock and a small quota schedule:
// submit JSON text, get the Submission back.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "tests/engine/log_test_support.h"

namespace dimona::testing {

// A fresh in-memory log of `partitions` partitions (or the one named NAME, shared in the process).
inline std::unique_ptr<Log> memory_log(uint32_t partitions, const std::string& name = "") {
  LogOptions options;
  options.partitions = partitions;
  Result<std::unique_ptr<Log>> log = open_log("memory:" + name, options);
  DIMONA_ASSERT(log.is_ok());
  return std::move(log).value();
}

// An accepted dataConsultation event (who looked) of `citizen`, as the ledger logs one.
inline Event consultation_event(Ssin citizen, Instant at, ConsultationRole role, uint64_t employer,
                                ConsultationChannel channel, std::string_view scope, std::string_view auditor = {}) {
  Event e;
  e.type = event_type_of(ActionKind::kDataConsultation);
  e.recorded_at = at;
  e.ssin = citizen;
  e.action.action.kind = ActionKind::kDataConsultation;
  e.action.action.role = role;
  e.action.action.consultation_channel = channel;
  e.action.action.consulted_scope = scope;
  e.action.action.auditor = auditor;
  e.action.outcome.id = 700000000048;
  e.action.outcome.worker = citizen;
  e.action.outcome.employer = employer;
  return e;
}

// 2024: 600 h; 2025: 475 h (known from 2023-01-01, as schemas/quota.json), then 650 h from
// 2025-07-01 (retroactive).
inline QuotaSchedule test_schedule() {
  Result<QuotaSchedule> s = parse_quota_schedule(R"({"entries":[
    {"firstYear":2024,"lastYear":2024,"hours":600,"effectiveFrom":"2024-01-01","definedAt":"2023-01-01T00:00:00Z","legalSource":"t"},
    {"firstYear":2025,"lastYear":2025,"hours":475,"effectiveFrom":"2025-01-01","definedAt":"2023-01-01T00:00:00Z","legalSource":"t"},
    {"firstYear":2025,"lastYear":2026,"hours":650,"effectiveFrom":"2025-01-01","definedAt":"2025-07-01T00:00:00Z","legalSource":"t"}]})");
  DIMONA_ASSERT(s.is_ok());
  return *s;
}

class LedgerFixture : public ::testing::Test {
 protected:
  explicit LedgerFixture(uint32_t partitions = 4) : log_(memory_log(partitions)) { reopen(); }
  // Closes the Ledger (its producers with it), so a test may append beside it.
  void close() { ledger_.reset(); }

  void reopen() {
    ledger_.reset();
    Result<std::unique_ptr<Ledger>> l = Ledger::open(log_, test_schedule(), clock_, ServerSecret::from_passphrase("test"));
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    ledger_ = std::move(*l);
  }

  // Decodes and submits one declaration; a decode failure fails the test.
  Submission submit(const std::string& json) {
    Result<Submission> s = try_submit(json);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string() << " for " << json;
    return s.is_ok() ? *s : Submission{};
  }

  Result<Submission> try_submit(std::string json) {
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Declaration> d = decoder_.decode(std::string_view(json.data(), size), json.size());
    if (!d.is_ok()) return d.status();
    return ledger_->submit(*d, std::string_view(json.data(), size), "test");
  }

  // Decodes and submits one action (docs/actions.md); a decode failure fails the test.
  ActionSubmission act(const std::string& json) {
    Result<ActionSubmission> s = try_act(json);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string() << " for " << json;
    return s.is_ok() ? *s : ActionSubmission{};
  }

  Result<ActionSubmission> try_act(std::string json) {
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Command> c = decoder_.decode_command(std::string_view(json.data(), size), json.size());
    if (!c.is_ok()) return c.status();
    if (!c->is_action) return invalid_argument("not an action");
    return ledger_->submit_action(c->action, std::string_view(json.data(), size), "test");
  }

  std::string period_of(const Submission& s) { return std::to_string(s.decision.period_id.value); }
  // The writer's partition states merged (a copy each call, kept for the test's life: two calls
  // in one expression both stay valid).
  const LedgerState& state() {
    merged_.push_back(std::make_unique<LedgerState>());
    EXPECT_TRUE(ledger_->merged_state(merged_.back().get()).is_ok());
    return *merged_.back();
  }

  ManualClock clock_{*parse_instant("2025-06-01T08:00:00Z")};
  FaultyLog log_;  // over memory:
  DeclarationDecoder decoder_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::unique_ptr<LedgerState>> merged_;
};

// A valid student IN for employer 0403019261 and worker 05031412595.
inline std::string stu_in(const std::string& start, const std::string& end, int hours,
                          const std::string& ssin = "05031412595", const std::string& employer = "0403019261") {
  return R"({"employer":{"enterpriseNumber":")" + employer + R"("},"worker":{"ssin":")" + ssin +
         R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" + start +
         R"(","endDate":")" + end + R"(","plannedHoursNumber":)" + std::to_string(hours) + "}}";
}

inline bool has_anomaly(const Submission& s, uint32_t code) { return s.decision.has(code); }
// The decision's anomaly codes, for a failure's message ("910008 777001").
inline std::string anomalies_of(const Submission& s) {
  std::string out;
  for (uint8_t i = 0; i < s.decision.anomaly_count; ++i)
    out += (out.empty() ? "" : " ") + std::to_string(s.decision.anomalies[i].code);
  return out;
}

}  // namespace dimona::testing
