// Fuzz target: the declaration and action decoder, and what a decoded command
// reaches. The input is up to command_lines_max NDJSON lines; each is decoded
// by DeclarationDecoder::decode_command and, when it decodes, submitted to a
// fresh Ledger over an in-memory log (decide, encode, fold), so a sequence of
// lines reaches the rules that depend on earlier periods. Properties: no crash
// or sanitizer report; decode() and decode_command() agree on declarations;
// every staged event line decodes again (EventDecoder); the group commits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/base/time.h"
#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "engine/quota_schedule.h"
#include "tests/fuzz/fuzz_util.h"

namespace dimona::fuzz {
namespace {

constexpr size_t command_lines_max = 16;

const QuotaSchedule& schedule() {
  static const QuotaSchedule s = [] {
    Result<QuotaSchedule> q = load_quota_schedule(DIMONA_SCHEMAS_DIR "/quota.json");
    FUZZ_CHECK(q.is_ok());
    return *q;
  }();
  return s;
}

void submit(Ledger& ledger, DeclarationDecoder& decoder, EventDecoder& events, std::string_view line) {
  const Padded padded(line);
  Result<Command> command = decoder.decode_command(padded.text(), padded.capacity());
  Result<Declaration> declaration = decoder.decode(padded.text(), padded.capacity());
  if (declaration.is_ok()) FUZZ_CHECK(command.is_ok() && !command->is_action);
  if (!command.is_ok()) return;
  uint32_t partition = 0;
  if (command->is_action) {
    Result<ActionSubmission> s = ledger.submit_action(command->action, line, "fuzz");
    if (!s.is_ok()) return;
    partition = s->partition;
  } else {
    Result<Submission> s = ledger.submit(command->declaration, line, "fuzz");
    if (!s.is_ok()) return;
    partition = s->partition;
  }
  const Padded event(ledger.last_staged_event(partition));
  Result<Event> decoded = events.decode(event.text(), event.capacity());
  if (!decoded.is_ok()) std::fprintf(stderr, "%s\n%s\n", decoded.status().to_string().c_str(), event.text().data());
  FUZZ_CHECK(decoded.is_ok());
}

}  // namespace
}  // namespace dimona::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  static DeclarationDecoder decoder;
  static EventDecoder events;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  LogOptions log_options;
  log_options.partitions = 2;
  Result<std::unique_ptr<Log>> log_opened = open_log("memory:", log_options);
  DIMONA_ASSERT(log_opened.is_ok());
  Log& log = **log_opened;
  ManualClock clock(*parse_instant("2025-06-01T08:00:00Z"));
  Result<std::unique_ptr<Ledger>> ledger = Ledger::open(log, fuzz::schedule(), clock, ServerSecret{});
  FUZZ_CHECK(ledger.is_ok());
  size_t start = 0;
  for (size_t lines = 0; start <= input.size() && lines < fuzz::command_lines_max; ++lines) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    fuzz::submit(**ledger, decoder, events, input.substr(start, end - start));
    clock.advance_micros(1'000'000);
    start = end + 1;
  }
  FUZZ_CHECK((*ledger)->commit().is_ok());
  return 0;
}
