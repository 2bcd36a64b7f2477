// `serve` (the REST API over the live ledger) and `token` (development tokens).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/ip/address.hpp>

#include "api/auth.h"
#include "api/cli_support.h"
#include "api/commands.h"
#include "api/group_service.h"
#include "api/input_feeder.h"
#include "api/ledger_root.h"
#include "api/portal.h"
#include "api/routes.h"
#include "api/server.h"
#include "api/service.h"
#include "engine/base/limits.h"
#include "engine/base/prewarm.h"
#include "projections/employer_register.h"

namespace dimona::cli {
namespace {

std::string dev_key_dir(const CommonOptions& common) { return common.data_dir + "/dev-keys"; }

// A base for the links answers carry: http:// or https://, a host, printable ASCII without blanks.
bool valid_public_url(std::string_view url) {
  const size_t scheme = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
  if (scheme == 0 || url.size() == scheme || url.size() > 2048) return false;
  return std::all_of(url.begin(), url.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

int run_serve(const CommonOptions& given, const ServeOptions& o) {
  CommonOptions common = given;
  if (o.reader_cache) common.reader_cache_path = common.data_dir + "/reader-cache.db";
  // SIGTERM and SIGINT are taken by sigwait below, in this thread only: block
  // them before any thread starts, so every thread inherits the mask.
  const sigset_t signals = block_stop_signals();

  if (o.portal_sign_in && !o.jwks.empty())
    return fail("serve", invalid_argument("--portal-sign-in mints tokens with the development key: not beside --jwks"));
  boost::system::error_code not_an_address;
  const boost::asio::ip::address bound = boost::asio::ip::make_address(o.address, not_an_address);
  if (o.portal_sign_in && o.address != "localhost" && (not_an_address || !bound.is_loopback()))
    return fail("serve",
                invalid_argument(
                    "--portal-sign-in lets anyone who reaches the server sign in as anyone: loopback --address only"));
  // The options read as addresses and links are checked here, before anything starts: a proxy
  // address that can never match, or a link that is no web address, is a mistake to say now.
  if (!o.trusted_proxy.empty()) {
    boost::system::error_code error;
    (void)boost::asio::ip::make_address(o.trusted_proxy, error);
    if (error) return fail("serve", invalid_argument("--trusted-proxy: expected the proxy's IP address"));
  }
  if (!o.public_url.empty() && !valid_public_url(o.public_url))
    return fail("serve", invalid_argument("--public-url: expected an http:// or https:// address without spaces"));
  if (o.portal_sign_in)
    std::fprintf(stderr, "serve: development sign-in on (/portal/): anyone reaching %s may sign in as anyone\n",
                 o.address.c_str());
  std::string jwks = o.jwks;
  std::shared_ptr<const api::PortalSignIn> sign_in;
  if (jwks.empty()) {  // the development key, made on first use (dimona-ledger token signs with it)
    Result<api::TokenMinter> minter = api::TokenMinter::open_dev_key(dev_key_dir(common));
    if (!minter.is_ok()) return fail("serve", minter.status());
    jwks = dev_key_dir(common) + "/" + std::string(api::kDevJwksFile);
    if (o.portal_sign_in)
      sign_in = std::make_shared<const api::PortalSignIn>(
          api::PortalSignIn{std::make_shared<const api::TokenMinter>(std::move(*minter)), o.issuer, o.audience});
  }
  Result<api::TokenVerifier> verifier = api::TokenVerifier::from_jwks_file(jwks, o.issuer, o.audience);
  if (!verifier.is_ok()) return fail("serve", verifier.status());
  std::unique_ptr<InputTopic> input;
  if (!o.input.empty()) {  // before the service: a missing topic costs no fold
    if (Status loop = api::input_is_not_the_log(o.input, common); !loop.is_ok()) return fail("serve", loop);
    Result<std::unique_ptr<InputTopic>> opened = open_input_topic(o.input);
    if (!opened.is_ok()) return fail("serve", opened.status());
    input = std::move(opened).value();
  }
  SystemClock clock;
  struct LoadFailure {
    std::mutex mutex;
    Status status = Status::ok();
  };
  auto load_failure = std::make_shared<LoadFailure>();
  // What the input topic's records became, summed over its feeders, for /metrics.
  std::shared_ptr<api::InputTally> input_tally = o.input.empty() ? nullptr : std::make_shared<api::InputTally>();
  // Declared before the service: its descriptor closes after every SQLite connection to the file
  // (closing it earlier would drop SQLite's locks on it: engine/base/prewarm.h).
  std::optional<PrewarmFile> warm;
  Result<std::unique_ptr<api::LedgerService>> service = unavailable("not opened");
  if (!o.group.empty()) {  // scale-out: this process's share of the partitions (api/group_service.h)
    if (o.advertise.empty() && o.port == 0)
      return fail("serve", invalid_argument("--group needs a fixed --port or an --advertise URL the other members can reach"));
    api::GroupServiceOptions group{o.group, o.advertise.empty() ? "http://" + o.address + ":" + std::to_string(o.port) : o.advertise,
                                   o.input, o.projector_threads, input_tally};
    input.reset();  // the group service reads the input topic on its own partitions
    Result<std::unique_ptr<api::GroupLedgerService>> opened = api::GroupLedgerService::open(common, clock, std::move(group));
    if (!opened.is_ok()) return fail("serve", opened.status());
    service = std::unique_ptr<api::LedgerService>(std::move(*opened));
  } else {
    // Serve at once: the partitions load after the server starts, each answering once loaded. A
    // load that fails stops serve as a signal would, and serve then exits with its message.
    service = api::open_ledger_service(common, clock, o.projector_threads, [load_failure](const Status& why) {
      {
        std::lock_guard lock(load_failure->mutex);
        load_failure->status = why;
      }
      ::kill(::getpid(), SIGTERM);  // to the process: the main thread's sigwait takes it
    });
  }
  if (!service.is_ok()) return fail("serve", service.status());
  std::unique_ptr<OutboxThread> outbox;  // after the service: the events log exists
  if (!o.outbox.empty()) {
    // given, not common: the relay reads the log through no reader cache (one mirror per file).
    Result<std::unique_ptr<OutboxThread>> started = OutboxThread::start(given, o.outbox);
    if (!started.is_ok()) return fail("serve: outbox relay", started.status());
    outbox = std::move(*started);
  }
  api::ServerOptions server_options{o.address,         o.port,           o.io_threads,
                                    o.tls_certificate, o.tls_private_key, o.connections_max,
                                    o.connections_per_client_max};
  // Names for the answers: the reference, followed, so a later import is seen without a restart.
  std::shared_ptr<const EmployerRegister> employers = EmployerRegister::follow(
      employer_register_path(common.data_dir), std::chrono::milliseconds(limits::employer_register_recheck_ms),
      [](const Status& s) {
        std::fprintf(stderr, "dimona-ledger: warning: employer names: %s; the answers keep the names read before (numbers when none)\n",
                     s.to_string().c_str());
      });
  api::Api api(**service, std::move(*verifier), clock,
               api::ApiOptions{o.public_url, o.trusted_proxy, employers, input_tally, sign_in});
  Result<std::unique_ptr<api::HttpServer>> server = api::HttpServer::start(
      server_options, [&api](api::HttpRequest r, std::function<void(api::HttpResponse)> done) {
        api.handle(std::move(r), std::move(done));
      });
  if (!server.is_ok()) return fail("serve", server.status());
  std::unique_ptr<api::InputFeeder> feeder;
  if (input) {
    Result<std::unique_ptr<api::InputFeeder>> started = api::InputFeeder::start(**service, std::move(input), {}, input_tally);
    if (!started.is_ok()) return fail("serve", started.status());
    feeder = std::move(started).value();
  }
  const std::string public_url = !o.public_url.empty() ? o.public_url
                                                       : std::string((*server)->tls() ? "https" : "http") + "://" +
                                                             o.address + ":" + std::to_string((*server)->port());
  api.set_public_url(public_url);  // the real port, when --port 0 picked one
  // The server answers already; the line that says so waits a moment for the state (on a small
  // ledger, its whole load), so a script that reads it and asks /ready finds it loaded.
  (void)(*service)->wait_all_loaded(api::http_limits::serve_announce_wait_ms);
  std::printf("serving %s://%s:%u (links: %s); SIGTERM or Ctrl-C stops\n", (*server)->tls() ? "https" : "http",
              o.address.c_str(), (*server)->port(), public_url.c_str());
  std::fflush(stdout);
  // Prewarming: once loaded, the file a citizen's past is read from (the embedded log, or on
  // Kafka the reader cache) read into the page cache while memory is available, so that those
  // reads find memory, not the disk (engine/base/prewarm.h, docs/operations.md).
  std::atomic<bool> stopping{false};
  std::thread prewarm;
  const std::string embedded = api::embedded_log_path(common);
  if (const std::string log_file = !embedded.empty() ? embedded : common.reader_cache_path;
      o.prewarm && !log_file.empty()) {
    Result<PrewarmFile> opened = PrewarmFile::open(log_file);
    if (opened.is_ok()) {
      warm.emplace(std::move(*opened));
      prewarm = std::thread([&stopping, &service, file = &*warm] {
        while (!stopping.load() && !(*service)->wait_all_loaded(200)) {
        }
        if (stopping.load()) return;
        const auto started = std::chrono::steady_clock::now();
        Result<uint64_t> read = file->read(prewarm_budget_bytes(), [&stopping] { return stopping.load(); });
        if (!read.is_ok()) {
          std::fprintf(stderr, "dimona-ledger: serve: warning: %s\n", read.status().to_string().c_str());
        } else if (::isatty(STDERR_FILENO)) {
          std::fprintf(stderr, "serve: %s prewarmed: %.1f MB in %.1f s\n", file->path().c_str(),
                       static_cast<double>(*read) / 1e6,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
      });
    } else {
      std::fprintf(stderr, "dimona-ledger: serve: warning: %s\n", opened.status().to_string().c_str());
    }
  }
  int signal = 0;
  sigwait(&signals, &signal);
  stopping.store(true);
  if (prewarm.joinable()) prewarm.join();
  const Status load_failed = [&] {
    std::lock_guard lock(load_failure->mutex);
    return load_failure->status;
  }();
  if (load_failed.is_ok()) std::fprintf(stderr, "stopping: finishing the requests in flight, then a checkpoint\n");
  if (feeder) {
    feeder->stop();
    const api::InputCounts c = feeder->counts();
    std::fprintf(stderr,
                 "input topic %s: %llu records read, %llu stored, %llu already stored, %llu malformed, %llu read again, "
                 "%llu misrouted\n",
                 feeder->topic().c_str(), static_cast<unsigned long long>(c.records),
                 static_cast<unsigned long long>(c.stored), static_cast<unsigned long long>(c.already_stored),
                 static_cast<unsigned long long>(c.malformed), static_cast<unsigned long long>(c.retried),
                 static_cast<unsigned long long>(c.misrouted));
  }
  api.stop_fanout();  // before the server: every answer reaches a live connection
  (*server)->stop();
  if (outbox) outbox->stop();
  (*service)->stop();
  if (!load_failed.is_ok()) return fail("serve", load_failed);  // one line, as a refusal before serving is
  return 0;
}

int run_token(const CommonOptions& common, const TokenOptions& o) {
  if (o.issuer.empty() || o.audience.empty()) return fail("token", invalid_argument("--issuer and --audience may not be empty"));
  Result<api::Principal> p = api::principal_from({o.role, o.ssin, o.enterprise_number, o.subject});
  if (!p.is_ok()) return fail("token", p.status());
  // The key is the data folder's. A new key (a new folder, or a mistyped one) is said on stderr:
  // only a server given this folder, or its dev-jwks.json with --jwks, trusts its tokens.
  std::error_code ec;
  const bool new_key = !std::filesystem::exists(dev_key_dir(common), ec);
  Result<api::TokenMinter> minter = api::TokenMinter::open_dev_key(dev_key_dir(common));
  if (!minter.is_ok()) return fail("token", minter.status());
  if (new_key)
    std::fprintf(
        stderr,
        "dimona-ledger: token: a new development key in %s: only a server with --data %s (or --jwks) trusts it\n",
        dev_key_dir(common).c_str(), common.data_dir.c_str());
  std::printf("%s\n", minter->mint(*p, SystemClock().now(), o.lifetime_seconds, o.issuer, o.audience).c_str());
  return 0;
}

}  // namespace dimona::cli
