// dimona-ledger: the command line of the Dimona Ledger.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "api/commands.h"

int main(int argc, char** argv) {
  using namespace dimona::cli;
  CLI::App app{"Dimona Ledger: an event-sourced ledger of Belgian employment declarations"};
  app.require_subcommand(1);
  CommonOptions common;
  if (const char* env = std::getenv("DIMONA_DATA")) common.data_dir = env;
  auto add_common = [&common](CLI::App* cmd) {
    cmd->add_option("--data", common.data_dir, "Data directory holding ledger.db (env DIMONA_DATA)");
    cmd->add_option("--quota", common.quota_path, "Quota table (default: schemas/quota.json)");
    cmd->add_option("--partitions", common.partitions, "Partitions of a new log")->check(CLI::Range(1, 1024));
  };

  GenerateOptions generate;
  CLI::App* gen = app.add_subcommand("generate", "Write a realistic NDJSON year of declarations");
  gen->add_option("--year", generate.year, "Calendar year")->check(CLI::Range(2017, 2099));
  gen->add_option("--students", generate.students, "Number of students (the scale of the year)")->check(CLI::Range(uint64_t{1}, uint64_t{50'000'000}));
  gen->add_option("--seed", generate.seed, "Random seed: the same seed gives the same bytes");
  gen->add_option("--bad-share", generate.bad_share, "Share of bad declarations")->check(CLI::Range(0.0, 0.5));
  gen->add_option("-o,--out", generate.out, "Output file, - for stdout");

  IngestOptions ingest;
  CLI::App* ing = app.add_subcommand("ingest", "Decode, decide and append an NDJSON file of declarations");
  ing->add_option("input", ingest.input, "NDJSON file, or - for stdin")->required();
  ing->add_flag("--strict", ingest.strict, "Stop at the first malformed line");
  ing->add_option("--report", ingest.report, "Where refused and malformed lines are reported");
  add_common(ing);

  InspectOptions inspect;
  CLI::App* log = app.add_subcommand("log", "Inspect the event log");
  log->require_subcommand(1);
  CLI::App* ins = log->add_subcommand("inspect", "Batches, offsets, time range and integrity of the log");
  ins->add_flag("!--no-verify", inspect.verify, "Skip reading every batch (index only)");
  add_common(ins);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (gen->parsed()) return run_generate(generate);
  if (ing->parsed()) return run_ingest(common, ingest);
  if (ins->parsed()) return run_log_inspect(common, inspect);
  return 2;
}
