// citizen_past_bench: one citizen's state as of an instant, read from the log
// alone (Projector::of_citizen, as `GET /v1/citizens/{ssin}/...?asOf=T`
// answers it: PastStates::citizen_at), without HTTP, on an existing ledger of
// any size (issue 12, item 4; docs/benchmarks.md "One citizen's past").
//
// Opens the data folder's log and its latest checkpoint (the citizens'
// offsets come from the CitizenIndex read model), draws --sample citizens
// from an SSIN file (those with at least one event), then for --passes
// passes reads each citizen as of a random instant between --from and --to
// (the same instants every pass, drawn from --seed) on one thread with one
// pooled reader, as serve does. Prints per pass the latency distribution
// (p50, p90, p99, max) and the events read, and the medians over the passes.
// One thread: the figure is the read's own cost, without the HTTP layer nor
// another reader's contention (bench/audit/citizen_as_of.sh measures those).
//
// Usage: citizen_past_bench --data DIR --ssins FILE [--log URI] [--sample N]
//                           [--passes R] [--seed S] [--from T] [--to T]
//   T: an RFC 3339 instant (default 2025-01-15T00:00:00Z .. 2025-12-15T00:00:00Z).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"
#include "projections/citizen_index.h"
#include "projections/projector.h"

using namespace dimona;

namespace {

constexpr const char* kTool = "citizen_past_bench";
[[noreturn]] void die(const std::string& what) { bench::die(kTool, what); }

struct Read {
  Ssin citizen;
  std::vector<Offset> offsets;
  Instant as_of;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, ssins_path, log_uri;
  size_t sample = 500;
  int passes = 3;
  uint64_t seed = 1;
  std::string from_text = "2025-01-15T00:00:00Z", to_text = "2025-12-15T00:00:00Z";
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) die(std::string("option ") + argv[i] + " needs a value");
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data")
      data = value;
    else if (flag == "--ssins")
      ssins_path = value;
    else if (flag == "--log")
      log_uri = value;
    else if (flag == "--sample")
      sample = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--passes")
      passes = std::atoi(value.c_str());
    else if (flag == "--seed")
      seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--from")
      from_text = value;
    else if (flag == "--to")
      to_text = value;
    else
      die("unknown option " + flag);
  }
  if (data.empty() || ssins_path.empty()) die("usage: citizen_past_bench --data DIR --ssins FILE [--log URI] ...");
  if (sample == 0 || passes <= 0) die("--sample and --passes must be positive");
  const std::optional<Instant> from = parse_instant(from_text), to = parse_instant(to_text);
  if (!from || !to || *to < *from) die("--from and --to must be RFC 3339 instants, from <= to");
  if (log_uri.empty()) log_uri = "sqlite:" + data + "/ledger.db";

  Result<std::unique_ptr<Log>> log = open_log(log_uri, LogOptions{});
  if (!log.is_ok()) die("open " + log_uri + ": " + log.status().message());
  ProjectorOptions options;
  options.checkpoint_path = data + "/checkpoint.db";
  options.threads = 2;
  const auto opening = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Projector>> projector = Projector::open(**log, options);
  if (!projector.is_ok()) die("open the projector: " + projector.status().message());
  Result<ReplayStats> caught = (*projector)->catch_up();
  if (!caught.is_ok()) die("fold the log's tail: " + caught.status().message());
  std::printf("state opened in %.2f s (%llu events folded past the checkpoint)\n", bench::seconds_since(opening),
              static_cast<unsigned long long>(caught->events));

  std::vector<Ssin> citizens;
  {
    std::ifstream in(ssins_path);
    if (!in) die("cannot read " + ssins_path);
    for (std::string line; std::getline(in, line);)
      if (Result<Ssin> s = parse_ssin(line); s.is_ok()) citizens.push_back(*s);
  }
  std::mt19937_64 random(seed);
  std::shuffle(citizens.begin(), citizens.end(), random);
  std::vector<Read> reads;
  std::uniform_int_distribution<int64_t> instant(from->micros, to->micros);
  for (Ssin citizen : citizens) {
    if (reads.size() == sample) break;
    std::vector<Offset> offsets = (*projector)->citizens((*projector)->partition_of(citizen)).offsets(citizen);
    if (offsets.empty()) continue;
    reads.push_back(Read{citizen, std::move(offsets), Instant{instant(random)}});
  }
  if (reads.empty()) die("no citizen of " + ssins_path + " has an event in this ledger");
  uint64_t indexed = 0;
  for (const Read& r : reads) indexed += r.offsets.size();
  std::printf("%zu citizens, %llu indexed events (%.1f each)\n", reads.size(), static_cast<unsigned long long>(indexed),
              static_cast<double>(indexed) / static_cast<double>(reads.size()));

  Result<std::unique_ptr<LogConsumer>> reader = (*log)->open_reader();
  if (!reader.is_ok()) die("open a reader: " + reader.status().message());
  ProjectorOptions view;  // as PastStates' base: one thread, no checkpoint
  std::vector<double> p50s, p90s, p99s, maxes, totals;
  for (int pass = 1; pass <= passes; ++pass) {
    std::vector<double> ms;
    ms.reserve(reads.size());
    const auto pass_start = std::chrono::steady_clock::now();
    for (const Read& r : reads) {
      const auto t0 = std::chrono::steady_clock::now();
      Result<std::unique_ptr<Projector>> state =
          Projector::of_citizen(**log, view, r.citizen, r.offsets, r.as_of, reader->get());
      if (!state.is_ok()) die("read " + format_ssin(r.citizen) + ": " + state.status().message());
      ms.push_back(bench::seconds_since(t0) * 1e3);
    }
    const double total = bench::seconds_since(pass_start);
    p50s.push_back(percentile(ms, 0.5));
    p90s.push_back(percentile(ms, 0.9));
    p99s.push_back(percentile(ms, 0.99));
    maxes.push_back(percentile(ms, 1.0));
    totals.push_back(total);
    std::printf("pass %d: %.0f reads/s, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", pass,
                static_cast<double>(reads.size()) / total, p50s.back(), p90s.back(), p99s.back(), maxes.back());
  }
  std::printf("median of %d passes: %.0f reads/s, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", passes,
              static_cast<double>(reads.size()) / bench::median(totals), bench::median(p50s), bench::median(p90s),
              bench::median(p99s), bench::median(maxes));
  std::fflush(stdout);
  std::_Exit(0);  // the state's teardown (seconds at 1 M students) is no part of the figures, nor of a profile
}
