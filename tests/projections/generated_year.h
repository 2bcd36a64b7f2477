// What the projector's tests share: a generated year (bench/generator)
// decided and appended into a log by a Ledger, as `ingest` does, and the
// export of a projector's read models.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "bench/generator/generator.h"
#include "engine/ingest.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona::testing {

// Generates `students` students' year from `seed`, ingests it into `log` and
// returns the input's text (a failure fails the calling test).
inline std::string ingest_generated_year(Log& log, uint64_t students, uint64_t seed) {
  TempDir dir;
  const std::string input = dir.file("year.ndjson");
  std::FILE* f = std::fopen(input.c_str(), "wb");
  GeneratorOptions g;
  g.students = students;
  g.seed = seed;
  EXPECT_TRUE(generate(g, [f](std::string_view chunk) {
                std::fwrite(chunk.data(), 1, chunk.size(), f);
                return Status::ok();
              }).is_ok());
  std::fclose(f);
  // After the whole plan (its follow-ups run to December 2026): no recordedAt is ahead of this clock.
  ManualClock clock(*parse_instant("2027-06-01T00:00:00Z"));
  Result<std::unique_ptr<Ledger>> ledger = Ledger::open(log, test_schedule(), clock, ServerSecret::from_passphrase("test"));
  EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  if (!ledger.is_ok()) return {};
  auto summary = ingest_file(**ledger, input, dimona::IngestOptions{});
  EXPECT_TRUE(summary.is_ok()) << summary.status().to_string();
  return read_file(input);
}

// Every read model of `p` as the export's lines (export_read_models).
inline std::string export_of(const Projector& p) {
  std::string out;
  EXPECT_TRUE(export_read_models(p, [&out](std::string_view l) {
                out.append(l);
                return Status::ok();
              }).is_ok());
  return out;
}

}  // namespace dimona::testing
