#include "engine/ingest.h"

#include "engine/base/private_file.h"

#include <cstring>
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

class Ingestor {
 public:
  ~Ingestor() {
    if (report_) std::fclose(report_);
  }
  Ingestor(Ledger& ledger, const std::string& label, const IngestOptions& options)
      : ledger_(ledger), options_(options), source_("batch:" + label + ":"), source_prefix_(source_.size()) {}

  // `position`: the file's source and where to resume (null for a stream).
  Result<IngestSummary> run(std::FILE* in, SourcePosition* position, uint64_t total_bytes);
  // Opens the report: anew, or keeping only the entries of the first `committed_lines` lines.
  Status open_report(uint64_t committed_lines);

 private:
  Status handle(const LineFeeder::Line& line);
  Status handle_action(const Action& action, std::string_view text);
  Status malformed(const Status& why);
  void report_malformed(const std::string& reason);
  void report_refused(const Submission& s);
  Status commit();

  Ledger& ledger_;
  std::FILE* report_ = nullptr;
  const IngestOptions& options_;
  DeclarationDecoder decoder_;
  IngestSummary summary_;
  SourcePosition* position_ = nullptr;  // the current line's; resume = its group's start
  uint32_t running_crc_ = 0;            // crc32c of the bytes consumed so far
  uint64_t line_number_ = 0;
  uint64_t bytes_ = 0;
  uint32_t since_commit_ = 0;
  std::string source_;
  size_t source_prefix_;
  std::string report_line_;
};

void Ingestor::report_malformed(const std::string& reason) {
  ++summary_.malformed;
  if (!report_) return;
  report_line_.clear();
  JsonWriter w(&report_line_);
  w.begin_object().key("line").integer(static_cast<int64_t>(line_number_)).key("error").string(reason).end_object();
  report_line_ += '\n';
  std::fwrite(report_line_.data(), 1, report_line_.size(), report_);
}

void Ingestor::report_refused(const Submission& s) {
  if (!report_) return;
  report_line_.clear();
  JsonWriter w(&report_line_);
  w.begin_object().key("line").integer(static_cast<int64_t>(line_number_));
  w.key("declarationId").digits(s.declaration_id.value, 12).key("result").string("B");
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < s.decision.anomaly_count; ++i) w.string(anomaly_code_string(s.decision.anomalies[i].code));
  w.end_array().end_object();
  report_line_ += '\n';
  std::fwrite(report_line_.data(), 1, report_line_.size(), report_);
}

Status Ingestor::open_report(uint64_t committed_lines) {
  if (options_.report_path.empty()) return Status::ok();
  std::string kept;
  if (committed_lines > 0) {
    if (std::FILE* old = std::fopen(options_.report_path.c_str(), "rb")) {
      char buf[4096];
      std::string entry;
      auto keep = [&] {
        // Each entry starts {"line":N
        if (entry.size() > 8 && std::strtoull(entry.c_str() + 8, nullptr, 10) <= committed_lines) kept += entry;
        entry.clear();
      };
      while (std::fgets(buf, sizeof buf, old)) {
        entry += buf;
        if (!entry.empty() && entry.back() == '\n') keep();
      }
      // A last entry without its '\n' was cut by a kill mid-write: its line
      // is read again (it is past the committed cursor or reported anew), so drop it.
      std::fclose(old);
    }
  }
  report_ = open_private_file(options_.report_path);  // refused lines carry SSINs: 0600
  if (!report_) return io_error("cannot write the report " + options_.report_path + ": " + std::strerror(errno));
  if (std::fwrite(kept.data(), 1, kept.size(), report_) != kept.size()) return io_error("cannot write the report");
  return Status::ok();
}

// A line that is not a declaration the ledger can take: reported and skipped,
// or, with --strict, the end of the ingest.
Status Ingestor::malformed(const Status& why) {
  report_malformed(why.message());
  if (!options_.strict) return Status::ok();
  return invalid_argument("line " + std::to_string(line_number_) + ": " + why.message());
}

Status Ingestor::handle(const LineFeeder::Line& line) {
  ++line_number_;
  ++summary_.lines;
  if (line.too_long) {
    return malformed(invalid_argument("line longer than 64 KiB"));
  }
  if (line.text.find_first_not_of(" \t") == std::string_view::npos) return Status::ok();  // blank
  Result<Command> command = decoder_.decode_command(line.text, line.capacity);
  if (!command.is_ok()) return malformed(command.status());
  source_.resize(source_prefix_);  // "batch:LABEL:" + the line number
  append_uint(&source_, line_number_);
  if (command->is_action) return handle_action(command->action, line.text);
  Result<Submission> s = ledger_.submit(command->declaration, line.text, source_, position_);
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
    if (report_) {
      report_line_.clear();
      JsonWriter w(&report_line_);
      w.begin_object().key("line").integer(static_cast<int64_t>(line_number_));
      w.key("actionId").digits(s->outcome.id, 12).key("result").string("B");
      w.key("reason").string(refusal_name(s->outcome.refusal)).end_object();
      report_line_ += '\n';
      std::fwrite(report_line_.data(), 1, report_line_.size(), report_);
    }
  }
  return Status::ok();
}

Status Ingestor::commit() {
  DIMONA_TRY(ledger_.commit_async());  // durable at the next commit or at sync()
  // The next group starts here: its events are appended only once this one is durable.
  if (position_) position_->resume = SourceMark{line_number_, bytes_, running_crc_};
  if (report_) std::fflush(report_);
  ++summary_.commits;
  since_commit_ = 0;
  return Status::ok();
}

Result<IngestSummary> Ingestor::run(std::FILE* in, SourcePosition* position, uint64_t total_bytes) {
  if (options_.commit_lines == 0 || options_.commit_lines > limits::ingest_commit_declarations)
    return invalid_argument("a commit group is 1.." + std::to_string(limits::ingest_commit_declarations) + " lines");
  position_ = position;
  DIMONA_TRY(open_report(position ? position->resume.index : 0));
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
    Status handled = handle(line);
    if (!handled.is_ok()) {
      if (handled.code() == Code::kInvalidArgument) {  // strict: keep what came before
        DIMONA_TRY(commit());
        DIMONA_TRY(ledger_.sync());
      }
      return handled;
    }
    bytes_ += line.consumed;
    if (position) running_crc_ = position->at.crc;
    if (++since_commit_ >= options_.commit_lines || ledger_.should_commit()) DIMONA_TRY(commit());
    if (options_.progress && (line_number_ & 0x3fff) == 0) options_.progress({line_number_, bytes_, total_bytes});
  }
  DIMONA_TRY(commit());
  DIMONA_TRY(ledger_.sync());
  if (options_.progress) options_.progress({line_number_, bytes_, total_bytes});
  return summary_;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// The fingerprint that names a file as a source: its size-capped head.
Result<std::string> source_id_of(std::FILE* f) {
  std::vector<char> head(limits::source_fingerprint_bytes);
  const size_t n = std::fread(head.data(), 1, head.size(), f);
  if (std::ferror(f)) return io_error("cannot read the input");
  char id[48];
  std::snprintf(id, sizeof id, "head-crc32c:%08x:%zu", crc32c(head.data(), n), n);
  return std::string(id);
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

Result<IngestSummary> ingest_file(Ledger& ledger, const std::string& path, const IngestOptions& options) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return not_found("cannot open " + path + ": " + std::strerror(errno));
  std::fseek(f.get(), 0, SEEK_END);
  const auto total = static_cast<uint64_t>(std::ftell(f.get()));
  std::rewind(f.get());
  Result<std::string> id = source_id_of(f.get());
  DIMONA_TRY(id);
  std::rewind(f.get());
  // Where an earlier ingest of this file got to: the largest group start among its stored events.
  SourcePosition position;
  position.source = "file:" + *id;
  // Where an earlier ingest of this file got to: the largest group start among its stored
  // events; and the latest line stored, which the file must still hold unchanged.
  bool resumed = false;
  SourceMark latest;
  for (const std::optional<SourcePosition>& stored : ledger.source_positions(position.source)) {
    if (!stored) continue;
    if (!resumed || position.resume.index < stored->resume.index) position.resume = stored->resume;
    if (!resumed || latest.index < stored->at.index) latest = stored->at;
    resumed = true;
  }
  if (resumed) {
    Result<uint32_t> crc = crc_of_prefix(f.get(), latest.bytes);
    DIMONA_TRY(crc);
    if (*crc != latest.crc)
      return failed_precondition("the file changed since an earlier ingest of it: refusing to resume");
    std::fseek(f.get(), static_cast<long>(position.resume.bytes), SEEK_SET);
  }
  const std::string label = path.substr(path.find_last_of('/') + 1);
  Ingestor ingestor(ledger, label, options);
  Result<IngestSummary> summary = ingestor.run(f.get(), &position, total);
  if (summary.is_ok() && resumed && summary->declarations + summary->actions == 0)
    summary->already_complete = true;
  return summary;
}

Result<IngestSummary> ingest_stream(Ledger& ledger, std::FILE* in, const std::string& label, const IngestOptions& options) {
  Ingestor ingestor(ledger, label, options);
  return ingestor.run(in, nullptr, 0);
}

}  // namespace dimona
