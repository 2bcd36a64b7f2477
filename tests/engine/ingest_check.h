// Test support for ingests under faults (kafka_fault_test.cc,
// ingest_simulation_test.cc): a generated year as input, the one ingest run,
// "every line exactly once" read back from a log, the Projector's export of a
// log, and AppendHookLog, a Log that calls a hook before each append (on the
// thread that appends: the Ledger's committer), so a fault lands between two
// chosen appends of an ingest, mid-group included.
//
// The oracle of every check is a clean ingest of the same file into a fresh
// memory: log (clean_run): the lines it logs, each once, and its export bytes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/generator/generator.h"
#include "engine/ingest.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "engine/quota_schedule.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "tests/engine/log_test_support.h"

namespace dimona::testing {

// A generated year (bench/generator) of `students` students: declarations
// and actions, a few bad lines, recordedAt on every line.
inline void write_year(const std::string& path, uint64_t students, uint64_t seed) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  GeneratorOptions options;
  options.year = 2025;
  options.students = students;
  options.seed = seed;
  Result<GeneratorStats> stats = generate(options, [f](std::string_view chunk) {
    return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size() ? Status::ok() : io_error("write");
  });
  std::fclose(f);
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
}

// After the generated year: no recordedAt of it is in the future.
inline Instant after_the_year() { return *parse_instant("2026-03-01T00:00:00Z"); }

inline const QuotaSchedule& default_schedule() {
  static const QuotaSchedule schedule = [] {
    Result<QuotaSchedule> s = load_quota_schedule("");
    DIMONA_ASSERT(s.is_ok());
    return *s;
  }();
  return schedule;
}

inline Result<std::unique_ptr<Ledger>> open_ledger(Log& log, const Clock& clock) {
  return Ledger::open(log, default_schedule(), clock, ServerSecret::from_passphrase("test"));
}

// One ingest run of `path` through `ledger`, commit groups of `commit_lines`.
inline Result<IngestSummary> ingest(Ledger& ledger, const std::string& path, uint32_t commit_lines) {
  IngestOptions options;
  options.commit_lines = commit_lines;
  return ingest_file(ledger, path, options);
}

// Input line -> how many events of the log came from it ("source":"batch:LABEL:LINE").
inline std::map<uint64_t, int> source_lines(Log& log, const std::string& label) {
  std::map<uint64_t, int> lines;
  const std::string needle = "\"source\":\"batch:" + label + ":";
  for (uint32_t p = 0; p < log.partitions(); ++p)
    for (const LogRecord& r : read_all(log, p))
      if (size_t at = r.payload.find(needle); at != std::string::npos)
        ++lines[std::strtoull(r.payload.c_str() + at + needle.size(), nullptr, 10)];
  return lines;
}

// Every read model of `log`, folded by a fresh Projector (no checkpoint), as export bytes.
inline std::string export_of(Log& log) {
  Result<std::unique_ptr<Projector>> projector = Projector::open(log, ProjectorOptions{});
  EXPECT_TRUE(projector.is_ok()) << projector.status().to_string();
  if (!projector.is_ok()) return {};
  Result<ReplayStats> replay = (*projector)->catch_up();
  EXPECT_TRUE(replay.is_ok()) << replay.status().to_string();
  std::string out;
  Status exported = export_read_models(**projector, [&out](std::string_view line) {
    out.append(line);
    out.push_back('\n');
    return Status::ok();
  });
  EXPECT_TRUE(exported.is_ok()) << exported.to_string();
  return out;
}

// The bytes of the LedgerState folded from the whole log (fold_log).
// One state per partition, merged (as Ledger::merged_state merges a writer's).
inline std::string folded_state(Log& log) {
  std::vector<std::unique_ptr<LedgerState>> parts;
  std::vector<LedgerState*> states;
  std::vector<LedgerState::Part> merging;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    parts.push_back(std::make_unique<LedgerState>());
    states.push_back(parts.back().get());
    merging.push_back(LedgerState::Part{parts.back().get(), {}});
  }
  Status folded = fold_log(log, states);
  EXPECT_TRUE(folded.is_ok()) << folded.to_string();
  LedgerState state;
  Status merged = LedgerState::merge(merging, &state);
  EXPECT_TRUE(merged.is_ok()) << merged.to_string();
  std::string bytes;
  state.save(&bytes);
  return bytes;
}

// The first line where two exports differ, both versions, for a failure message.
inline std::string first_difference(const std::string& got, const std::string& want) {
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  const size_t start = got.rfind('\n', at == 0 ? 0 : at - 1);
  const size_t from = start == std::string::npos ? 0 : start + 1;
  auto line = [from](const std::string& s) { return s.substr(from, std::min<size_t>(s.find('\n', from) - from, 600)); };
  return "  got:  " + line(got) + "\n  want: " + line(want);
}

struct CleanRun {
  std::map<uint64_t, int> lines;  // each logged line, once
  std::string export_bytes;
};

// The oracle: `path` ingested without a fault into a fresh memory: log.
inline CleanRun clean_run(const std::string& path, const std::string& label, uint32_t partitions) {
  LogOptions options;
  options.partitions = partitions;
  std::unique_ptr<Log> log = std::move(open_log("memory:", options)).value();
  ManualClock clock(after_the_year());
  CleanRun clean;
  {
    Result<std::unique_ptr<Ledger>> ledger = open_ledger(*log, clock);
    EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    if (!ledger.is_ok()) return clean;
    Result<IngestSummary> s = ingest(**ledger, path, limits::ingest_commit_declarations);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  }
  clean.lines = source_lines(*log, label);
  clean.export_bytes = export_of(*log);
  return clean;
}

// Fails the test unless `log` holds exactly the clean run's lines, each once,
// and folds into the same export bytes, ids included (each partition counts
// its own ids, so a line decided again after a cut gets a clean run's).
// `what` names the run in messages.
inline void expect_exactly_once(Log& log, const std::string& label, const CleanRun& clean, const std::string& what) {
  const std::map<uint64_t, int> got = source_lines(log, label);
  int shown = 0;
  for (const auto& [line, count] : clean.lines)
    if (auto it = got.find(line); (it == got.end() || it->second != 1) && shown++ < 5)
      ADD_FAILURE() << what << ": line " << line << " is in the log " << (it == got.end() ? 0 : it->second) << " times";
  for (const auto& [line, count] : got)
    if (!clean.lines.count(line) && shown++ < 5) ADD_FAILURE() << what << ": line " << line << " should not be in the log";
  EXPECT_EQ(got.size(), clean.lines.size()) << what;
  std::string exported = export_of(log);
  std::string want = clean.export_bytes;
  EXPECT_TRUE(exported == want)
      << what << ": the export (" << exported.size() << " bytes) differs from a clean ingest's ("
      << want.size() << " bytes); first difference:\n" << first_difference(exported, want);
}

// A Log that forwards to another and calls hook(n) before its n-th append
// (n from 0, over all partitions), on the appending thread.
class AppendHookLog final : public Log {
 public:
  AppendHookLog(Log& inner, std::function<void(int)> hook) : inner_(inner), hook_(std::move(hook)) {}
  int appends() const { return appends_.load(); }

  uint32_t partitions() const override { return inner_.partitions(); }
  std::string uri() const override { return "hooked+" + inner_.uri(); }
  bool fences_writers() const override { return inner_.fences_writers(); }
  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    Result<std::unique_ptr<LogProducer>> p = inner_.open_producer(partition);
    DIMONA_TRY(p);
    return std::unique_ptr<LogProducer>(std::make_unique<Producer>(*this, std::move(*p)));
  }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override { return inner_.open_consumer(); }

 private:
  struct Producer final : LogProducer {
    Producer(AppendHookLog& log, std::unique_ptr<LogProducer> inner) : log_(log), inner_(std::move(inner)) {}
    uint32_t partition() const override { return inner_->partition(); }
    Result<Offset> fence() override { return inner_->fence(); }
    Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
      log_.hook_(log_.appends_++);
      return inner_->append(records);
    }
    AppendHookLog& log_;
    std::unique_ptr<LogProducer> inner_;
  };

  Log& inner_;
  std::function<void(int)> hook_;
  std::atomic<int> appends_{0};
};

}  // namespace dimona::testing
