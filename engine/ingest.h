// Ingest: an NDJSON file (or stream) of declarations and actions into the ledger.
//
// Contract. Each line is decoded (codec.h), decided and staged by the
// Ledger with its source position (source_position.h: the file's
// fingerprint, the line, and where its commit group started); every
// IngestOptions::commit_lines lines the staged events are committed.
// Nothing is stored beside the events: a killed ingest, run again on the same
// file, finds in the log the largest group start among the stored events of
// that file, reads again from there, and each line whose partition already
// holds it is skipped (a redelivery), so every line is appended exactly once
// whatever was cut by the kill, across partitions and on every backend. A
// finished one finds nothing new to do (already_complete); a file grown by
// lines appended since continues its source (a file under the fingerprint's
// size is named by all its bytes, so a file starting with them is it). A file whose
// consumed prefix changed since is refused (kFailedPrecondition) rather than
// half-applied. A stream (stdin) has no fingerprint and cannot resume.
//
// A malformed line never stops the batch nor loses the lines around it: it
// is counted and written to the report with its line number and reason;
// with `strict`, the first one stops the ingest after committing what came
// before (kInvalidArgument naming the line). A dataConsultation (the ledger's
// own record of a read: is_server_internal) is malformed here. Refused declarations (result
// B) are in the log like every other, and in the report too. No SSIN is
// ever written to the report or to progress. Single-threaded.
//
// A topic (ingest_topic; docs/kafka.md "Input topic") is ingested the same
// way, one record value for one line, by the same handler: each input
// partition is a source of its own, "topic:TOPIC/P", its records at
// at.index = offset + 1 (a topic has no bytes to re-check: at.bytes is the
// index too and the crc 0), and each group's events carry, per input
// partition, the offset its group started at (resume). A run reads each
// partition again from the largest resume among its stored events (or from
// the partition's first offset still held) and the Ledger skips what a
// partition of the log already holds, so every record is appended exactly
// once across kills. Malformed records are reported
// {"partition":P,"offset":O,"error":...} and skipped (strict: the first one
// stops). Without `follow` a run stops at the ends the partitions had when
// it started; with it, it waits for more until *stop is set, and makes
// whatever it staged durable at least every limits::ingest_follow_commit_ms.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/ledger.h"
#include "engine/log/input_topic.h"

namespace dimona {

struct IngestProgress {
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;  // 0 when unknown (a stream)
};

struct IngestOptions {
  bool strict = false;
  // Lines decided between two commits (1..limits::ingest_commit_declarations):
  // larger groups amortise the log's round trips, smaller ones read less
  // again after a crash.
  uint32_t commit_lines = limits::ingest_commit_declarations;
  // Refused and malformed lines, NDJSON, one {"line":N,...} each; empty for
  // none. A fresh ingest starts it anew; a resumed one keeps the entries of
  // the committed lines and drops the rest (they are read again), so each
  // line is reported once.
  std::string report_path;
  std::function<void(const IngestProgress&)> progress;  // called now and then; may be empty
  // Topics only: the input partitions to read (empty: all); keep waiting for
  // records until *stop is set (a signal handler's flag; read between polls).
  std::vector<uint32_t> partitions;
  bool follow = false;
  const std::atomic<bool>* stop = nullptr;
  // Without `follow`: a run waiting this long for records known to be there fails (kUnavailable).
  int read_stall_ms = limits::log_read_stall_ms;
};

struct IngestSummary {
  uint64_t lines = 0;            // lines read in this run (blank ones included)
  uint64_t resumed_after_lines = 0;  // lines not read again: an earlier run stored them
  uint64_t already_stored = 0;       // lines read again and skipped: their partition held them
  bool already_complete = false;
  uint64_t declarations = 0;
  uint64_t accepted = 0, warnings = 0, refused = 0, pending = 0;
  uint64_t malformed = 0;
  std::map<uint32_t, uint64_t> anomalies;  // code -> count
  uint64_t actions = 0, actions_refused = 0;         // docs/actions.md
  std::map<std::string, uint64_t> action_kinds;      // action key -> count
  std::map<std::string, uint64_t> refusals;          // reason -> count
  uint64_t commits = 0;
};

// `label` names the source in each event's `source` ("batch:LABEL:LINE").
Result<IngestSummary> ingest_file(Ledger& ledger, const std::string& path, const IngestOptions& options);
Result<IngestSummary> ingest_stream(Ledger& ledger, std::FILE* in, const std::string& label, const IngestOptions& options);
// Where an earlier run over `source` got to: the largest group start among
// its stored events (read again from resume.index + 1) and the latest item
// stored (at); `stored` is false when the log holds none of it.
struct SourceProgress {
  bool stored = false;
  SourceMark resume;
  SourceMark latest;
};
SourceProgress source_progress(const Ledger& ledger, std::string_view source);

// kFailedPrecondition: `partition` of `topic` ends at `end`, before `stored`, what the ledger holds of it.
Status topic_behind(const std::string& topic, uint32_t partition, Offset end, Offset stored);

// Each record of `input` (its value one line) into the ledger; see above. The
// summary counts records as lines; resumed_after_lines sums the offsets each
// partition was read from.
Result<IngestSummary> ingest_topic(Ledger& ledger, InputTopic& input, const IngestOptions& options);

}  // namespace dimona
