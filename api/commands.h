// The dimona-ledger subcommands, behind the CLI parser of main.cc.
//
// Contract. Each run_* takes its parsed options, does its work and returns
// the process exit code: 0 on success, 1 on a failure of the work (one line
// "dimona-ledger: <what>: <why>" on stderr), 2 on bad usage. Results go to
// stdout, progress and diagnostics to stderr; no SSIN is printed in clear
// except where the user asked for one citizen's data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "api/ledger_config.h"
#include "engine/base/status.h"

namespace dimona::cli {

// --data, --quota, --partitions, --secret-file: the ledger's configuration;
// --language: the language employer names are shown in (nl, fr, de, en;
// empty: $LANG, else the legal name's).
struct CommonOptions : api::LedgerConfig {
  std::string language;
  std::optional<Date> valid_on;  // --valid-on (docs/audit.md): the day the views that know days stop at
};

struct GenerateOptions {
  int32_t year = 2025;
  uint64_t students = 1000;
  uint64_t seed = 1;
  double bad_share = 0.01;
  std::string out = "-";
  std::string kbo;  // a folder for the employers' register extract (enterprise.csv, denomination.csv); empty: none
};

struct IngestOptions {
  std::string input;   // a file, "-" (stdin), or kafka://HOST:PORT/TOPIC (an input topic)
  bool strict = false;
  bool follow = false;  // a topic: read until SIGINT/SIGTERM, not to the end seen at start
  std::string report;  // empty: <input>.refused.ndjson, refused.ndjson for stdin, TOPIC.refused.ndjson for a topic
};

struct InspectOptions {
  bool verify = true;
};

// kafka-mock: librdkafka's mock cluster on 127.0.0.1 until SIGINT/SIGTERM.
struct KafkaMockOptions {
  int brokers = 1;
  uint16_t port = 0;        // 0: the mock's own ephemeral bootstrap; else a forwarder on 127.0.0.1:port
  uint32_t partitions = 0;  // of each --topic; 0: limits::partitions_default
  std::vector<std::string> topics;  // created at start (--topic, repeatable)
};

// log dump / log tail: the log's records as NDJSON, one per line.
struct LogDumpOptions {
  int64_t partition = -1;     // -1: every partition, one after the other
  int64_t from_offset = -1;   // -1: from the start (or --from)
  std::string from;           // an instant or a day: from the first record recorded at or after it
  uint64_t limit = 0;         // 0: no limit
};

struct LogTailOptions {
  int64_t partition = -1;  // -1: every partition
  uint64_t lines = 10;     // the last `lines` records of each partition
  bool follow = false;     // then wait for new records until SIGINT/SIGTERM
};

// Limits of the log tools (commands_log.cc).
namespace log_tool_limits {
inline constexpr int poll_timeout_ms = 200;            // one poll; also how often --follow looks at signals
inline constexpr int idle_timeout_ms = 30'000;         // no record for this long before a partition's end: kUnavailable
inline constexpr size_t output_buffer_bytes = 1 << 16;  // NDJSON buffered before a write (dump)
inline constexpr uint64_t tail_lines_max = 1'000'000;
}  // namespace log_tool_limits

struct ReplayOptions {
  unsigned threads = 0;  // 0: the cores
  bool rebuild = false;  // drop the checkpoint and fold the whole log again
  uint64_t checkpoint_every_events = 5'000'000;
};

struct CitizenOptions {
  std::string ssin;
  int32_t year = 0;  // 0: the previous, current and next year
  bool json = false;
};

struct InterimOptions {
  std::string ssin;
  std::string from, to;         // YYYY-MM-DD; empty: the previous, current and next year
  std::string worker_type;      // empty: any
  std::string agency;           // enterprise number; empty: any
  std::string user_company;     // enterprise number; empty: any
  bool calendar = false;        // the calendar presentation instead of the list
  bool json = false;
};

// send-overview: the worker's Interim@work overview to their eBox or by e-mail (an
// interimOverviewSend action, seed 002), with the `interim` read's filters.
struct SendOverviewOptions {
  InterimOptions filter;  // ssin and the filters; calendar and json unused
  std::string channel;    // ebox | email (any case)
  std::string email;      // email: the address
  bool json = false;
};

struct AnomaliesOptions {
  std::string ssin;      // one of the two
  std::string employer;  // enterprise number
};

// audit events: a citizen's history (issue 12), as NDJSON.
struct ExportOptions {
  std::string out = "-";
};

// `audit` (docs/audit.md); the instant is CommonOptions::as_of (--as-of).
struct AuditOptions {
  std::string out = "-";  // rebuild: the export
  std::string expect;     // verify: a state hash (64 hex digits) to compare with; empty: every kept checkpoint's
  std::string ssin;       // events: the citizen
};

struct SubmitOptions {
  std::string input;  // one JSON line: a declaration or an action; - for stdin
};

struct AttestOptions {
  std::string ssin;
  int32_t year = 0;  // 0: the current year
  bool json = false;
};

struct AccessCodeOptions {
  std::string code;
  std::string date;  // YYYY-MM-DD; empty: today
};

struct ConsentOptions {
  std::string ssin, employer, scope, at;  // check: all but `at`; list: ssin or employer
  int32_t year = 0;                       // check, STUDENT_BALANCE: the year hired for (0: the current one)
  std::string quarter;                    // check, FLEXI: the quarter hired for (empty: the current one)
};

struct FlexiOptions {
  std::string ssin, quarter, employer, reduction = "strict";
};

struct CareerBreakOptions {
  std::string employer, ticket;  // list: employer; show: ticket (and the employer asking, if any); employee: ssin
  std::string kind, fraction, status, ssin, from, to, now;
  bool auditor = false;
};

struct InboxOptions {
  std::string ssin;
  std::string message;  // read, archive: the message id (12 digits)
  bool json = false;
  bool archived = false;  // list: the archived messages instead
};

// outbox relay: each accepted attestation's message to the outbox log (projections/outbox.h).
struct OutboxRelayOptions {
  std::string outbox;   // a log URI; empty: default_outbox_uri of the events log
  bool follow = false;  // then relay new events as they come, until SIGINT/SIGTERM
};

struct EmployersImportOptions {
  std::string extract;  // a folder or a ZIP of the register's CSV files
};

struct ServeOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  unsigned io_threads = 2;
  unsigned projector_threads = 2;
  std::string tls_certificate, tls_private_key;
  std::string jwks;  // empty: the development key's, DATA/dev-keys/dev-jwks.json
  std::string issuer = "dimona-ledger-dev";
  std::string audience = "dimona-ledger";
  std::string public_url;
  std::string trusted_proxy;  // a reverse proxy's address: its X-Forwarded-For names the client
  std::string outbox;         // a log URI: the outbox relay runs beside the server on a thread; empty: none
  size_t connections_max = api::http_limits::connections_max;                 // open, all clients
  size_t connections_per_client_max = api::http_limits::connections_per_client_max;  // open, one address
  std::string input;  // kafka://HOST:PORT/TOPIC: an input topic fed to the writer (api/input_feeder.h); empty: none
  std::string group;      // a consumer group on the events log: serve the partitions it gives (api/group_service.h)
  std::string advertise;  // with --group: this process's base URL for the others; empty: http://ADDRESS:PORT
  bool portal_sign_in = false;  // development: the portal's sign-in mints tokens with the dev key (api/portal.h)
  bool reader_cache = true;     // on a Kafka log: DATA/reader-cache.db (engine/log/reader_cache.h)
  bool prewarm = true;          // the embedded log read once into the page cache when loaded (engine/base/prewarm.h)
};

struct TokenOptions {
  std::string role, ssin, enterprise_number, subject;
  int64_t lifetime_seconds = 3600;
  std::string issuer = "dimona-ledger-dev";
  std::string audience = "dimona-ledger";
};

// Prints "dimona-ledger: WHAT: <status>" on stderr and returns the exit code 1.
int fail(std::string_view what, const Status& status);

// Implemented by the generator's own target (bench/generator/generate_command.cc),
// linked into the executable only: the product's libraries never link the generator.
int run_generate(const GenerateOptions& options);
int run_ingest(const CommonOptions& common, const IngestOptions& options);
int run_audit_rebuild(const CommonOptions& common, const AuditOptions& options);
int run_audit_state_hash(const CommonOptions& common, const AuditOptions& options);
int run_audit_verify(const CommonOptions& common, const AuditOptions& options);
int run_log_inspect(const CommonOptions& common, const InspectOptions& options);
int run_replay(const CommonOptions& common, const ReplayOptions& options);
int run_kafka_mock(const KafkaMockOptions& options);
int run_log_dump(const CommonOptions& common, const LogDumpOptions& options);
int run_log_tail(const CommonOptions& common, const LogTailOptions& options);
int run_balance(const CommonOptions& common, const CitizenOptions& options);
int run_calendar(const CommonOptions& common, const CitizenOptions& options);
int run_export(const CommonOptions& common, const ExportOptions& options);
int run_interim(const CommonOptions& common, const InterimOptions& options);
int run_anomalies(const CommonOptions& common, const AnomaliesOptions& options);
int run_audit_events(const CommonOptions& common, const AuditOptions& options);
int run_submit(const CommonOptions& common, const SubmitOptions& options);
int run_attest(const CommonOptions& common, const AttestOptions& options);
int run_access_code(const CommonOptions& common, const AccessCodeOptions& options);
int run_consent_check(const CommonOptions& common, const ConsentOptions& options);
int run_consent_list(const CommonOptions& common, const ConsentOptions& options);
int run_flexi(const CommonOptions& common, const FlexiOptions& options);
int run_career_break_list(const CommonOptions& common, const CareerBreakOptions& options);
int run_career_break_show(const CommonOptions& common, const CareerBreakOptions& options);
int run_career_break_employee(const CommonOptions& common, const CareerBreakOptions& options);
int run_inbox_list(const CommonOptions& common, const InboxOptions& options);
int run_inbox_read(const CommonOptions& common, const InboxOptions& options);
int run_inbox_archive(const CommonOptions& common, const InboxOptions& options);
int run_send_overview(const CommonOptions& common, const SendOverviewOptions& options);
int run_consultations(const CommonOptions& common, const CitizenOptions& options);
int run_wages(const CommonOptions& common, const CitizenOptions& options);
int run_outbox_relay(const CommonOptions& common, const OutboxRelayOptions& options);
int run_employers_import(const CommonOptions& common, const EmployersImportOptions& options);
int run_serve(const CommonOptions& common, const ServeOptions& options);
int run_token(const CommonOptions& common, const TokenOptions& options);

}  // namespace dimona::cli
