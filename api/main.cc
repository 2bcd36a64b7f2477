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

  ReplayOptions replay;
  CLI::App* rep = app.add_subcommand("replay", "Fold the log into the read models, from the last checkpoint");
  rep->add_option("--threads", replay.threads, "Worker threads (default: the cores)")->check(CLI::Range(1, 256));
  rep->add_flag("--rebuild", replay.rebuild, "Drop the checkpoint and fold the whole log again");
  rep->add_option("--checkpoint-every", replay.checkpoint_every_events, "Events between two checkpoints")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  add_common(rep);

  CitizenOptions citizen;
  auto add_citizen = [&](CLI::App* cmd) {
    cmd->add_option("ssin", citizen.ssin, "The citizen's SSIN (11 digits)")->required();
    cmd->add_option("--year", citizen.year, "Year (default: previous, current and next)")->check(CLI::Range(2000, 2099));
    cmd->add_flag("--json", citizen.json, "Canonical JSON instead of text");
    add_common(cmd);
  };
  CLI::App* bal = app.add_subcommand("balance", "A student's remaining hours, per employer, with the rule behind each figure");
  add_citizen(bal);
  CLI::App* cal = app.add_subcommand("calendar", "A citizen's declared days per employer");
  add_citizen(cal);

  InterimOptions interim;
  CLI::App* itm = app.add_subcommand("interim", "An interim worker's work relations (Interim@work), with filters");
  itm->add_option("ssin", interim.ssin, "The worker's SSIN (11 digits)")->required();
  itm->add_option("--from", interim.from, "First day, YYYY-MM-DD (default: 1 January of last year)");
  itm->add_option("--to", interim.to, "Last day, YYYY-MM-DD (default: 31 December of next year)");
  itm->add_option("--type", interim.worker_type, "Worker type (STU, OTH, ...)");
  itm->add_option("--agency", interim.agency, "The agency's enterprise number");
  itm->add_option("--user-company", interim.user_company, "The user company's enterprise number");
  itm->add_flag("--json", interim.json, "Canonical JSON instead of text");
  add_common(itm);

  AnomaliesOptions anomalies;
  CLI::App* ano = app.add_subcommand("anomalies", "Refused and warned declarations of a citizen or an employer (auditors)");
  auto* by_ssin = ano->add_option("--ssin", anomalies.ssin, "A citizen's SSIN");
  auto* by_employer = ano->add_option("--employer", anomalies.employer, "An employer's enterprise number");
  by_ssin->excludes(by_employer);
  add_common(ano);

  ExportOptions exp;
  CLI::App* ex = app.add_subcommand("export", "Every read model as canonical JSON lines (byte-identical across replays)");
  ex->add_option("-o,--out", exp.out, "Output file, - for stdout");
  add_common(ex);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (gen->parsed()) return run_generate(generate);
  if (ing->parsed()) return run_ingest(common, ingest);
  if (ins->parsed()) return run_log_inspect(common, inspect);
  if (rep->parsed()) return run_replay(common, replay);
  if (bal->parsed()) return run_balance(common, citizen);
  if (cal->parsed()) return run_calendar(common, citizen);
  if (ex->parsed()) return run_export(common, exp);
  if (itm->parsed()) return run_interim(common, interim);
  if (ano->parsed()) return run_anomalies(common, anomalies);
  return 2;
}
