// The log tools of issue 11, item 7: `kafka-mock` (librdkafka's mock cluster
// for local trials) and `log dump` / `log tail` (the log's records as NDJSON,
// read through the log seam, so on every backend).
//
// Output: one JSON object per line, {"partition","offset","recordedAt",
// "eventId","type","schemaVersion","source",["epoch",]"event"}, the event being the
// record's payload as stored when it is one JSON object (checked: a record written to the
// topic by someone else could close the line's object and add keys of its own, or make the
// line no JSON at all), else null and "payloadHex", its bytes in hex; "epoch" only on a
// record its writer appended under a fence (engine/log/fence.h), a fence
// record itself shows type "dimona.fence" and no epoch: an auditor sees
// every record, a zombie's fenced ones too (no filter here). dump writes each
// partition in turn, in offset order, up to the end it had when dump
// started. Nothing but records goes to stdout; a reader that goes away
// (`| head`) ends the command quietly with exit 0.
#include <charconv>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/simdjson_abi.h"

#include "api/cli_support.h"
#include "api/commands.h"
#include "api/ledger_root.h"
#include "api/loopback_forwarder.h"
#include "engine/base/json_writer.h"
#include "engine/base/time.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log.h"
#include "projections/checkpoint_store.h"  // to_hex

namespace dimona::cli {
namespace {

using std::chrono::milliseconds;

// NDJSON on stdout, buffered; a closed pipe is remembered, not an error.
class NdjsonOut {
 public:
  NdjsonOut() { std::signal(SIGPIPE, SIG_IGN); }

  void add(const LogRecord& r) {
    JsonWriter json(&buffer_);
    json.begin_object();
    json.key("partition").integer(r.partition);
    json.key("offset").integer(static_cast<int64_t>(r.offset));
    json.key("recordedAt").string(to_string(r.recorded_at));
    json.key("eventId").string(r.event_id);
    json.key("type").string(r.type);
    json.key("schemaVersion").integer(r.schema_version);
    json.key("source").string(r.source);
    if (r.epoch != kNoEpoch && !r.is_fence()) json.key("epoch").integer(static_cast<int64_t>(r.epoch));
    json.key("event");
    if (r.payload.empty()) {
      json.null();
    } else if (is_one_json_object(r.payload)) {
      json.raw(r.payload);
    } else {
      json.null().key("payloadHex").string(to_hex(r.payload));
    }
    json.end_object();
    buffer_.push_back('\n');
  }

  // Writes what is buffered once it is large, or always with force.
  Status flush(bool force) {
    if (closed_ || (!force && buffer_.size() < log_tool_limits::output_buffer_bytes)) return Status::ok();
    const char* data = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
      const ssize_t n = ::write(STDOUT_FILENO, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EPIPE) {
        closed_ = true;  // the reader went away: nothing more to say
        break;
      }
      if (n < 0) return io_error(std::string("cannot write to stdout: ") + std::strerror(errno));
      data += n;
      left -= static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::ok();
  }

  bool closed() const { return closed_; }

 private:
  // One JSON object and nothing else, valid UTF-8 (simdjson's DOM parse validates the whole text).
  bool is_one_json_object(const std::string& payload) {
    simdjson::dom::element root;
    return parser_.parse(payload.data(), payload.size()).get(root) == simdjson::SUCCESS && root.is_object();
  }
  simdjson::dom::parser parser_;

 public:
 private:
  std::string buffer_;
  bool closed_ = false;
};

Result<std::vector<uint32_t>> chosen_partitions(const Log& log, int64_t partition) {
  std::vector<uint32_t> partitions;
  if (partition >= 0) {
    if (partition >= log.partitions()) {
      return invalid_argument("--partition " + std::to_string(partition) + ": the log has " +
                              std::to_string(log.partitions()) + " partitions (0.." +
                              std::to_string(log.partitions() - 1) + ")");
    }
    partitions.push_back(static_cast<uint32_t>(partition));
    return partitions;
  }
  for (uint32_t p = 0; p < log.partitions(); ++p) partitions.push_back(p);
  return partitions;
}

// Writes partition p's records from the consumer's position up to (not
// including) offset end, at most `limit` (0: all); returns how many.
Result<uint64_t> copy_until(LogConsumer& consumer, uint32_t p, Offset end, uint64_t limit, NdjsonOut& out) {
  uint64_t written = 0;
  std::vector<LogRecord> batch;
  auto idle_since = std::chrono::steady_clock::now();
  Offset next = 0;
  while (!out.closed() && (limit == 0 || written < limit)) {
    batch.clear();
    const uint64_t room =
        limit == 0 ? limits::log_poll_records_max : std::min<uint64_t>(limit - written, limits::log_poll_records_max);
    Result<size_t> got = consumer.poll(batch, milliseconds(log_tool_limits::poll_timeout_ms), room);
    DIMONA_TRY(got);
    if (*got == 0) {
      if (std::chrono::steady_clock::now() - idle_since > milliseconds(log_tool_limits::idle_timeout_ms)) {
        return unavailable("partition " + std::to_string(p) + ": no record came within " +
                           std::to_string(log_tool_limits::idle_timeout_ms / 1000) + " s after offset " +
                           std::to_string(next) + " (its end is " + std::to_string(end) + ")");
      }
      continue;
    }
    idle_since = std::chrono::steady_clock::now();
    for (const LogRecord& r : batch) {
      if (r.offset >= end) return written;
      out.add(r);
      ++written;
      next = r.offset + 1;
    }
    DIMONA_TRY(out.flush(false));
    if (next >= end) break;
  }
  return written;
}

// Reads partition p's last record; nullopt when p is empty.
Result<std::optional<LogRecord>> last_record(LogConsumer& consumer, uint32_t p, Offset end) {
  if (end == 0) return std::optional<LogRecord>();
  DIMONA_TRY(consumer.seek(p, end - 1));
  std::vector<LogRecord> batch;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(log_tool_limits::idle_timeout_ms);
  while (batch.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return unavailable("partition " + std::to_string(p) + ": its last record did not come within " +
                         std::to_string(log_tool_limits::idle_timeout_ms / 1000) + " s");
    }
    Result<size_t> got = consumer.poll(batch, milliseconds(log_tool_limits::poll_timeout_ms), 1);
    DIMONA_TRY(got);
  }
  return std::optional<LogRecord>(std::move(batch.front()));
}

// Positions the consumer (assigned {p}) where dump starts; false when p has nothing to dump.
Result<bool> position_for_dump(LogConsumer& consumer, uint32_t p, Offset end, const LogDumpOptions& o,
                               std::optional<Instant> from) {
  if (o.from_offset >= 0) {
    if (static_cast<Offset>(o.from_offset) >= end) return false;
    DIMONA_TRY(consumer.seek(p, static_cast<Offset>(o.from_offset)));
    return true;
  }
  if (from) {
    // seek_to_instant past every record waits at the end; dump must know
    // there is a record at or after the instant before it waits for one.
    Result<std::optional<LogRecord>> last = last_record(consumer, p, end);
    DIMONA_TRY(last);
    if (!*last || (*last)->recorded_at < *from) return false;
    DIMONA_TRY(consumer.seek_to_instant(p, *from));
    return true;
  }
  if (end == 0) return false;
  DIMONA_TRY(consumer.seek(p, 0));
  return true;
}

Result<std::optional<Instant>> parse_from(const std::string& text) {
  if (text.empty()) return std::optional<Instant>();
  if (std::optional<Instant> at = parse_instant(text)) return std::optional<Instant>(*at);
  if (std::optional<Date> day = parse_date(text))
    return std::optional<Instant>(brussels_instant(*day, 0));  // its start in Brussels
  return invalid_argument("--from " + text + ": not an instant (2025-06-20T09:12:00Z) nor a day (2025-06-20)");
}

Status dump(const CommonOptions& common, const LogDumpOptions& o, NdjsonOut& out) {
  if (o.from_offset >= 0 && !o.from.empty()) return invalid_argument("--from-offset and --from exclude each other");
  Result<std::optional<Instant>> from = parse_from(o.from);
  DIMONA_TRY(from);
  Result<std::unique_ptr<Log>> log = api::open_ledger_log(common, /*create=*/false);
  DIMONA_TRY(log);
  Result<std::vector<uint32_t>> partitions = chosen_partitions(**log, o.partition);
  DIMONA_TRY(partitions);
  Result<std::unique_ptr<LogConsumer>> consumer = (*log)->open_consumer();
  DIMONA_TRY(consumer);
  uint64_t written = 0;
  for (uint32_t p : *partitions) {
    if (out.closed() || (o.limit != 0 && written >= o.limit)) break;
    const uint32_t one[] = {p};
    DIMONA_TRY((*consumer)->assign(one));
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    Result<bool> any = position_for_dump(**consumer, p, *end, o, *from);
    DIMONA_TRY(any);
    if (!*any) continue;
    Result<uint64_t> n = copy_until(**consumer, p, *end, o.limit == 0 ? 0 : o.limit - written, out);
    DIMONA_TRY(n);
    written += *n;
  }
  return out.flush(true);
}

// After the last lines: every chosen partition from `ends`, until a signal or a closed stdout.
Status follow(LogConsumer& consumer, const std::vector<uint32_t>& partitions, const std::vector<Offset>& ends,
              const sigset_t& signals, NdjsonOut& out) {
  DIMONA_TRY(consumer.assign(partitions));
  for (size_t i = 0; i < partitions.size(); ++i) DIMONA_TRY(consumer.seek(partitions[i], ends[i]));
  std::vector<LogRecord> batch;
  while (!out.closed() && !stop_requested(signals)) {
    batch.clear();
    Result<size_t> got =
        consumer.poll(batch, milliseconds(log_tool_limits::poll_timeout_ms), limits::log_poll_records_max);
    DIMONA_TRY(got);
    for (const LogRecord& r : batch) out.add(r);
    DIMONA_TRY(out.flush(true));
  }
  return Status::ok();
}

Status tail(const CommonOptions& common, const LogTailOptions& o, const sigset_t& signals, NdjsonOut& out) {
  if (o.lines > log_tool_limits::tail_lines_max) {
    return invalid_argument("--lines: at most " + std::to_string(log_tool_limits::tail_lines_max));
  }
  Result<std::unique_ptr<Log>> log = api::open_ledger_log(common, /*create=*/false);
  DIMONA_TRY(log);
  Result<std::vector<uint32_t>> partitions = chosen_partitions(**log, o.partition);
  DIMONA_TRY(partitions);
  Result<std::unique_ptr<LogConsumer>> consumer = (*log)->open_consumer();
  DIMONA_TRY(consumer);
  std::vector<Offset> ends;
  for (uint32_t p : *partitions) {
    const uint32_t one[] = {p};
    DIMONA_TRY((*consumer)->assign(one));
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    ends.push_back(*end);
    const Offset start = *end > o.lines ? *end - o.lines : 0;
    if (start == *end || out.closed()) continue;
    DIMONA_TRY((*consumer)->seek(p, start));
    DIMONA_TRY(copy_until(**consumer, p, *end, 0, out));
  }
  DIMONA_TRY(out.flush(true));
  if (!o.follow) return Status::ok();
  return follow(**consumer, *partitions, ends, signals, out);
}

}  // namespace

int run_kafka_mock(const KafkaMockOptions& o) {
  if (o.brokers < 1) return fail("kafka-mock", invalid_argument("--brokers: at least 1"));
  if (o.topics.empty() && o.partitions != 0) return fail("kafka-mock", invalid_argument("--partitions needs --topic"));
  const sigset_t signals = block_stop_signals();  // before the mock's threads start
  Result<std::unique_ptr<KafkaMockCluster>> cluster = KafkaMockCluster::start(o.brokers);
  if (!cluster.is_ok()) return fail("kafka-mock", cluster.status());
  // Created here: librdkafka 2.0.2's mock answers no CreateTopics (docs/kafka.md).
  // NAME or NAME:PARTITIONS (a keyed table's topic has one); each NAME gets the topics of the
  // keyed tables the ledger keeps with a log (NAME.reference, NAME.owners, NAME.directory: one partition), which
  // a real cluster creates on first use and the mock cannot (docs/kafka.md section 8).
  std::vector<std::string> specs = o.topics;
  auto listed = [&specs](const std::string& name) {
    return std::any_of(specs.begin(), specs.end(), [&](const std::string& s) { return s == name || s.starts_with(name + ":"); });
  };
  for (const std::string& spec : o.topics) {
    const std::string name = spec.substr(0, spec.rfind(':'));
    constexpr std::array<const char*, 3> kTables = {".reference", ".owners", ".directory"};
    if (std::any_of(kTables.begin(), kTables.end(), [&](const char* t) { return name.ends_with(t); })) continue;
    for (const char* table : kTables)
      if (!listed(name + table)) specs.push_back(name + table + ":1");
  }
  for (const std::string& spec : specs) {
    std::string topic = spec;
    uint32_t partitions = o.partitions != 0 ? o.partitions : limits::partitions_default;
    if (const size_t colon = spec.rfind(':'); colon != std::string::npos) {
      topic = spec.substr(0, colon);
      const std::string count = spec.substr(colon + 1);
      uint32_t n = 0;
      const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
      if (ec != std::errc() || end != count.data() + count.size() || n < 1 || n > limits::partitions_max || topic.empty())
        return fail("kafka-mock", invalid_argument("--topic " + spec + ": NAME or NAME:PARTITIONS (1.." +
                                                   std::to_string(limits::partitions_max) + ")"));
      partitions = n;
    }
    const int replication = std::min(o.brokers, 3);
    Status created = (*cluster)->create_topic(topic, partitions, replication);
    if (!created.is_ok()) return fail("kafka-mock", created);
  }
  std::string bootstrap = (*cluster)->bootstrap();
  std::unique_ptr<api::LoopbackForwarder> forwarder;
  if (o.port != 0) {
    // The mock binds ephemeral ports only (librdkafka 2.0.2): a stable bootstrap
    // address forwards to the first broker; clients then use the advertised ones.
    const std::string first_broker = bootstrap.substr(0, bootstrap.find(','));
    Result<std::unique_ptr<api::LoopbackForwarder>> started = api::LoopbackForwarder::start(o.port, first_broker);
    if (!started.is_ok()) return fail("kafka-mock", started.status());
    forwarder = std::move(started).value();
    bootstrap = "127.0.0.1:" + std::to_string(forwarder->port());
  }
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);
  if (::isatty(STDERR_FILENO)) {
    std::string topics;
    for (const std::string& topic : o.topics) topics += ", topic " + topic;
    std::fprintf(stderr, "kafka-mock: %d broker(s) (%s)%s; Ctrl-C or SIGTERM stops\n", o.brokers,
                 (*cluster)->bootstrap().c_str(), topics.c_str());
  }
  int signal = 0;
  sigwait(&signals, &signal);
  return 0;
}

int run_log_dump(const CommonOptions& common, const LogDumpOptions& o) {
  NdjsonOut out;
  Status done = dump(common, o, out);
  if (!done.is_ok()) {
    (void)out.flush(true);  // what was read before the error is still printed
    return fail("log dump", done);
  }
  return 0;
}

int run_log_tail(const CommonOptions& common, const LogTailOptions& o) {
  sigset_t signals{};
  if (o.follow) signals = block_stop_signals();  // before the log's threads start
  NdjsonOut out;
  Status done = tail(common, o, signals, out);
  if (!done.is_ok()) {
    (void)out.flush(true);
    return fail("log tail", done);
  }
  return 0;
}

}  // namespace dimona::cli
