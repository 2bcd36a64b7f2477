#include "api/input_feeder.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "api/http.h"
#include "engine/base/limits.h"
#include "engine/ingest.h"

namespace dimona::api {

static_assert(limits::input_in_flight_max < http_limits::write_queue_max,
              "the input topic leaves room in the writer's queue for the REST API");

struct InputFeeder::State {
  LedgerService& service;
  std::unique_ptr<InputTopic> input;
  std::string source;  // "topic:TOPIC/"
  std::thread thread;
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;
  std::condition_variable answered;
  std::map<uint32_t, std::set<Offset>> in_flight;  // per partition: handed over, not answered
  std::map<uint32_t, std::set<Offset>> failed;     // per partition: answered unavailable
  std::map<uint32_t, Offset> next;                 // per partition: the offset after the last handed over
  size_t in_flight_count = 0;
  std::shared_ptr<InputTally> counts;

  State(LedgerService& s, std::unique_ptr<InputTopic> i, std::shared_ptr<InputTally> tally)
      : service(s),
        input(std::move(i)),
        source("topic:" + input->topic() + "/"),
        counts(tally ? std::move(tally) : std::make_shared<InputTally>()) {}

  // The lowest offset of `partition` not yet answered as stored (lock held).
  Offset resume(uint32_t partition) const {
    Offset r = next.at(partition);
    if (auto f = in_flight.find(partition); f != in_flight.end() && !f->second.empty()) r = std::min(r, *f->second.begin());
    if (auto f = failed.find(partition); f != failed.end() && !f->second.empty()) r = std::min(r, *f->second.begin());
    return r;
  }

  void answer(uint32_t partition, Offset offset, const Result<WriteOutcome>& outcome) {
    std::lock_guard lock(mutex);
    in_flight[partition].erase(offset);
    --in_flight_count;
    if (outcome.is_ok()) {
      ++(outcome->stored_before ? counts->already_stored : counts->stored);
    } else if (outcome.status().code() == Code::kInvalidArgument) {
      ++counts->malformed;
      say(partition, offset, outcome.status().message());
    } else if (outcome.status().code() == Code::kFailedPrecondition) {
      // serve --group: the record's event belongs to a partition another member holds (its
      // producer did not key it by the worker's SSIN): reading it again would not change that.
      ++counts->misrouted;
      say(partition, offset, outcome.status().message() + " (key input records by the worker's SSIN)");
    } else {
      ++counts->retried;
      failed[partition].insert(offset);
    }
    answered.notify_all();
  }

  void say(uint32_t partition, Offset offset, const std::string& why) const {
    std::fprintf(stderr, "dimona-ledger: serve: input %s%u offset %llu skipped: %s\n", source.c_str(), partition,
                 static_cast<unsigned long long>(offset), why.c_str());
  }

  void hand_over(const InputRecord& record) {
    if (record.too_large) {
      std::lock_guard lock(mutex);
      ++counts->records;
      ++counts->malformed;
      say(record.partition, record.offset, "record longer than 64 KiB");
      next[record.partition] = record.offset + 1;
      return;
    }
    SourcePosition position;
    position.source = source + std::to_string(record.partition);
    position.at = SourceMark{record.offset + 1, record.offset + 1, 0};
    {
      std::lock_guard lock(mutex);
      ++counts->records;
      next[record.partition] = record.offset + 1;
      if (record.value.find_first_not_of(" \t\r\n") == std::string::npos) return;  // blank: nothing to decide
      const Offset r = resume(record.partition);
      position.resume = SourceMark{std::min(r, record.offset), std::min(r, record.offset), 0};
      in_flight[record.partition].insert(record.offset);
      ++in_flight_count;
    }
    const uint32_t partition = record.partition;
    const Offset offset = record.offset;
    std::string origin = position.source + ":" + std::to_string(offset);  // the event's source
    service.submit_from(record.value, std::move(position), std::move(origin),
                        [this, partition, offset](const Result<WriteOutcome>& outcome) { answer(partition, offset, outcome); });
  }

  // Waits until nothing is in flight (or, with `room`, until there is room for more).
  void wait(bool room) {
    std::unique_lock lock(mutex);
    answered.wait(lock, [&] {
      return room ? in_flight_count < limits::input_in_flight_max : in_flight_count == 0;
    });
  }

  // After failures: read again from each partition's first failed offset.
  Status read_again() {
    wait(false);
    std::map<uint32_t, Offset> from;
    {
      std::lock_guard lock(mutex);
      for (auto& [partition, offsets] : failed) {
        if (offsets.empty()) continue;
        next[partition] = std::min(next[partition], *offsets.begin());
        offsets.clear();
      }
      from = next;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(limits::input_retry_backoff_ms));
    return input->assign(from);
  }

  bool any_failed() const {
    std::lock_guard lock(mutex);
    for (const auto& [partition, offsets] : failed)
      if (!offsets.empty()) return true;
    return false;
  }

  void run() {
    std::vector<InputRecord> records;
    while (!stopping.load()) {
      if (any_failed()) {
        if (Status again = read_again(); !again.is_ok()) say_error(again);
        continue;
      }
      wait(true);
      records.clear();
      Result<size_t> polled = input->poll(records, std::chrono::milliseconds(limits::input_poll_timeout_ms),
                                          limits::input_poll_records);
      if (!polled.is_ok()) {
        say_error(polled.status());
        std::this_thread::sleep_for(std::chrono::milliseconds(limits::input_retry_backoff_ms));
        continue;
      }
      for (const InputRecord& record : records) hand_over(record);
    }
    wait(false);
  }

  void say_error(const Status& status) const {
    std::fprintf(stderr, "dimona-ledger: serve: input topic %s: %s; retrying\n", input->topic().c_str(),
                 status.to_string().c_str());
  }
};

InputFeeder::InputFeeder(std::unique_ptr<State> state) : state_(std::move(state)) {}

InputFeeder::~InputFeeder() { stop(); }

Result<std::unique_ptr<InputFeeder>> InputFeeder::start(LedgerService& service, std::unique_ptr<InputTopic> input,
                                                        std::vector<uint32_t> held, std::shared_ptr<InputTally> tally) {
  auto state = std::make_unique<State>(service, std::move(input), std::move(tally));
  // Where each partition got to, asked of the writer (its thread owns the Ledger).
  std::promise<std::optional<std::map<uint32_t, SourceProgress>>> asked;  // nullopt: the writer could not open
  std::future<std::optional<std::map<uint32_t, SourceProgress>>> progress = asked.get_future();
  const uint32_t partitions = state->input->partitions();
  if (held.empty())
    for (uint32_t p = 0; p < partitions; ++p) held.push_back(p);
  for (uint32_t p : held)
    if (p >= partitions)
      return failed_precondition("input topic " + state->input->topic() + " has " + std::to_string(partitions) +
                                 " partitions, not " + std::to_string(p + 1) + ": it must have the log's");
  const std::string source = state->source;
  if (!service.with_writer([&asked, held, source](const Ledger* ledger) {
        if (ledger == nullptr) return asked.set_value(std::nullopt);
        std::map<uint32_t, SourceProgress> found;
        for (uint32_t p : held) found[p] = source_progress(*ledger, source + std::to_string(p));
        asked.set_value(std::move(found));
      })) {
    return unavailable("the ledger is stopping");
  }
  const std::optional<std::map<uint32_t, SourceProgress>> asked_progress = progress.get();
  if (!asked_progress) return unavailable("the ledger's writer could not open: no record of the input topic is read");
  std::map<uint32_t, Offset> from;
  for (const auto& [partition, found] : *asked_progress) {
    Result<PartitionRange> range = state->input->range(partition);
    DIMONA_TRY(range);
    if (found.stored && found.resume.index > range->end)
      return topic_behind(state->input->topic(), partition, range->end, found.resume.index);
    from[partition] = found.stored ? found.resume.index : range->first;  // a first read: where it starts
  }
  DIMONA_TRY(state->input->assign(from));
  state->next = from;
  State* raw = state.get();
  state->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<InputFeeder>(new InputFeeder(std::move(state)));
}

void InputFeeder::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->stopping.store(true);
  state_->thread.join();
}

InputCounts InputFeeder::counts() const { return state_->counts->snapshot(); }

const std::string& InputFeeder::topic() const { return state_->input->topic(); }

}  // namespace dimona::api
