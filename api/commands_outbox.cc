// `outbox relay` (issue 14, item 5): the attestations' messages to the outbox
// log, through projections/outbox.h, and the relay thread of `serve --outbox`.
// stdout: what was relayed (counts and the outbox's URI, never an SSIN);
// stderr: diagnostics.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/base/limits.h"
#include "projections/outbox.h"

namespace dimona::cli {
namespace {

// The events log (it must exist), its outbox, and a relay between them.
struct OpenRelay {
  std::unique_ptr<Log> events;
  std::unique_ptr<Log> outbox;
  std::unique_ptr<OutboxRelay> relay;
};

Result<OpenRelay> open_relay(const CommonOptions& common, const std::string& outbox_uri) {
  OpenRelay open;
  Result<std::unique_ptr<Log>> events = open_ledger_log(common, /*create=*/false);
  DIMONA_TRY(events);
  open.events = std::move(*events);
  Result<std::unique_ptr<Log>> outbox = api::open_outbox_log(common, outbox_uri, open.events->partitions());
  DIMONA_TRY(outbox);
  open.outbox = std::move(*outbox);
  Result<std::unique_ptr<OutboxRelay>> relay = OutboxRelay::open(*open.events, *open.outbox);
  DIMONA_TRY(relay);
  open.relay = std::move(*relay);
  return open;
}

void print_totals(const OutboxStats& s, const std::string& outbox) {
  std::printf("relayed %llu message(s) to %s (%llu event(s) read, %llu refused action(s) without one)\n",
              static_cast<unsigned long long>(s.messages), outbox.c_str(), static_cast<unsigned long long>(s.events),
              static_cast<unsigned long long>(s.refused));
  std::fflush(stdout);
}

}  // namespace

int run_outbox_relay(const CommonOptions& common, const OutboxRelayOptions& o) {
  sigset_t signals{};
  if (o.follow) signals = block_stop_signals();  // before the logs' threads start
  Result<OpenRelay> open = open_relay(common, o.outbox);
  if (!open.is_ok()) return fail("outbox relay", open.status());
  const std::string outbox = open->outbox->uri();
  if (!o.follow) {
    Result<OutboxStats> stats = open->relay->relay_to_end();
    if (!stats.is_ok()) return fail("outbox relay", stats.status());
    print_totals(*stats, outbox);
    return 0;
  }
  std::fprintf(stderr, "outbox relay: following %s into %s; SIGTERM or Ctrl-C stops\n", open->events->uri().c_str(),
               outbox.c_str());
  uint64_t printed = 0;
  Result<OutboxStats> stats = open->relay->follow([&] { return stop_requested(signals); },
                                                  [&](const OutboxStats& s) {
                                                    std::printf("relayed %llu message(s)\n",
                                                                static_cast<unsigned long long>(s.messages - printed));
                                                    std::fflush(stdout);
                                                    printed = s.messages;
                                                  });
  if (!stats.is_ok()) return fail("outbox relay", stats.status());
  print_totals(*stats, outbox);
  return 0;
}

struct OutboxThread::State {
  CommonOptions common;
  std::string uri;
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<bool> stopping{false};
  std::thread thread;

  void run() {
    while (!stopping) {
      Result<OpenRelay> open = open_relay(common, uri);
      Status failed = open.status();
      if (open.is_ok()) {
        Result<OutboxStats> followed = open->relay->follow([this] { return stopping.load(); });
        failed = followed.status();
      }
      if (failed.is_ok()) continue;  // stopped
      std::fprintf(stderr, "dimona-ledger: serve: outbox relay: %s; again in %d s\n", failed.to_string().c_str(),
                   limits::outbox_restart_ms / 1000);
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::milliseconds(limits::outbox_restart_ms), [this] { return stopping.load(); });
    }
  }
};

OutboxThread::OutboxThread(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<OutboxThread>> OutboxThread::start(const CommonOptions& common, const std::string& outbox_uri) {
  {  // the URI and the outbox checked once here, so that a typo fails serve at its start; a broker
     // that does not answer (yet) is the relay's to retry, as any later failure is: the API serves
    Result<OpenRelay> open = open_relay(common, outbox_uri);
    if (!open.is_ok() && open.status().code() != Code::kUnavailable) return open.status();
    if (!open.is_ok())
      std::fprintf(stderr, "dimona-ledger: serve: outbox relay: %s; again in %d s\n", open.status().to_string().c_str(),
                   limits::outbox_restart_ms / 1000);
  }
  auto state = std::make_unique<State>();
  state->common = common;
  state->uri = outbox_uri;
  State* s = state.get();
  state->thread = std::thread([s] { s->run(); });
  return std::unique_ptr<OutboxThread>(new OutboxThread(std::move(state)));
}

void OutboxThread::stop() {
  if (!state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
}

OutboxThread::~OutboxThread() { stop(); }

}  // namespace dimona::cli
