#include "api/commands.h"
#include "api/cli_support.h"
#include "engine/base/private_file.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "api/progress.h"
#include "engine/log/log_tools.h"
#include "engine/ingest.h"
#include "engine/log/input_topic.h"
#include "engine/ledger.h"

namespace dimona::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdout && f != stdin) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

void print_summary(const IngestSummary& s, double seconds, bool topic) {
  if (s.already_complete && topic) {
    std::printf("already ingested: the log holds every record of this topic up to offset(s) read (%llu records); nothing new\n",
                static_cast<unsigned long long>(s.resumed_after_lines + s.lines));
    return;
  }
  if (s.already_complete) {
    std::printf("already ingested: the log holds every line of this file (%llu lines); nothing to do\n",
                static_cast<unsigned long long>(s.resumed_after_lines + s.lines));
    return;
  }
  if (topic && (s.resumed_after_lines > 0 || s.already_stored > 0))
    std::printf("resumed after %llu record(s) (stored by an earlier run); %llu record(s) read again were already stored\n",
                static_cast<unsigned long long>(s.resumed_after_lines), static_cast<unsigned long long>(s.already_stored));
  else if (s.resumed_after_lines > 0 || s.already_stored > 0)
    std::printf("resumed after line %llu (stored by an earlier run); %llu line(s) read again were already stored\n",
                static_cast<unsigned long long>(s.resumed_after_lines), static_cast<unsigned long long>(s.already_stored));
  std::printf("declarations  %llu in %.2f s (%s/s)\n", static_cast<unsigned long long>(s.declarations), seconds,
              human_count(seconds > 0 ? static_cast<double>(s.declarations) / seconds : 0).c_str());
  std::printf("  A accepted              %llu\n", static_cast<unsigned long long>(s.accepted));
  std::printf("  W accepted with warning %llu\n", static_cast<unsigned long long>(s.warnings));
  std::printf("  B refused               %llu\n", static_cast<unsigned long long>(s.refused));
  std::printf("  S pending identification %llu\n", static_cast<unsigned long long>(s.pending));
  std::printf("malformed %s %llu\n", topic ? "records" : "lines", static_cast<unsigned long long>(s.malformed));
  if (!s.anomalies.empty()) std::printf("anomalies\n");
  for (const auto& [code, count] : s.anomalies)
    std::printf("  %s  %llu\n", anomaly_code_string(code).c_str(), static_cast<unsigned long long>(count));
  if (s.actions == 0) return;
  std::printf("actions %llu, of which refused %llu\n", static_cast<unsigned long long>(s.actions),
              static_cast<unsigned long long>(s.actions_refused));
  for (const auto& [kind, count] : s.action_kinds)
    std::printf("  %-34s %llu\n", kind.c_str(), static_cast<unsigned long long>(count));
  if (!s.refusals.empty()) std::printf("refusal reasons\n");
  for (const auto& [reason, count] : s.refusals)
    std::printf("  %-34s %llu\n", reason.c_str(), static_cast<unsigned long long>(count));
}

}  // namespace

int fail(std::string_view what, const Status& status) {
  std::fprintf(stderr, "dimona-ledger: %.*s: %s\n", static_cast<int>(what.size()), what.data(), status.to_string().c_str());
  return 1;
}

// Set by SIGINT/SIGTERM during `ingest kafka://… --follow` (lock-free: async-signal-safe).
std::atomic<bool> ingest_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);
extern "C" void on_ingest_stop(int) { ingest_stop.store(true); }

int run_ingest(const CommonOptions& common, const IngestOptions& o) {
  const bool from_topic = o.input.starts_with("kafka://");
  std::unique_ptr<InputTopic> input;
  if (Status loop = from_topic ? api::input_is_not_the_log(o.input, common) : Status::ok(); !loop.is_ok())
    return fail("ingest", loop);
  if (from_topic) {  // before the write side: a missing input topic costs no fold of the log
    Result<std::unique_ptr<InputTopic>> opened = open_input_topic(o.input);
    if (!opened.is_ok()) return fail("ingest", opened.status());
    input = std::move(opened).value();
  } else if (o.follow) {
    return fail("ingest", invalid_argument("--follow reads a topic (kafka://HOST:PORT/TOPIC), not a file"));
  }
  const bool from_stdin = o.input == "-";
  const std::string report_path = !o.report.empty() ? o.report
                                  : from_stdin      ? "refused.ndjson"
                                  : from_topic      ? input->topic() + ".refused.ndjson"
                                                    : o.input + ".refused.ndjson";
  // The report is written over: never the input, a file of the ledger's, or a database; and a
  // default one (beside the input, in a folder others may write) is never a link to elsewhere.
  const bool file_input = !from_stdin && !from_topic;
  std::vector<std::string> keep = api::ledger_files(common);
  if (file_input) keep.push_back(o.input);
  if (Status s = may_replace(report_path, keep, "--report"); !s.is_ok()) return fail("ingest", s);
  std::error_code link_error;
  if (o.report.empty() && std::filesystem::is_symlink(report_path, link_error))
    return fail("ingest", failed_precondition("the report " + report_path +
                                              " is a symbolic link: name the report to write with --report"));
  SystemClock clock;
  Result<WriteSide> side = open_write_side(common, clock);
  if (!side.is_ok()) return fail("ingest", side.status());
  Ledger& ledger = *side->ledger;
  Progress progress("ingest", from_topic ? "rec" : "decl");
  dimona::IngestOptions options;
  options.strict = o.strict;
  options.report_path = report_path;
  options.progress = [&progress](const IngestProgress& p) { progress.update(p.lines, p.bytes, p.total_bytes); };
  options.follow = o.follow;
  options.stop = &ingest_stop;
  if (o.follow) {
    std::signal(SIGINT, on_ingest_stop);
    std::signal(SIGTERM, on_ingest_stop);
  }
  Result<IngestSummary> summary = from_topic  ? ingest_topic(ledger, *input, options)
                                  : from_stdin ? ingest_stream(ledger, stdin, "stdin", options)
                                               : ingest_file(ledger, o.input, options);
  progress.finish();
  if (!summary.is_ok()) return fail("ingest", summary.status());
  print_summary(*summary, progress.elapsed_seconds(), from_topic);
  std::printf("writer: %s\n", ledger.started_from_seed() ? "started from the checkpoint, then the log after it"
                                                         : "folded the log from its start");
  if (summary->declarations > 0)
    std::printf("waited %.2f s for the log's durable commits (%llu commits)\n", ledger.commit_wait_seconds(),
                static_cast<unsigned long long>(summary->commits));
  if (summary->refused + summary->actions_refused + summary->malformed > 0) std::printf("report: %s\n", report_path.c_str());
  return 0;
}

int run_log_inspect(const CommonOptions& common, const InspectOptions& o) {
  Result<std::unique_ptr<Log>> log = open_ledger_log(common, /*create=*/false);
  if (!log.is_ok()) return fail("log inspect", log.status());
  Result<std::vector<PartitionSummary>> summary = summarize(**log);
  if (!summary.is_ok()) return fail("log inspect", summary.status());
  uint64_t records = 0;  // every kind: events, and fences on a log that fences writers (docs/kafka.md section 11)
  std::optional<Instant> first, last;
  std::printf("log %s: %u partitions\n", (*log)->uri().c_str(), (*log)->partitions());
  std::printf("%9s %12s  %-20s  %-20s\n", "partition", "end offset", "first recordedAt", "last recordedAt");
  for (const PartitionSummary& p : *summary) {
    records += p.end_offset;
    if (p.first_recorded_at && (!first || *p.first_recorded_at < *first)) first = p.first_recorded_at;
    if (p.last_recorded_at && (!last || *last < *p.last_recorded_at)) last = p.last_recorded_at;
    std::printf("%9u %12llu  %-20s  %-20s\n", p.partition, static_cast<unsigned long long>(p.end_offset),
                p.first_recorded_at ? to_string(*p.first_recorded_at).c_str() : "-",
                p.last_recorded_at ? to_string(*p.last_recorded_at).c_str() : "-");
  }
  std::printf("total: %llu records, %s .. %s\n", static_cast<unsigned long long>(records),
              first ? to_string(*first).c_str() : "-", last ? to_string(*last).c_str() : "-");
  if (!o.verify) return 0;
  Result<VerifyReport> report = verify_log(**log);
  if (!report.is_ok()) return fail("log inspect", report.status());
  for (const PartitionCheck& c : report->partitions)
    if (!c.error.is_ok()) std::printf("partition %u: %s\n", c.partition, c.error.to_string().c_str());
  if (!report->is_clean()) {
    std::fprintf(stderr, "dimona-ledger: log inspect: %zu partition(s) fail the integrity check\n", report->error_count());
    return 1;
  }
  std::printf("integrity: every record read and verified by the log (CRC, framing, offsets, time order)\n");
  Result<DuplicateEvents> duplicates = find_duplicate_events(**log);
  if (!duplicates.is_ok()) return fail("log inspect", duplicates.status());
  if (duplicates->duplicates > 0) {
    std::printf("duplicates: %s\n", duplicate_text(*duplicates).c_str());
    std::fprintf(stderr, "dimona-ledger: log inspect: %llu event(s) repeat an eventId\n",
                 static_cast<unsigned long long>(duplicates->duplicates));
    return 1;
  }
  std::printf("event ids: %llu events, no eventId twice\n", static_cast<unsigned long long>(duplicates->events));
  return 0;
}

}  // namespace dimona::cli
