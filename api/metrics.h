// Metrics: the server's Prometheus text — requests by route template and
// status, a latency histogram, the ledger's folds and lag, and what the
// input topic's records became.
//
// Contract. observe() counts one answered request under its route template
// (never a concrete path: no SSIN reaches a label); text() renders the
// exposition format with the figures the caller passes. Bounded by the
// route table (one series per template and status). Thread-safe: each thread
// counts in its own shard (of kShards), text() sums them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/input_feeder.h"
#include "api/service.h"

namespace dimona::api {

class Metrics {
 public:
  static constexpr std::array<double, 11> kBucketsMs = {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};

  // Counted in the calling thread's shard: every request passes here, and one
  // lock for all the I/O threads was contended.
  void observe(std::string_view route, int status, double ms) {
    Shard& s = shards_[thread_shard()];
    std::lock_guard lock(s.mutex);
    auto it = s.requests.find(std::pair<std::string_view, int>{route, status});
    if (it == s.requests.end())
      it = s.requests.emplace(std::pair<std::string, int>{std::string(route), status}, 0).first;
    ++it->second;
    size_t b = 0;
    while (b < kBucketsMs.size() && ms > kBucketsMs[b]) ++b;
    ++s.buckets[b];
    s.sum_ms += ms;
    ++s.count;
  }

  // The ledger's own figures, read from the LedgerService when /metrics is asked.
  struct LedgerFigures {
    uint64_t events_folded = 0;
    uint64_t events_handed_over = 0;
    uint64_t lag = 0;
    uint64_t commit_failures = 0;
    uint64_t fold_failures = 0;
    std::vector<PartitionProgress> partitions;  // empty when the log could not say
    std::optional<InputCounts> input;           // the input topic's feeders (serve --input); none: no series
    std::optional<ReaderCacheStats> reader_cache;  // the log's reader cache (serve on Kafka); none: no series
  };

  std::string text(const LedgerFigures& ledger) const {
    // The shards summed: each read under its own lock, so a scrape never stops every request at once.
    std::map<std::pair<std::string, int>, uint64_t, Less> requests;
    std::array<uint64_t, kBucketsMs.size() + 1> buckets{};
    double sum_ms = 0;
    uint64_t count = 0;
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      for (const auto& [key, n] : s.requests) requests[key] += n;
      for (size_t b = 0; b < buckets.size(); ++b) buckets[b] += s.buckets[b];
      sum_ms += s.sum_ms;
      count += s.count;
    }
    std::string out = "# HELP dimona_http_requests_total HTTP requests by route and status.\n"
                      "# TYPE dimona_http_requests_total counter\n";
    for (const auto& [key, n] : requests)
      out += "dimona_http_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) +
             "\"} " + std::to_string(n) + "\n";
    out += "# HELP dimona_http_request_duration_seconds Request latency.\n"
           "# TYPE dimona_http_request_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBucketsMs.size(); ++b) {
      cumulative += buckets[b];
      const std::string le = b < kBucketsMs.size() ? std::to_string(kBucketsMs[b] / 1000.0) : "+Inf";
      out += "dimona_http_request_duration_seconds_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "dimona_http_request_duration_seconds_sum " + std::to_string(sum_ms / 1000.0) + "\n";
    out += "dimona_http_request_duration_seconds_count " + std::to_string(count) + "\n";
    out += "# HELP dimona_events_folded_total Events folded into the read models.\n"
           "# TYPE dimona_events_folded_total counter\ndimona_events_folded_total " +
           std::to_string(ledger.events_folded) + "\n";
    out += "# HELP dimona_events_handed_over_total Of those, this process's own writes, folded as the writer handed "
           "them over, not read back from the log.\n"
           "# TYPE dimona_events_handed_over_total counter\ndimona_events_handed_over_total " +
           std::to_string(ledger.events_handed_over) + "\n";
    out += "# HELP dimona_write_lag Submissions accepted and not yet folded.\n"
           "# TYPE dimona_write_lag gauge\ndimona_write_lag " + std::to_string(ledger.lag) + "\n";
    out += "# HELP dimona_commit_failures_total Group commits the log refused (a full disk): their writes were "
           "answered 503 not stored.\n"
           "# TYPE dimona_commit_failures_total counter\ndimona_commit_failures_total " +
           std::to_string(ledger.commit_failures) + "\n";
    out += "# HELP dimona_fold_failures_total Folds of the read models that failed after a durable commit (retried).\n"
           "# TYPE dimona_fold_failures_total counter\ndimona_fold_failures_total " +
           std::to_string(ledger.fold_failures) + "\n";
    if (ledger.input) {
      const InputCounts& in = *ledger.input;
      out += "# HELP dimona_input_records_read_total Records read from the input topic, retries included.\n"
             "# TYPE dimona_input_records_read_total counter\ndimona_input_records_read_total " +
             std::to_string(in.records) + "\n";
      out += "# HELP dimona_input_records_total Input records answered, by outcome: stored, already_stored "
             "(a redelivery the log held), malformed and misrouted (skipped, said on stderr), retried (read again).\n"
             "# TYPE dimona_input_records_total counter\n";
      const std::pair<const char*, uint64_t> outcomes[] = {{"stored", in.stored},       {"already_stored", in.already_stored},
                                                           {"malformed", in.malformed}, {"misrouted", in.misrouted},
                                                           {"retried", in.retried}};
      for (const auto& [outcome, n] : outcomes)
        out += "dimona_input_records_total{outcome=\"" + std::string(outcome) + "\"} " + std::to_string(n) + "\n";
    }
    if (const std::optional<ReaderCacheStats>& cache = ledger.reader_cache) {
      out +=
          "# HELP dimona_reader_cache_reads_total Reads by offset (a citizen's past), by where they were "
          "answered: copy (the local reader cache) or log (Kafka: the copy had not every offset).\n"
          "# TYPE dimona_reader_cache_reads_total counter\n"
          "dimona_reader_cache_reads_total{answer=\"copy\"} " +
          std::to_string(cache->hits) +
          "\n"
          "dimona_reader_cache_reads_total{answer=\"log\"} " +
          std::to_string(cache->misses) + "\n";
      out +=
          "# HELP dimona_reader_cache_records_copied_total Records the reader cache copied from the log.\n"
          "# TYPE dimona_reader_cache_records_copied_total counter\ndimona_reader_cache_records_copied_total " +
          std::to_string(cache->records_copied) + "\n";
      out +=
          "# HELP dimona_reader_cache_partitions_reset_total Partition copies emptied because the log differed.\n"
          "# TYPE dimona_reader_cache_partitions_reset_total counter\ndimona_reader_cache_partitions_reset_total " +
          std::to_string(cache->partitions_reset) + "\n";
    }
    if (ledger.partitions.empty()) return out;
    out += "# HELP dimona_partition_offset The next offset the read models fold, per partition.\n"
           "# TYPE dimona_partition_offset gauge\n";
    for (const PartitionProgress& p : ledger.partitions)
      out += "dimona_partition_offset{partition=\"" + std::to_string(p.partition) + "\"} " + std::to_string(p.folded) + "\n";
    out += "# HELP dimona_partition_lag Events in the log not yet folded, per partition.\n"
           "# TYPE dimona_partition_lag gauge\n";
    for (const PartitionProgress& p : ledger.partitions)
      out += "dimona_partition_lag{partition=\"" + std::to_string(p.partition) + "\"} " + std::to_string(p.lag()) + "\n";
    return out;
  }

 private:
  struct Less {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view x = a.first, y = b.first;
      return x != y ? x < y : a.second < b.second;
    }
  };
  static constexpr size_t kShards = 8;  // threads past it share shards, round-robin
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::map<std::pair<std::string, int>, uint64_t, Less> requests;
    std::array<uint64_t, kBucketsMs.size() + 1> buckets{};
    double sum_ms = 0;
    uint64_t count = 0;
  };
  // The calling thread's shard: threads numbered as they first count, so the I/O threads differ.
  static size_t thread_shard() {
    static std::atomic<size_t> next{0};
    thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
  }
  std::array<Shard, kShards> shards_;
};

}  // namespace dimona::api
