// Micro-benchmarks of the decision path: decoding a declaration (simdjson
// On-Demand), deciding it against a warm ledger state, encoding its event.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/generator/generator.h"
#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/log/log.h"

namespace dimona {
namespace {

// A generated year in memory, one padded string per line.
const std::vector<std::string>& sample_lines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    GeneratorOptions o;
    o.students = 5000;
    std::string text;
    (void)generate(o, [&text](std::string_view chunk) {
      text.append(chunk);
      return Status::ok();
    });
    size_t at = 0;
    for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) out.emplace_back(text, at, nl - at);
    return out;
  }();
  return lines;
}

void BM_DecodeDeclaration(benchmark::State& state) {
  const auto& lines = sample_lines();
  std::vector<std::string> padded;
  for (const auto& l : lines) padded.push_back(l + std::string(kJsonPadding, ' '));
  DeclarationDecoder decoder;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = padded[i];
    auto d = decoder.decode(std::string_view(p.data(), lines[i].size()), p.size());
    benchmark::DoNotOptimize(d);
    bytes += lines[i].size();
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeDeclaration);

// Decode + decide + stage (encode the event, fold it) over a whole year, in memory.
void BM_DecodeDecideStage(benchmark::State& state) {
  const auto& lines = sample_lines();
  std::vector<std::string> padded;
  for (const auto& l : lines) padded.push_back(l + std::string(kJsonPadding, ' '));
  auto schedule = load_quota_schedule("");
  SystemClock clock;
  DeclarationDecoder decoder;
  for (auto _ : state) {
    state.PauseTiming();
    LogOptions log_options;
    log_options.partitions = 16;
    auto log = open_log("memory:", log_options);
    auto ledger = Ledger::open(**log, *schedule, clock, ServerSecret::from_passphrase("test"));
    state.ResumeTiming();
    for (size_t i = 0; i < lines.size(); ++i) {
      auto d = decoder.decode(std::string_view(padded[i].data(), lines[i].size()), padded[i].size());
      if (!d.is_ok()) continue;
      auto s = (*ledger)->submit(*d, lines[i], "bench");
      benchmark::DoNotOptimize(s);
      if ((*ledger)->staged_events() >= 16384) (void)(*ledger)->commit();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_DecodeDecideStage)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dimona

BENCHMARK_MAIN();
