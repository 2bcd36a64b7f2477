// dimona-ledger: the command line of the Dimona Ledger.
#include <CLI/CLI.hpp>
#include <bit>
#include <charconv>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/cli_support.h"
#include "api/commands.h"
#include "api/params.h"
#include "engine/base/limits.h"
#include "engine/base/time.h"

namespace {

// CLI::Range converts with strtoull/strtoll in base 0, so an unsigned option took "-1" as its
// largest value, a number past its type's end as that end, and "0x10" or "010" in other bases.
// Every whole-number option takes plain decimal digits within [lo, hi]; the text is then
// rewritten without leading zeros, so CLI11's own conversion reads the value checked here.
// A bound as the usage shows it: the failure message withholds every number of nine digits or
// more (it may be an SSIN), so the large bounds are written as powers of two.
template <typename T>
std::string bound_text(T v) {
  const auto u = static_cast<uint64_t>(v);
  if (u == UINT64_MAX) return "2^64-1";
  if (u == static_cast<uint64_t>(INT64_MAX)) return "2^63-1";
  if (u >= (uint64_t{1} << 30) && (u & (u - 1)) == 0) return "2^" + std::to_string(std::countr_zero(u));
  return std::to_string(v);
}

template <typename T>
CLI::Validator whole_number(T lo, T hi) {
  const std::string range = "[" + bound_text(lo) + " - " + bound_text(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        const auto [stop, ec] = std::from_chars(text.data(), end, value);
        if (!digits || ec != std::errc() || stop != end || value < lo || value > hi)
          return "Value " + text + " not a whole number in " + range;
        text = std::to_string(value);
        return std::string();
      },
      range, "WHOLE_NUMBER");
}

// The data folder, from --data or DIMONA_DATA: named, and a folder when it exists (a write
// command makes a missing one). An empty name would be read as "/" (its files /ledger.db...).
std::string data_folder_fault(const std::string& path) {
  if (path.empty()) return "empty: name the data folder";
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec))
    return path + " is not a directory";
  return std::string();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dimona::cli;
  CLI::App app{"Dimona Ledger: an event-sourced ledger of Belgian employment declarations"};
  app.require_subcommand(1);
  // A usage error is one line, as every other error of the command line (--help shows the usage).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    // CLI11 repeats the value it refuses: a number that may be an SSIN is withheld (no log line
    // holds one in clear).
    return "dimona-ledger: " + withhold_long_numbers(e.what()) + " (--help shows the usage)\n";
  });
  CommonOptions common;
  if (const char* env = std::getenv("DIMONA_DATA")) common.data_dir = env;
  if (const char* env = std::getenv("DIMONA_LOG")) common.log_uri = env;
  auto add_common = [&common](CLI::App* cmd) {
    cmd->add_option("--data", common.data_dir, "Data directory holding ledger.db (env DIMONA_DATA)")
        ->check(CLI::Validator([](std::string& path) { return data_folder_fault(path); }, "FOLDER"));
    cmd->add_option("--log", common.log_uri,
                    "The event log: sqlite:PATH (default DATA/ledger.db) or kafka://HOST:PORT/TOPIC (env DIMONA_LOG)");
    cmd->add_option("--quota", common.quota_path, "Quota table (default: schemas/quota.json)");
    cmd->add_option("--partitions", common.partitions, "Partitions of a new log")->transform(whole_number(1, 1024));
    cmd->add_option("--secret-file", common.secret_file, "Server secret for access codes and tokens (default DATA/secret.key)");
    cmd->add_option("--recorded-at-skew", common.recorded_at_skew_seconds,
                    "Seconds an imported recordedAt may be ahead of the clock (default one day)")
        ->transform(whole_number(int64_t{0}, int64_t{10} * 366 * 24 * 3600));
    cmd->add_option("--language", common.language, "Language of employer names: nl, fr, de or en (default: $LANG)")
        ->check(CLI::IsMember({"nl", "fr", "de", "en"}));
    cmd->add_option("--keep-checkpoints", common.keep_checkpoints,
                    "Checkpoints kept in DATA/checkpoint.db, spread over the ledger's time (default 8)")
        ->transform(whole_number(size_t{1}, dimona::limits::checkpoints_kept_max));
  };

  // The audit's two axes (docs/audit.md), on the commands that only read.
  std::string as_of_text, valid_on_text;
  const CLI::Validator instant_check(
      [](std::string& text) -> std::string {
        return dimona::api::parse_as_of(text) ? "" : std::string(dimona::api::kAsOfExpected);
      },
      "INSTANT");
  const CLI::Validator day_check(
      [](std::string& text) -> std::string {
        return dimona::api::parse_valid_on(text) ? "" : std::string(dimona::api::kValidOnExpected);
      },
      "DAY");
  auto add_axes = [&](CLI::App* cmd) {
    cmd->add_option("--as-of", as_of_text, "Answer from the ledger's state at this instant (or the end of this day)")
        ->check(instant_check);
    cmd->add_option("--valid-on", valid_on_text, "The day the views stop at: periods started and hours worked by then")
        ->check(day_check);
  };

  GenerateOptions generate;
  CLI::App* gen = app.add_subcommand("generate", "Write a realistic NDJSON year of declarations");
  gen->add_option("--year", generate.year, "Calendar year (the generator checks its range)");
  gen->add_option("--students", generate.students, "Number of students (the scale of the year)")
      ->transform(whole_number(uint64_t{1}, uint64_t{50'000'000}));
  gen->add_option("--seed", generate.seed, "Random seed: the same seed gives the same bytes")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            uint64_t value = 0;  // digits only, within 64 bits: "-1" or 2^64 must not wrap to another seed
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            return !text.empty() && error == std::errc() && end == text.data() + text.size()
                       ? ""
                       : "expected a whole number 0.." + std::to_string(UINT64_MAX);
          },
          "UINT64"));
  gen->add_option("--bad-share", generate.bad_share, "Share of bad declarations")->check(CLI::Range(0.0, 0.5));
  gen->add_option("-o,--out", generate.out, "Output file, - for stdout");
  gen->add_option("--kbo", generate.kbo, "Also write the employers' register extract (enterprise.csv, denomination.csv) to this folder");

  IngestOptions ingest;
  CLI::App* ing = app.add_subcommand("ingest", "Decode, decide and append an NDJSON file (or a Kafka topic) of declarations and actions");
  ing->add_option("input", ingest.input, "NDJSON file, - for stdin, or kafka://HOST:PORT/TOPIC (docs/kafka.md, Input topic)")->required();
  ing->add_flag("--strict", ingest.strict, "Stop at the first malformed line");
  ing->add_flag("--follow", ingest.follow, "A topic: keep reading new records until SIGINT or SIGTERM");
  ing->add_option("--report", ingest.report, "Where refused and malformed lines are reported");
  add_common(ing);

  InspectOptions inspect;
  CLI::App* log = app.add_subcommand("log", "Inspect the event log, or stream its records (dump, tail)");
  log->require_subcommand(1);
  CLI::App* ins = log->add_subcommand("inspect", "Batches, offsets, time range and integrity of the log");
  ins->add_flag("!--no-verify", inspect.verify, "Skip reading every batch (index only)");
  add_common(ins);
  LogDumpOptions log_dump;
  CLI::App* dmp = log->add_subcommand("dump", "The log's records as NDJSON, partition by partition, up to its end now");
  dmp->add_option("--partition", log_dump.partition, "One partition (default: every one)")
      ->transform(whole_number(int64_t{0}, int64_t{1023}));
  auto* from_offset = dmp->add_option("--from-offset", log_dump.from_offset, "From this offset of each partition")
                          ->transform(whole_number(int64_t{0}, INT64_MAX));
  auto* from_instant = dmp->add_option("--from", log_dump.from, "From the first record recorded at or after this instant or day");
  from_offset->excludes(from_instant);
  dmp->add_option("--limit", log_dump.limit, "At most this many records in all (default: no limit)")
      ->transform(whole_number(uint64_t{1}, UINT64_MAX));
  add_common(dmp);
  LogTailOptions log_tail;
  CLI::App* tal = log->add_subcommand("tail", "The last records of each partition as NDJSON; --follow waits for new ones");
  tal->add_option("--partition", log_tail.partition, "One partition (default: every one)")
      ->transform(whole_number(int64_t{0}, int64_t{1023}));
  tal->add_option("-n,--lines", log_tail.lines, "Records per partition (default 10)")
      ->transform(whole_number(uint64_t{0}, log_tool_limits::tail_lines_max));
  tal->add_flag("-f,--follow", log_tail.follow, "Then print new records as they come, until Ctrl-C or SIGTERM");
  add_common(tal);

  KafkaMockOptions mock;
  CLI::App* kmk = app.add_subcommand("kafka-mock", "librdkafka's mock Kafka cluster on 127.0.0.1 for local trials; prints its bootstrap address");
  kmk->add_option("--brokers", mock.brokers, "Mock brokers (default 1)")->transform(whole_number(1, 16));
  kmk->add_option(
         "--port", mock.port,
         "A stable bootstrap port on 127.0.0.1 (forwarded to the first broker; default: the mock's own, ephemeral)")
      ->transform(whole_number(0, 65535));
  kmk->add_option("--topic", mock.topics,
                  "Create this topic, NAME or NAME:PARTITIONS (repeatable), with its keyed tables' topics "
                  "NAME.reference, NAME.owners and NAME.directory (one partition each)");
  kmk->add_option("--partitions", mock.partitions, "Partitions of each --topic (default 16)")
      ->transform(whole_number(1, 1024));

  ReplayOptions replay;
  CLI::App* rep = app.add_subcommand("replay", "Fold the log into the read models, from the last checkpoint");
  rep->add_option("--threads", replay.threads, "Worker threads (default: the cores)")->transform(whole_number(1, 256));
  rep->add_flag("--rebuild", replay.rebuild, "Drop the checkpoint and fold the whole log again");
  rep->add_option("--checkpoint-every", replay.checkpoint_every_events, "Events between two checkpoints")
      ->transform(whole_number(uint64_t{1}, uint64_t{1} << 40));
  add_common(rep);

  CitizenOptions citizen;
  auto add_citizen = [&](CLI::App* cmd) {
    cmd->add_option("ssin", citizen.ssin, "The citizen's SSIN (11 digits)")->required();
    cmd->add_option("--year", citizen.year, "Year (default: previous, current and next)")
        ->transform(whole_number(dimona::limits::read_year_min, dimona::limits::read_year_max));
    cmd->add_flag("--json", citizen.json, "Canonical JSON instead of text");
    add_common(cmd);
    add_axes(cmd);
  };
  CLI::App* bal = app.add_subcommand("balance", "A student's remaining hours, per employer, with the rule behind each figure");
  add_citizen(bal);
  CLI::App* cal = app.add_subcommand("calendar", "A citizen's declared days per employer");
  add_citizen(cal);
  CLI::App* wag = app.add_subcommand("wages", "A student's gross wages of the last four quarters, per employer (seed 001)");
  add_citizen(wag);
  wag->get_option("--year")->description("The four quarters of this year (default: the four before the current one)");

  InterimOptions interim;
  CLI::App* itm = app.add_subcommand("interim", "An interim worker's work relations (Interim@work), with filters");
  itm->add_option("ssin", interim.ssin, "The worker's SSIN (11 digits)")->required();
  itm->add_option("--from", interim.from, "First day, YYYY-MM-DD (default: 1 January of last year)");
  itm->add_option("--to", interim.to, "Last day, YYYY-MM-DD (default: 31 December of next year)");
  itm->add_option("--type", interim.worker_type, "Worker type (STU, OTH, ...)");
  itm->add_option("--agency", interim.agency, "The agency's enterprise number");
  itm->add_option(
      "--user-company", interim.user_company,
      "The user company: its enterprise number, or the name it was declared with (ASCII case and blanks aside)");
  itm->add_flag("--calendar", interim.calendar, "Days worked per agency and user company, instead of the list");
  itm->add_flag("--json", interim.json, "Canonical JSON instead of text");
  add_common(itm);
  add_axes(itm);

  SendOverviewOptions send;
  CLI::App* snd = app.add_subcommand(
      "send-overview",
      "Send a worker's Interim@work overview to their eBox or by e-mail (an interimOverviewSend action)");
  snd->add_option("ssin", send.filter.ssin, "The worker's SSIN (11 digits)")->required();
  snd->add_option("--channel", send.channel, "ebox (default) or email")->default_str("ebox");
  snd->add_option("--email", send.email, "The address, with --channel email");
  snd->add_option("--from", send.filter.from, "First day, YYYY-MM-DD (default: 1 January of last year)");
  snd->add_option("--to", send.filter.to, "Last day, YYYY-MM-DD (default: 31 December of next year)");
  snd->add_option("--type", send.filter.worker_type, "Worker type (STU, OTH, ...)");
  snd->add_option("--agency", send.filter.agency, "The agency's enterprise number");
  snd->add_option("--user-company", send.filter.user_company,
                  "The user company: its enterprise number, or the name it was declared with");
  snd->add_flag("--json", send.json, "The logged event as JSON instead of text");
  add_common(snd);

  AnomaliesOptions anomalies;
  CLI::App* ano = app.add_subcommand("anomalies", "Refused and warned declarations of a citizen or an employer (auditors)");
  auto* by_ssin = ano->add_option("--ssin", anomalies.ssin, "A citizen's SSIN");
  auto* by_employer = ano->add_option("--employer", anomalies.employer, "An employer's enterprise number");
  by_ssin->excludes(by_employer);
  add_common(ano);
  add_axes(ano);


  SubmitOptions submit;
  CLI::App* sub = app.add_subcommand("submit", "Decide and append one declaration or action (docs/actions.md); prints its event");
  sub->add_option("json", submit.input, "The JSON object, or - for stdin")->required();
  add_common(sub);

  AttestOptions attest;
  CLI::App* att = app.add_subcommand("attest", "Issue a Student@work attestation: remaining hours and this month's access code");
  att->add_option("ssin", attest.ssin, "The student's SSIN")->required();
  att->add_option("--year", attest.year, "The current year (default) or, from 1 December, the next")
      ->transform(whole_number(dimona::limits::read_year_min, dimona::limits::read_year_max));
  att->add_flag("--json", attest.json, "JSON instead of text");
  add_common(att);

  AccessCodeOptions code;
  CLI::App* acc = app.add_subcommand("access-code", "What an employer holding an access code sees: the remaining hours, nothing else");
  acc->add_option("code", code.code, "The code, XXXXX-XXXXX")->required();
  acc->add_option("--date", code.date, "The day of the lookup: the ledger as it stood by then (default: today)");
  add_common(acc);
  add_axes(acc);

  ConsentOptions consent;
  CLI::App* con = app.add_subcommand("consent", "Citizens' consents to employers (seed 003)");
  con->require_subcommand(1);
  CLI::App* con_check = con->add_subcommand("check", "May EMPLOYER see SCOPE of SSIN at an instant? With the reason, and the data if so");
  con_check->add_option("--ssin", consent.ssin, "The citizen")->required();
  con_check->add_option("--employer", consent.employer, "Enterprise number, or nsso:NUMBER")->required();
  con_check->add_option("--scope", consent.scope, "FLEXI or STUDENT_BALANCE")->required();
  con_check->add_option("--at", consent.at, "Instant, or a day: its end in Brussels (default: now)");
  con_check
      ->add_option("--year", consent.year,
                   "STUDENT_BALANCE: the year hired for (default: the current one; the next from 1 December)")
      ->transform(whole_number(dimona::limits::read_year_min, dimona::limits::read_year_max));
  con_check->add_option(
      "--quarter", consent.quarter,
      "FLEXI: the quarter hired for, YYYY-Qn (default: the current one; the next once its flexi Dimona may be sent)");
  add_common(con_check);
  add_axes(con_check);
  CLI::App* con_list = con->add_subcommand("list", "A citizen's answers, or an employer's requests with their status");
  auto* con_ssin = con_list->add_option("--ssin", consent.ssin, "The citizen");
  auto* con_employer = con_list->add_option("--employer", consent.employer, "The employer");
  con_ssin->excludes(con_employer);
  add_common(con_list);
  add_axes(con_list);

  FlexiOptions flexi;
  CLI::App* flx = app.add_subcommand("flexi", "Flexi-job eligibility for a quarter (rule 13), with the figures used");
  flx->add_option("ssin", flexi.ssin, "The citizen")->required();
  flx->add_option("--quarter", flexi.quarter, "YYYY-Qn (default: the current quarter)");
  flx->add_option("--employer", flexi.employer, "The flexi employer, enterprise number or nsso:NUMBER (its own occupation does not count)");
  flx->add_option("--reduction", flexi.reduction, "What counts as a reduction: strict, ignore, tolerance:F");
  add_common(flx);
  add_axes(flx);

  CareerBreakOptions brk;
  CLI::App* cb = app.add_subcommand("career-break", "Career-break requests and notifications (seed 004)");
  cb->require_subcommand(1);
  CLI::App* cb_list = cb->add_subcommand("list", "The employer's overview of the last two years, with filters");
  cb_list->add_option("--employer", brk.employer, "Enterprise number, or nsso:NUMBER")->required();
  cb_list->add_option("--kind", brk.kind, "Leave kind (TIME_CREDIT, PARENTAL_LEAVE, ...)");
  cb_list->add_option("--fraction", brk.fraction, "FULL, 1/2, 1/5, 1/10");
  cb_list->add_option("--status", brk.status, "A request or notification state (SUBMITTED, ...)");
  cb_list->add_option("--ssin", brk.ssin, "One employee");
  cb_list->add_option("--from", brk.from, "Breaks meeting this day or later");
  cb_list->add_option("--to", brk.to, "Breaks meeting this day or earlier");
  cb_list->add_option("--now", brk.now, "The day the two years count back from (default: today)");
  cb_list->add_flag("--auditor", brk.auditor, "Show every request's detail");
  add_common(cb_list);
  add_axes(cb_list);
  CLI::App* cb_show = cb->add_subcommand("show", "One request in full");
  cb_show->add_option("ticket", brk.ticket, "The ticket number")->required();
  cb_show->add_option("--employer", brk.employer, "The employer asking (refused once the employee completed their part)");
  add_common(cb_show);
  add_axes(cb_show);

  CLI::App* cb_employee =
      cb->add_subcommand("employee", "The employee's own requests and notifications, every employer's");
  cb_employee->add_option("ssin", brk.ssin, "The employee's SSIN")->required();
  add_common(cb_employee);
  add_axes(cb_employee);

  InboxOptions inbox;
  CLI::App* box = app.add_subcommand(
      "inbox", "The citizen's inbox: attestations, ONEM decisions and interim overviews, kept two months");
  box->require_subcommand(1);
  CLI::App* box_list = box->add_subcommand("list", "The messages still kept, newest first");
  box_list->add_option("ssin", inbox.ssin, "The citizen's SSIN")->required();
  box_list->add_flag("--json", inbox.json, "JSON instead of text");
  box_list->add_flag("--archived", inbox.archived, "The archived messages instead");
  add_common(box_list);
  add_axes(box_list);
  CLI::App* box_read = box->add_subcommand("read", "One message in full");
  box_read->add_option("ssin", inbox.ssin, "The citizen's SSIN")->required();
  box_read->add_option("message", inbox.message, "The message id (12 digits)")->required();
  box_read->add_flag("--json", inbox.json, "JSON instead of text");
  add_common(box_read);
  add_axes(box_read);
  CitizenOptions consulted;
  CLI::App* cons = app.add_subcommand("consultations", "Who consulted the citizen's data, newest first (docs/audit.md \"Who looked\")");
  cons->add_option("ssin", consulted.ssin, "The citizen's SSIN")->required();
  cons->add_flag("--json", consulted.json, "JSON instead of text");
  add_common(cons);
  add_axes(cons);
  CLI::App* box_archive = box->add_subcommand("archive", "Archive a message (an inboxArchive action)");
  box_archive->add_option("ssin", inbox.ssin, "The citizen's SSIN")->required();
  box_archive->add_option("message", inbox.message, "The message id (12 digits)")->required();
  add_common(box_archive);

  OutboxRelayOptions outbox;
  CLI::App* obx = app.add_subcommand(
      "outbox", "The inbox's messages and e-mailed overviews for a delivery service (docs/actions.md, Outbox)");
  obx->require_subcommand(1);
  CLI::App* obx_relay = obx->add_subcommand("relay",
                                            "Append each inbox message (an accepted attestation, ONEM decision or "
                                            "overview sent) to the outbox log, once, from where the outbox ends");
  obx_relay->add_option("--outbox", outbox.outbox,
                        "The outbox log's URI (default: beside the events log: kafka://…/TOPIC.outbox, "
                        "sqlite:DATA/ledger.outbox.db)");
  obx_relay->add_flag("-f,--follow", outbox.follow, "Then relay new events as they come, until Ctrl-C or SIGTERM");
  add_common(obx_relay);

  EmployersImportOptions employers;
  CLI::App* emp = app.add_subcommand("employers", "The employer reference (KBO/BCE open data, docs/employers.md)");
  emp->require_subcommand(1);
  CLI::App* emp_import = emp->add_subcommand("import", "Read a full or update extract (folder or ZIP) into DATA/employers.db");
  emp_import->add_option("extract", employers.extract, "The extract: a folder or a ZIP of the register's CSV files")->required();
  add_common(emp_import);

  ServeOptions serve;
  CLI::App* srv = app.add_subcommand("serve", "The REST API (Belgif /v1) over the live ledger; SIGTERM stops it cleanly");
  srv->add_option("--address", serve.address, "Address to listen on")->envname("DIMONA_ADDRESS");
  srv->add_option("--port", serve.port, "Port (0: any free one)")
      ->envname("DIMONA_PORT")
      ->transform(whole_number(0, 65535));
  srv->add_option("--input", serve.input, "An input topic kafka://HOST:PORT/TOPIC of declarations and actions to decide (docs/kafka.md, Input topic)")->envname("DIMONA_INPUT");
  srv->add_option("--group", serve.group,
                  "Scale-out: join this consumer group on the Kafka events log and serve the partitions it gives "
                  "(docs/kafka.md, Scale-out)")->envname("DIMONA_GROUP");
  srv->add_option("--advertise", serve.advertise,
                  "With --group: the base URL the other members redirect to (default http://ADDRESS:PORT)")
      ->envname("DIMONA_ADVERTISE");
  srv->add_option("--io-threads", serve.io_threads, "I/O threads")
      ->transform(whole_number(1, 64))
      ->envname("DIMONA_IO_THREADS");
  srv->add_option("--projector-threads", serve.projector_threads, "Fold threads")->transform(whole_number(1, 64));
  srv->add_option("--tls-cert", serve.tls_certificate, "TLS certificate chain (PEM)")->envname("DIMONA_TLS_CERT");
  srv->add_option("--tls-key", serve.tls_private_key, "TLS private key (PEM)")->envname("DIMONA_TLS_KEY");
  srv->add_flag("!--no-prewarm", serve.prewarm,
                "Do not read the embedded log into the page cache once the partitions are loaded (default: read "
                "while free memory lasts, docs/operations.md \"Prewarming the log\")");
  srv->add_flag("!--no-reader-cache", serve.reader_cache,
                "On a Kafka log: keep no local copy of its records for reads by offset (default: DATA/reader-cache.db, "
                "docs/kafka.md \"The reader cache\")");
  srv->add_flag("--portal-sign-in", serve.portal_sign_in,
                "Development only: the portal's sign-in form (/portal/) mints tokens with the development key "
                "for anyone who reaches the server; refused with --jwks (docs/portal.md)");
  srv->add_option("--jwks", serve.jwks, "JWKS file of the token issuer (default: the development key)")->envname("DIMONA_JWKS");
  srv->add_option("--issuer", serve.issuer, "Expected token issuer")->envname("DIMONA_ISSUER");
  srv->add_option("--audience", serve.audience, "Expected token audience")->envname("DIMONA_AUDIENCE");
  srv->add_option("--public-url", serve.public_url, "The base URL of links")->envname("DIMONA_PUBLIC_URL");
  srv->add_option("--trusted-proxy", serve.trusted_proxy,
                  "Address of a reverse proxy: its X-Forwarded-For names the client for rate limits")
      ->envname("DIMONA_TRUSTED_PROXY");
  srv->add_option("--connections-max", serve.connections_max, "Open connections, all clients together")
      ->transform(whole_number(size_t{1}, dimona::api::http_limits::connections_configurable_max))
      ->envname("DIMONA_CONNECTIONS_MAX");
  srv->add_option("--connections-per-client-max", serve.connections_per_client_max,
                  "Open connections from one client address")
      ->transform(whole_number(size_t{1}, dimona::api::http_limits::connections_configurable_max))
      ->envname("DIMONA_CONNECTIONS_PER_CLIENT_MAX");
  srv->add_option("--outbox", serve.outbox,
                  "Also run the outbox relay (docs/kafka.md, Outbox) into this log URI, on a thread")
      ->envname("DIMONA_OUTBOX");
  add_common(srv);

  TokenOptions token;
  CLI::App* tok = app.add_subcommand("token", "Mint a bearer token with the local development key (demo and tests)");
  tok->add_option("--role", token.role, "citizen, employer, agency, auditor or declarant")->required();
  tok->add_option("--ssin", token.ssin, "The citizen's SSIN (role citizen)");
  tok->add_option("--enterprise-number", token.enterprise_number, "The enterprise (employer, agency; optional for a declarant)");
  tok->add_option("--subject", token.subject, "The sub claim");
  tok->add_option("--lifetime", token.lifetime_seconds, "Seconds")
      ->transform(whole_number(int64_t{1}, int64_t{86'400}));
  tok->add_option("--issuer", token.issuer, "The iss claim");
  tok->add_option("--audience", token.audience, "The aud claim");
  add_common(tok);

  ExportOptions exp;
  AuditOptions audit;
  CLI::App* aud = app.add_subcommand("audit", "The ledger at an instant, its state hash, and proofs (docs/audit.md)");
  aud->require_subcommand(1);
  CLI::App* aud_rebuild = aud->add_subcommand(
      "rebuild", "Every read model as the ledger had them at --as-of: the nearest earlier checkpoint, then the log");
  aud_rebuild->add_option("-o,--out", audit.out, "Output file, - for stdout");
  add_common(aud_rebuild);
  add_axes(aud_rebuild);
  aud_rebuild->get_option("--as-of")->required();
  CLI::App* aud_hash = aud->add_subcommand("state-hash", "The hash of the state (at --as-of, or now) and the offsets it covers");
  add_common(aud_hash);
  add_axes(aud_hash);
  CLI::App* aud_verify = aud->add_subcommand(
      "verify", "Fold the log alone and compare: with every kept checkpoint's hash, or with --expect HASH at --as-of");
  aud_verify->add_option("--expect", audit.expect, "A state hash from elsewhere (GET /v1/audit/stateHash, another machine)");
  add_common(aud_verify);
  add_axes(aud_verify);
  CLI::App* aud_events = aud->add_subcommand(
      "events", "Every event of a citizen, with its offset, recordedAt, decision and rules, as NDJSON (--as-of: recorded by then)");
  aud_events->add_option("--ssin", audit.ssin, "The citizen's SSIN (11 digits)")->required();
  add_common(aud_events);
  add_axes(aud_events);

  CLI::App* ex = app.add_subcommand("export", "Every read model as canonical JSON lines (byte-identical across replays)");
  ex->add_option("-o,--out", exp.out, "Output file, - for stdout");
  add_common(ex);
  add_axes(ex);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const bool uses_data = !gen->parsed() && !kmk->parsed();
  if (const std::string fault = data_folder_fault(common.data_dir);
      uses_data && !fault.empty()) {  // DIMONA_DATA: no check
    std::fprintf(stderr, "dimona-ledger: the data folder (--data, DIMONA_DATA): %s\n", fault.c_str());
    return 105;  // CLI11's code for a value that fails its check, as --data's own
  }
  if (!as_of_text.empty()) common.as_of = dimona::api::parse_as_of(as_of_text);  // checked by instant_check
  if (!valid_on_text.empty()) common.valid_on = dimona::api::parse_valid_on(valid_on_text);
  if (gen->parsed()) return run_generate(generate);
  if (ing->parsed()) return run_ingest(common, ingest);
  if (ins->parsed()) return run_log_inspect(common, inspect);
  if (dmp->parsed()) return run_log_dump(common, log_dump);
  if (tal->parsed()) return run_log_tail(common, log_tail);
  if (kmk->parsed()) return run_kafka_mock(mock);
  if (rep->parsed()) return run_replay(common, replay);
  if (bal->parsed()) return run_balance(common, citizen);
  if (cal->parsed()) return run_calendar(common, citizen);
  if (wag->parsed()) return run_wages(common, citizen);
  if (box_list->parsed()) return run_inbox_list(common, inbox);
  if (box_read->parsed()) return run_inbox_read(common, inbox);
  if (box_archive->parsed()) return run_inbox_archive(common, inbox);
  if (cons->parsed()) return run_consultations(common, consulted);
  if (ex->parsed()) return run_export(common, exp);
  if (aud_rebuild->parsed()) return run_audit_rebuild(common, audit);
  if (aud_hash->parsed()) return run_audit_state_hash(common, audit);
  if (aud_verify->parsed()) return run_audit_verify(common, audit);
  if (itm->parsed()) return run_interim(common, interim);
  if (ano->parsed()) return run_anomalies(common, anomalies);
  if (aud_events->parsed()) return run_audit_events(common, audit);
  if (sub->parsed()) return run_submit(common, submit);
  if (att->parsed()) return run_attest(common, attest);
  if (snd->parsed()) return run_send_overview(common, send);
  if (acc->parsed()) return run_access_code(common, code);
  if (con_check->parsed()) return run_consent_check(common, consent);
  if (con_list->parsed()) return run_consent_list(common, consent);
  if (flx->parsed()) return run_flexi(common, flexi);
  if (cb_list->parsed()) return run_career_break_list(common, brk);
  if (cb_show->parsed()) return run_career_break_show(common, brk);
  if (cb_employee->parsed()) return run_career_break_employee(common, brk);
  if (obx_relay->parsed()) return run_outbox_relay(common, outbox);
  if (emp_import->parsed()) return run_employers_import(common, employers);
  if (srv->parsed()) return run_serve(common, serve);
  if (tok->parsed()) return run_token(common, token);
  return 2;
}
