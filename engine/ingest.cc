#include "engine/ingest.h"

#include "engine/base/private_file.h"
#include "engine/base/small_file.h"

#include <chrono>
#include <cstring>
#include <functional>
#include <vector>

#include "engine/base/crc32c.h"
#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/codec.h"

namespace dimona {
namespace {

// Yields the lines of a stream, each followed by readable padding, so the
// decoder can parse it in place. A line longer than declaration_bytes_max is
// reported as such and skipped whole.
class LineFeeder {
 public:
  struct Line {
    std::string_view text;
    size_t capacity = 0;    // readable bytes from text.data()
    size_t consumed = 0;    // bytes of the stream, '\n' included
    bool too_long = false;
  };

  explicit LineFeeder(std::FILE* in) : in_(in), buffer_(2 * limits::ingest_read_bytes + kJsonPadding) {}

  // False at the end of the stream.
  Result<bool> next(Line* line);

 private:
  Status fill();

  std::FILE* in_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t skipping_ = 0;  // bytes of an over-long line dropped so far
};

Status LineFeeder::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t room = buffer_.size() - kJsonPadding - end_;
  const size_t n = std::fread(buffer_.data() + end_, 1, room, in_);
  if (n < room) {
    if (std::ferror(in_)) return io_error(std::string("read failed: ") + std::strerror(errno));
    eof_ = true;
  }
  end_ += n;
  return Status::ok();
}

Result<bool> LineFeeder::next(Line* line) {
  for (;;) {
    char* start = buffer_.data() + begin_;
    char* nl = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
    if (nl != nullptr || (eof_ && begin_ < end_)) {
      const size_t len = nl ? static_cast<size_t>(nl - start) : end_ - begin_;
      const size_t consumed = nl ? len + 1 : len;
      *line = Line{std::string_view(start, len), buffer_.size() - begin_, consumed + skipping_, skipping_ > 0};
      if (len > 0 && start[len - 1] == '\r') line->text.remove_suffix(1);
      if (len > limits::declaration_bytes_max) line->too_long = true;
      begin_ += consumed;
      skipping_ = 0;
      return true;
    }
    if (eof_) return false;
    if (end_ - begin_ > limits::declaration_bytes_max) {  // drop the head of an over-long line
      skipping_ += end_ - begin_;
      begin_ = end_;
    }
    DIMONA_TRY(fill());
  }
}

// Decides the items of one input, lines of a file or records of a topic, with
// one handler (decide()) and one commit protocol (commit()); run() and
// run_topic() are the two loops that feed it.
class Ingestor {
 public:
  ~Ingestor() {
    if (report_) std::fclose(report_);
  }
  Ingestor(Ledger& ledger, std::string source_prefix, const IngestOptions& options)
      : ledger_(ledger), options_(options), source_(std::move(source_prefix)), source_prefix_(source_.size()) {}

  // `position`: the file's source and where to resume (null for a stream).
  // `reported_through`: the last line an earlier run stored (its report holds the entries up to it).
  Result<IngestSummary> run(std::FILE* in, SourcePosition* position, uint64_t total_bytes, uint64_t reported_through);
  // `from`: per input partition, its source position (resume: where to read from);
  // `reported_through`: per input partition, the last index an earlier run stored.
  Result<IngestSummary> run_topic(InputTopic& input, std::map<uint32_t, SourcePosition>& from,
                                  std::map<uint32_t, uint64_t> reported_through);
  // Opens the report, keeping the entries `keep` says are of committed items (none: anew).
  Status open_report(const std::function<bool(const std::string& entry)>& keep);
  // The report written out whole (its buffer flushed), or kIoError naming it: a full disk loses
  // the refused lines' report, never a committed item, and the run must not end as if it had kept it.
  Status finish_report() {
    if (report_ && (std::fflush(report_) != 0 || std::ferror(report_)))
      return io_error("cannot write the report " + options_.report_path + ": " + std::strerror(errno));
    return Status::ok();
  }

 private:
  // Where the current item is: a line, or a topic's partition and offset.
  struct Where {
    bool in_topic = false;
    uint32_t partition = 0;
    Offset offset = 0;
  };
  Status handle_line(const LineFeeder::Line& line);
  Status handle_record(const InputRecord& record);
  Status decide(std::string_view text, size_t capacity);
  Status handle_action(const Action& action, std::string_view text);
  Status malformed(const Status& why);
  void begin_entry(JsonWriter& w);
  void end_entry();
  void report_refused(const Submission& s);
  Status commit();
  Status stop_strict(Status why);
  std::string where_text() const;
  bool reported_before();

  Ledger& ledger_;
  std::FILE* report_ = nullptr;
  const IngestOptions& options_;
  DeclarationDecoder decoder_;
  IngestSummary summary_;
  SourcePosition* position_ = nullptr;  // the current item's; resume = its group's start
  std::map<uint32_t, SourcePosition>* topic_positions_ = nullptr;  // per input partition (topics)
  // The report of an earlier run already holds the entries of the items up to
  // the last one it stored (it is flushed before a group is appended): per
  // input partition (a file: 0), that index. An item at or below it is not
  // reported again.
  std::map<uint32_t, uint64_t> reported_through_;
  std::map<uint32_t, Offset> consumed_;  // per input partition: the offset after the last record decided
  Where where_;
  uint32_t running_crc_ = 0;            // crc32c of the bytes consumed so far
  uint64_t line_number_ = 0;
  uint64_t bytes_ = 0;
  uint32_t since_commit_ = 0;
  std::string source_;
  size_t source_prefix_;
  std::string report_line_;
  std::vector<char> record_buffer_;  // a record's value with the decoder's padding
};

// True when the report of an earlier run holds the current item's entry.
bool Ingestor::reported_before() {
  const uint64_t index = where_.in_topic ? where_.offset + 1 : line_number_;
  return index <= reported_through_[where_.partition];
}

std::string Ingestor::where_text() const {
  if (!where_.in_topic) return "line " + std::to_string(line_number_);
  return "partition " + std::to_string(where_.partition) + " offset " + std::to_string(where_.offset);
}

// Opens a report entry with where the item is: {"line":N or {"partition":P,"offset":O.
void Ingestor::begin_entry(JsonWriter& w) {
  w.begin_object();
  if (where_.in_topic) {
    w.key("partition").integer(where_.partition).key("offset").integer(static_cast<int64_t>(where_.offset));
  } else {
    w.key("line").integer(static_cast<int64_t>(line_number_));
  }
}

void Ingestor::end_entry() {
  report_line_ += '\n';
  std::fwrite(report_line_.data(), 1, report_line_.size(), report_);
}

void Ingestor::report_refused(const Submission& s) {
  if (!report_ || reported_before()) return;
  report_line_.clear();
  JsonWriter w(&report_line_);
  begin_entry(w);
  w.key("declarationId").digits(s.declaration_id.value, 12).key("result").string("B");
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < s.decision.anomaly_count; ++i) w.string(anomaly_code_string(s.decision.anomalies[i].code));
  w.end_array().end_object();
  end_entry();
}

Status Ingestor::open_report(const std::function<bool(const std::string& entry)>& keep) {
  if (options_.report_path.empty()) return Status::ok();
  std::string kept;
  // The entries kept from a report are read from a regular file only: a FIFO's read would wait.
  if (keep && refuse_non_regular(options_.report_path).is_ok()) {
    if (std::FILE* old = std::fopen(options_.report_path.c_str(), "rb")) {
      char buf[4096];
      std::string entry;
      while (std::fgets(buf, sizeof buf, old)) {
        entry += buf;
        if (entry.empty() || entry.back() != '\n') continue;
        if (keep(entry)) kept += entry;
        entry.clear();
      }
      // A last entry without its '\n' was cut by a kill mid-write: its item
      // is read again (it is past the committed cursor or reported anew), so drop it.
      std::fclose(old);
    }
  }
  report_ = open_private_file(options_.report_path);  // refused lines carry SSINs: 0600
  if (!report_ && errno == ENXIO)                     // open_private_file does not wait for a FIFO's reader
    return io_error("cannot write the report " + options_.report_path + ": a FIFO that no process reads");
  if (!report_) return io_error("cannot write the report " + options_.report_path + ": " + std::strerror(errno));
  if (std::fwrite(kept.data(), 1, kept.size(), report_) != kept.size()) return io_error("cannot write the report");
  return Status::ok();
}

// An item that is not a declaration the ledger can take: reported and
// skipped, or, with --strict, the end of the ingest.
Status Ingestor::malformed(const Status& why) {
  if (reported_before()) return Status::ok();
  ++summary_.malformed;
  if (report_) {
    report_line_.clear();
    JsonWriter w(&report_line_);
    begin_entry(w);
    w.key("error").string(why.message()).end_object();
    end_entry();
  }
  if (!options_.strict) return Status::ok();
  return invalid_argument(where_text() + ": " + why.message());
}

Status Ingestor::handle_line(const LineFeeder::Line& line) {
  ++line_number_;
  ++summary_.lines;
  if (line.too_long) return malformed(invalid_argument("line longer than 64 KiB"));
  source_.resize(source_prefix_);  // "batch:LABEL:" + the line number
  append_uint(&source_, line_number_);
  return decide(line.text, line.capacity);
}

Status Ingestor::handle_record(const InputRecord& record) {
  ++summary_.lines;
  where_ = Where{true, record.partition, record.offset};
  if (record.too_large) return malformed(invalid_argument("record longer than 64 KiB"));
  source_.resize(source_prefix_);  // "topic:TOPIC/" + partition ":" offset
  append_uint(&source_, record.partition);
  source_ += ':';
  append_uint(&source_, record.offset);
  record_buffer_.resize(record.value.size() + kJsonPadding);
  std::memcpy(record_buffer_.data(), record.value.data(), record.value.size());
  return decide(std::string_view(record_buffer_.data(), record.value.size()), record_buffer_.size());
}

// The one handler of a line or a record: decoded, decided, counted, reported.
Status Ingestor::decide(std::string_view text, size_t capacity) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::ok();  // blank
  Result<Command> command = decoder_.decode_command(text, capacity);
  if (!command.is_ok()) return malformed(command.status());
  if (Status internal = refuse_server_internal(*command); !internal.is_ok()) return malformed(internal);
  if (command->is_action) return handle_action(command->action, text);
  Result<Submission> s = ledger_.submit(command->declaration, text, source_, position_);
  if (!s.is_ok()) {
    if (s.status().code() != Code::kInvalidArgument) return s.status();
    return malformed(s.status());
  }
  if (s->stored_before) {
    ++summary_.already_stored;
    return Status::ok();
  }
  ++summary_.declarations;
  const Decision& decision = s->decision;
  switch (decision.result) {
    case ResultCode::kAccepted: ++summary_.accepted; break;
    case ResultCode::kWarning: ++summary_.warnings; break;
    case ResultCode::kRefused: ++summary_.refused; report_refused(*s); break;
    case ResultCode::kPending: ++summary_.pending; break;
  }
  for (size_t i = 0; i < decision.anomaly_count; ++i) ++summary_.anomalies[decision.anomalies[i].code];
  return Status::ok();
}

Status Ingestor::handle_action(const Action& action, std::string_view text) {
  Result<ActionSubmission> s = ledger_.submit_action(action, text, source_, position_);
  if (!s.is_ok()) {
    if (s.status().code() != Code::kInvalidArgument) return s.status();
    return malformed(s.status());
  }
  if (s->stored_before) {
    ++summary_.already_stored;
    return Status::ok();
  }
  ++summary_.actions;
  ++summary_.action_kinds[std::string(action_key(action.kind))];
  if (!s->outcome.accepted()) {
    ++summary_.actions_refused;
    ++summary_.refusals[std::string(refusal_name(s->outcome.refusal))];
    if (report_ && !reported_before()) {
      report_line_.clear();
      JsonWriter w(&report_line_);
      begin_entry(w);
      w.key("actionId").digits(s->outcome.id, 12).key("result").string("B");
      w.key("reason").string(refusal_name(s->outcome.refusal)).end_object();
      end_entry();
    }
  }
  return Status::ok();
}

Status Ingestor::commit() {
  // The group's report entries are written out before its events are committed: a report that
  // cannot be written (a full disk, /dev/full) stops the run with this group uncommitted, so a
  // run again decides it again and reports it, instead of finding it stored and its refused
  // lines listed nowhere.
  DIMONA_TRY(finish_report());
  DIMONA_TRY(ledger_.commit_async());  // durable at the next commit or at sync()
  // The next group starts here: its events are appended only once this one is durable.
  if (topic_positions_) {
    for (auto& [partition, position] : *topic_positions_) {
      const Offset next = consumed_[partition];
      position.resume = SourceMark{next, next, 0};
    }
  } else if (position_) {
    position_->resume = SourceMark{line_number_, bytes_, running_crc_};
  }
  ++summary_.commits;
  since_commit_ = 0;
  return Status::ok();
}

// --strict met a malformed item: keep what came before it, then stop.
Status Ingestor::stop_strict(Status why) {
  if (why.code() == Code::kInvalidArgument) {
    DIMONA_TRY(commit());
    DIMONA_TRY(ledger_.sync());
  }
  return why;
}

Result<IngestSummary> Ingestor::run(std::FILE* in, SourcePosition* position, uint64_t total_bytes,
                                    uint64_t reported_through) {
  if (options_.commit_lines == 0 || options_.commit_lines > limits::ingest_commit_declarations)
    return invalid_argument("a commit group is 1.." + std::to_string(limits::ingest_commit_declarations) + " lines");
  position_ = position;
  reported_through_[0] = reported_through;
  const uint64_t committed = reported_through;
  std::function<bool(const std::string&)> keep;
  if (committed > 0) {  // each entry starts {"line":N
    keep = [committed](const std::string& entry) {
      return entry.size() > 8 && std::strtoull(entry.c_str() + 8, nullptr, 10) <= committed;
    };
  }
  DIMONA_TRY(open_report(keep));
  if (position) {
    line_number_ = position->resume.index;
    bytes_ = position->resume.bytes;
    running_crc_ = position->resume.crc;
    summary_.resumed_after_lines = position->resume.index;
  }
  LineFeeder feeder(in);
  LineFeeder::Line line;
  for (;;) {
    Result<bool> more = feeder.next(&line);
    DIMONA_TRY(more);
    if (!*more) break;
    if (position) {  // through this line: what a resumed ingest checks the file against
      position->at = SourceMark{line_number_ + 1, bytes_ + line.consumed,
                                crc32c_extend(running_crc_, line.text.data(), line.consumed)};
    }
    if (Status handled = handle_line(line); !handled.is_ok()) return stop_strict(std::move(handled));
    bytes_ += line.consumed;
    if (position) running_crc_ = position->at.crc;
    if (++since_commit_ >= options_.commit_lines || ledger_.should_commit()) DIMONA_TRY(commit());
    if (options_.progress && (line_number_ & 0x3fff) == 0) options_.progress({line_number_, bytes_, total_bytes});
  }
  DIMONA_TRY(commit());
  DIMONA_TRY(ledger_.sync());
  DIMONA_TRY(finish_report());
  if (options_.progress) options_.progress({line_number_, bytes_, total_bytes});
  return summary_;
}

Result<IngestSummary> Ingestor::run_topic(InputTopic& input, std::map<uint32_t, SourcePosition>& from,
                                          std::map<uint32_t, uint64_t> reported_through) {
  if (options_.commit_lines == 0 || options_.commit_lines > limits::ingest_commit_declarations)
    return invalid_argument("a commit group is 1.." + std::to_string(limits::ingest_commit_declarations) + " lines");
  topic_positions_ = &from;
  std::map<uint32_t, Offset> start, end;
  uint64_t total = 0;
  for (auto& [partition, position] : from) {
    Result<PartitionRange> range = input.range(partition);
    DIMONA_TRY(range);
    // A first read starts where the partition starts (retention may have deleted its head).
    if (position.resume.index == 0) position.resume = SourceMark{range->first, range->first, 0};
    if (position.resume.index > range->end) return topic_behind(input.topic(), partition, range->end, position.resume.index);
    start[partition] = position.resume.index;
    end[partition] = range->end;
    summary_.resumed_after_lines += position.resume.index;
    total += end[partition] - start[partition];
  }
  consumed_ = start;
  reported_through_ = std::move(reported_through);
  // Each entry starts {"partition":P,"offset":O: kept when an earlier run stored O.
  DIMONA_TRY(open_report([this](const std::string& entry) {
    unsigned partition = 0;
    unsigned long long offset = 0;
    if (std::sscanf(entry.c_str(), "{\"partition\":%u,\"offset\":%llu", &partition, &offset) != 2) return false;
    auto through = reported_through_.find(partition);
    return through != reported_through_.end() && offset < through->second;
  }));
  DIMONA_TRY(input.assign(start));
  auto done = [&] {
    if (options_.follow) return options_.stop != nullptr && options_.stop->load();
    for (const auto& [partition, next] : consumed_)
      if (next < end[partition]) return false;
    return true;
  };
  std::vector<InputRecord> records;
  auto last_commit = std::chrono::steady_clock::now();
  auto last_record = last_commit;
  uint64_t read = 0;
  while (!done()) {
    records.clear();
    Result<size_t> polled = input.poll(records, std::chrono::milliseconds(limits::input_poll_timeout_ms),
                                       limits::input_poll_records);
    DIMONA_TRY(polled);
    for (const InputRecord& record : records) {
      SourcePosition& position = from.at(record.partition);
      position_ = &position;
      position.at = SourceMark{record.offset + 1, record.offset + 1, 0};
      if (Status handled = handle_record(record); !handled.is_ok()) return stop_strict(std::move(handled));
      consumed_[record.partition] = record.offset + 1;
      ++read;
      if (++since_commit_ >= options_.commit_lines || ledger_.should_commit()) {
        DIMONA_TRY(commit());
        last_commit = std::chrono::steady_clock::now();
      }
    }
    if (records.empty()) {
      for (auto& [partition, next] : consumed_) {  // past control records, which poll() never returns
        Result<Offset> position = input.position(partition);
        DIMONA_TRY(position);
        next = std::max(next, *position);
      }
      // Records known to be there that do not come: a broker gone (librdkafka retries quietly).
      if (!options_.follow && !done() &&
          std::chrono::steady_clock::now() - last_record > std::chrono::milliseconds(options_.read_stall_ms)) {
        DIMONA_TRY(commit());
        DIMONA_TRY(ledger_.sync());
        return unavailable("topic " + input.topic() + " delivered nothing for " +
                           std::to_string(options_.read_stall_ms) + " ms before the end it had at the start; " +
                           "what was read is stored, run again to go on");
      }
    } else {
      last_record = std::chrono::steady_clock::now();
    }
    const bool due = std::chrono::steady_clock::now() - last_commit >=
                     std::chrono::milliseconds(limits::ingest_follow_commit_ms);
    if (since_commit_ > 0 && (records.empty() || due)) {  // a trickle is made durable promptly
      DIMONA_TRY(commit());
      if (records.empty()) DIMONA_TRY(ledger_.sync());
      last_commit = std::chrono::steady_clock::now();
    }
    if (options_.progress && !records.empty()) options_.progress({read, read, options_.follow ? 0 : total});
  }
  DIMONA_TRY(commit());
  DIMONA_TRY(ledger_.sync());
  DIMONA_TRY(finish_report());
  if (options_.progress) options_.progress({read, read, options_.follow ? 0 : total});
  return summary_;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// The fingerprint that names a file as a source: its size-capped head, "file:head-crc32c:CRC:N"
// (N the head's bytes, CRC theirs).
std::string source_id_of(std::string_view head) {
  char id[64];
  std::snprintf(id, sizeof id, "file:head-crc32c:%08x:%zu", crc32c(head.data(), head.size()), head.size());
  return std::string(id);
}

// The file's head, the first limits::source_fingerprint_bytes bytes (fewer in a smaller file).
Result<std::string> head_of(std::FILE* f) {
  std::string head(limits::source_fingerprint_bytes, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f));
  if (std::ferror(f)) return io_error("cannot read the input");
  return head;
}

// The source this file continues when it is a file ingested before and grown since: a file
// smaller than the head when it was ingested was named by all of its bytes, so a file whose
// first N bytes have the CRC of a stored source "file:head-crc32c:CRC:N" (N below the head's
// size) starts with that whole file, and its lines are that source's lines, not new ones. Of
// several, the longest. Empty when none: the file is a source of its own.
std::string grown_source(const Ledger& ledger, std::string_view head) {
  std::string found;
  size_t found_bytes = 0;
  for (const std::string& source : ledger.sources_named("file:head-crc32c:")) {
    unsigned crc = 0;
    size_t bytes = 0;
    int used = 0;
    if (std::sscanf(source.c_str(), "file:head-crc32c:%8x:%zu%n", &crc, &bytes, &used) != 2 ||
        static_cast<size_t>(used) != source.size())
      continue;
    if (bytes == 0 || bytes >= head.size() || bytes >= limits::source_fingerprint_bytes || bytes <= found_bytes)
      continue;
    if (crc32c(head.data(), bytes) != crc) continue;
    found = source;
    found_bytes = bytes;
  }
  return found;
}

Result<uint32_t> crc_of_prefix(std::FILE* f, uint64_t bytes) {
  std::vector<char> chunk(limits::ingest_read_bytes);
  uint32_t crc = 0;
  while (bytes > 0) {
    const size_t want = bytes < chunk.size() ? static_cast<size_t>(bytes) : chunk.size();
    const size_t n = std::fread(chunk.data(), 1, want, f);
    if (n != want) return failed_precondition("the file is shorter than what an earlier ingest of it committed");
    crc = crc32c_extend(crc, chunk.data(), n);
    bytes -= n;
  }
  return crc;
}

}  // namespace

// A topic recreated, or another cluster's under the same name.
Status topic_behind(const std::string& topic, uint32_t partition, Offset end, Offset stored) {
  return failed_precondition("partition " + std::to_string(partition) + " of topic " + topic + " ends at offset " +
                             std::to_string(end) + " but the ledger stored its records up to " +
                             std::to_string(stored) + ": was the topic recreated?");
}

SourceProgress source_progress(const Ledger& ledger, std::string_view source) {
  SourceProgress progress;
  for (const std::optional<SourcePosition>& stored : ledger.source_positions(source)) {
    if (!stored) continue;
    if (!progress.stored || progress.resume.index < stored->resume.index) progress.resume = stored->resume;
    if (!progress.stored || progress.latest.index < stored->at.index) progress.latest = stored->at;
    progress.stored = true;
  }
  return progress;
}

Result<IngestSummary> ingest_file(Ledger& ledger, const std::string& path, const IngestOptions& options) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return not_found("cannot open " + path + ": " + std::strerror(errno));
  std::fseek(f.get(), 0, SEEK_END);
  const auto total = static_cast<uint64_t>(std::ftell(f.get()));
  std::rewind(f.get());
  Result<std::string> head = head_of(f.get());
  DIMONA_TRY(head);
  std::rewind(f.get());
  // Where an earlier ingest of this file got to; the latest line stored, which
  // the file must still hold unchanged.
  SourcePosition position;
  position.source = source_id_of(*head);
  SourceProgress progress = source_progress(ledger, position.source);
  if (!progress.stored) {
    if (std::string grown = grown_source(ledger, *head); !grown.empty()) {
      position.source = std::move(grown);
      progress = source_progress(ledger, position.source);
    }
  }
  const bool resumed = progress.stored;
  const SourceMark latest = progress.latest;
  position.resume = progress.resume;
  if (resumed) {
    Result<uint32_t> crc = crc_of_prefix(f.get(), latest.bytes);
    DIMONA_TRY(crc);
    if (*crc != latest.crc)
      return failed_precondition("the file changed since an earlier ingest of it: refusing to resume");
    std::fseek(f.get(), static_cast<long>(position.resume.bytes), SEEK_SET);
  }
  const std::string label = path.substr(path.find_last_of('/') + 1);
  Ingestor ingestor(ledger, "batch:" + label + ":", options);
  Result<IngestSummary> summary = ingestor.run(f.get(), &position, total, latest.index);
  if (summary.is_ok() && resumed && summary->declarations + summary->actions == 0)
    summary->already_complete = true;
  return summary;
}

Result<IngestSummary> ingest_stream(Ledger& ledger, std::FILE* in, const std::string& label, const IngestOptions& options) {
  Ingestor ingestor(ledger, "batch:" + label + ":", options);
  return ingestor.run(in, nullptr, 0, 0);
}

Result<IngestSummary> ingest_topic(Ledger& ledger, InputTopic& input, const IngestOptions& options) {
  const std::string source = "topic:" + input.topic() + "/";
  // The longest position this topic's events carry must fit the log's record.
  std::string longest;
  format_source_position({source + std::to_string(input.partitions() - 1), {UINT64_MAX, UINT64_MAX, UINT32_MAX},
                          {UINT64_MAX, UINT64_MAX, UINT32_MAX}}, &longest);
  if (longest.size() > limits::log_source_bytes_max)
    return invalid_argument("the topic name " + input.topic() + " is too long to name a source position");
  std::vector<uint32_t> partitions = options.partitions;
  if (partitions.empty())
    for (uint32_t p = 0; p < input.partitions(); ++p) partitions.push_back(p);
  // Per input partition: the largest group start among the stored events of its source.
  std::map<uint32_t, SourcePosition> from;
  std::map<uint32_t, uint64_t> stored_through;  // per input partition: the last offset + 1 stored
  bool resumed = false;
  for (uint32_t partition : partitions) {
    if (partition >= input.partitions())
      return invalid_argument("topic " + input.topic() + " has no partition " + std::to_string(partition));
    SourcePosition& position = from[partition];
    position.source = source + std::to_string(partition);
    const SourceProgress progress = source_progress(ledger, position.source);
    position.resume = progress.resume;
    stored_through[partition] = progress.latest.index;
    resumed = resumed || progress.stored;
  }
  Ingestor ingestor(ledger, source, options);
  Result<IngestSummary> summary = ingestor.run_topic(input, from, std::move(stored_through));
  if (summary.is_ok() && resumed && summary->declarations + summary->actions == 0)
    summary->already_complete = true;
  return summary;
}

}  // namespace dimona
