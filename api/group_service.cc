#include "api/group_service.h"

#include <chrono>
#include <cstdio>

#include "api/ledger_root.h"
#include "engine/base/limits.h"
#include "engine/log/input_topic.h"

namespace dimona::api {

namespace {

std::string owner_key(uint32_t partition) { return "partition/" + std::to_string(partition); }

std::string list_text(const std::vector<uint32_t>& partitions) {
  std::string s;
  for (uint32_t p : partitions) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s.empty() ? "none" : s;
}

}  // namespace

GroupLedgerService::GroupLedgerService(const LedgerConfig& config, const Clock& clock, GroupServiceOptions options)
    : config_(config), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<GroupLedgerService>> GroupLedgerService::open(const LedgerConfig& config, const Clock& clock,
                                                                     GroupServiceOptions options) {
  std::unique_ptr<GroupLedgerService> s(new GroupLedgerService(config, clock, std::move(options)));
  // Membership, the owners table and the idle view read the log itself: the reader cache is the
  // share's (open_embedded_service, one mirror of the file at a time, copying what it holds).
  LedgerConfig own = config;
  own.reader_cache_path.clear();
  Result<std::unique_ptr<Log>> log = open_ledger_log(own, /*create=*/true);
  DIMONA_TRY(log);
  s->log_ = std::move(*log);
  s->held_.assign(s->log_->partitions(), false);
  Result<std::unique_ptr<Projector>> idle = Projector::open(*s->log_, ProjectorOptions{});
  DIMONA_TRY(idle);
  s->idle_ = std::move(*idle);
  Result<std::unique_ptr<KeyedTable>> owners = s->log_->open_table("owners");
  Result<std::unique_ptr<KeyedTable>> reader = s->log_->open_table("owners");
  if (owners.is_ok() && reader.is_ok()) {
    s->owners_ = std::move(*owners);
    s->owners_reader_ = std::move(*reader);
  } else {
    std::fprintf(stderr, "dimona-ledger: serve: warning: no owners table (%s): requests for other members' partitions "
                         "are answered 503, not redirected\n", (owners.is_ok() ? reader : owners).status().to_string().c_str());
  }
  GroupCallbacks callbacks;
  GroupLedgerService* raw = s.get();
  callbacks.on_revoked = [raw](std::span<const uint32_t>) { raw->on_revoked(); };
  callbacks.on_assigned = [raw](std::span<const uint32_t> partitions) {
    raw->on_assigned(std::vector<uint32_t>(partitions.begin(), partitions.end()));
  };
  GroupOptions group;
  group.group = s->options_.group;
  group.member_name = s->options_.advertise;
  Result<std::unique_ptr<GroupMember>> member = s->log_->join_group(group, std::move(callbacks));
  DIMONA_TRY(member);
  s->member_ = std::move(*member);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::group_first_assignment_ms);
  while (!s->assigned_once_.load()) {
    if (std::chrono::steady_clock::now() > deadline)
      return unavailable("group " + s->options_.group + " gave this process no share within " +
                         std::to_string(limits::group_first_assignment_ms / 1000) + " s");
    Result<bool> polled = s->member_->poll(std::chrono::milliseconds(limits::group_poll_ms));
    DIMONA_TRY(polled);
  }
  if (!s->failure_.is_ok()) return s->failure_;
  s->thread_ = std::thread([raw] { raw->run(); });
  return s;
}

GroupLedgerService::~GroupLedgerService() { stop(); }

void GroupLedgerService::run() {
  while (!stopping_.load()) {
    Result<bool> polled = member_->poll(std::chrono::milliseconds(limits::group_poll_ms));
    if (!polled.is_ok()) {
      std::fprintf(stderr, "dimona-ledger: serve: group %s: %s; retrying\n", options_.group.c_str(),
                   polled.status().to_string().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(limits::input_retry_backoff_ms));
    }
  }
  (void)member_->leave();  // on_revoked: the share stops before the others get its partitions
}

void GroupLedgerService::on_revoked() {
  if (feeder_) {
    feeder_->stop();
    feeder_.reset();
  }
  std::unique_ptr<EmbeddedLedgerService> share;
  {
    std::unique_lock lock(share_mutex_);
    share = std::move(share_);
    held_.assign(held_.size(), false);
    idle_writer_ = "opening";  // until the next assignment
  }
  if (share) share->stop();  // drains the writer, then a checkpoint; the producers go with it
}

void GroupLedgerService::on_assigned(std::vector<uint32_t> partitions) {
  assigned_once_.store(true);
  std::fprintf(stderr, "dimona-ledger: serve: group %s: holding partitions %s\n", options_.group.c_str(),
               list_text(partitions).c_str());
  if (partitions.empty()) {  // more members than partitions: this one writes nothing until a rebalance
    std::unique_lock lock(share_mutex_);
    idle_writer_ = "none";
    return;
  }
  ProjectorOptions projector;
  projector.threads = std::max(1u, options_.projector_threads);
  projector.checkpoint_path = checkpoint_path(config_);
  projector.checkpoint_at_end = false;  // as serve: a checkpoint when due, and when the share stops
  projector.checkpoint_in_fold = false;
  projector.keep_checkpoints = config_.keep_checkpoints;
  projector.partitions = partitions;
  // Its writer opens over the projector's states of these partitions (one state, as serve's).
  Result<std::unique_ptr<EmbeddedLedgerService>> share = open_embedded_service(config_, clock_, std::move(projector));
  if (!share.is_ok()) {
    {
      std::unique_lock lock(share_mutex_);
      idle_writer_ = "failed";
    }
    failure_ = share.status();
    std::fprintf(stderr, "dimona-ledger: serve: group %s: cannot open partitions %s: %s\n", options_.group.c_str(),
                 list_text(partitions).c_str(), failure_.to_string().c_str());
    return;
  }
  failure_ = Status::ok();
  {
    std::unique_lock lock(share_mutex_);
    share_ = std::move(*share);
    for (uint32_t p : partitions) held_[p] = true;
  }
  if (!options_.input.empty()) {
    Result<std::unique_ptr<InputTopic>> input = open_input_topic(options_.input);
    Result<std::unique_ptr<InputFeeder>> feeder =
        input.is_ok() ? InputFeeder::start(*share_, std::move(*input), partitions, options_.input_tally)
                      : Result<std::unique_ptr<InputFeeder>>(input.status());
    if (feeder.is_ok()) feeder_ = std::move(*feeder);
    else std::fprintf(stderr, "dimona-ledger: serve: input topic: %s\n", feeder.status().to_string().c_str());
  }
  if (owners_) {
    for (uint32_t p : partitions)
      if (Status put = owners_->put(owner_key(p), options_.advertise); !put.is_ok())
        std::fprintf(stderr, "dimona-ledger: serve: owners table: %s\n", put.to_string().c_str());
  }
}

std::vector<uint32_t> GroupLedgerService::held() const {
  std::shared_lock lock(share_mutex_);
  std::vector<uint32_t> out;
  for (uint32_t p = 0; p < held_.size(); ++p)
    if (held_[p]) out.push_back(p);
  return out;
}

void GroupLedgerService::submit(std::string body, Check check, Done done) {
  std::shared_lock lock(share_mutex_);
  if (!share_) return done(unavailable("this process holds no partition now (a rebalance); retry"));
  share_->submit(std::move(body), std::move(check), std::move(done));
}

void GroupLedgerService::submit_from(std::string body, SourcePosition position, std::string source, Done done) {
  std::shared_lock lock(share_mutex_);
  if (!share_) return done(unavailable("this process holds no partition now (a rebalance); retry"));
  share_->submit_from(std::move(body), std::move(position), std::move(source), std::move(done));
}

bool GroupLedgerService::with_writer(std::function<void(const Ledger*)> f) {
  std::shared_lock lock(share_mutex_);
  return share_ && share_->with_writer(std::move(f));
}

void GroupLedgerService::read_view(const std::function<void(const Projector&)>& f) const {
  std::shared_lock lock(share_mutex_);
  if (share_) share_->read_view(f);
  else f(*idle_);
}

Result<std::shared_ptr<const Projector>> GroupLedgerService::state_at(Instant at) const {
  std::shared_lock lock(share_mutex_);
  if (!share_) return unavailable("this member holds no partition now");
  return share_->state_at(at);
}

Result<std::shared_ptr<const Projector>> GroupLedgerService::citizen_state_at(Ssin citizen, Instant at) const {
  std::shared_lock lock(share_mutex_);
  if (!share_) return unavailable("this member holds no partition now");
  return share_->citizen_state_at(citizen, at);
}

Result<std::shared_ptr<const Projector>> GroupLedgerService::citizen_state_of(Ssin citizen,
                                                                              const std::vector<Offset>& offsets,
                                                                              Instant at) const {
  std::shared_lock lock(share_mutex_);
  if (!share_) return unavailable("this member holds no partition now");
  return share_->citizen_state_of(citizen, offsets, at);
}

bool GroupLedgerService::wait_for(uint32_t partition, Offset offset, int deadline_ms) const {
  std::shared_lock lock(share_mutex_);
  return share_ && share_->wait_for(partition, offset, deadline_ms);
}

uint32_t GroupLedgerService::partition_of(Ssin citizen) const { return partition_for(citizen, log_->partitions()); }

bool GroupLedgerService::holds(uint32_t partition) const {
  std::shared_lock lock(share_mutex_);
  return partition < held_.size() && held_[partition];
}

bool GroupLedgerService::read_owners() const {
  owners_read_at_.reset();
  owners_cache_.clear();
  if (!owners_reader_->refresh().is_ok()) return false;
  owners_reader_->for_each([this](std::string_view key, std::string_view url) { owners_cache_.emplace(key, url); });
  owners_read_at_ = std::chrono::steady_clock::now();
  return true;
}

// Called for a partition this member does not hold, from request handlers. The
// cache may name this member itself (it held the partition when the table was
// read): never a redirect to itself, the table is read again first.
std::optional<std::string> GroupLedgerService::owner_of(uint32_t partition) const {
  // One read of the table at a time, and none again soon after one failed: a request that would
  // wait behind it, or retry an unreachable cluster, is answered 503 now (limits::group_owners_retry_ms).
  std::unique_lock lock(owners_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || !owners_reader_) return std::nullopt;
  const auto cached = [&]() -> std::optional<std::string> {
    auto it = owners_cache_.find(owner_key(partition));
    if (it == owners_cache_.end() || it->second == options_.advertise) return std::nullopt;
    return it->second;
  };
  const bool fresh = owners_read_at_ && std::chrono::steady_clock::now() - *owners_read_at_ <
                                            std::chrono::milliseconds(limits::group_owners_cache_ms);
  if (fresh) {
    if (std::optional<std::string> owner = cached()) return owner;
  }
  if (owners_failed_at_ &&
      std::chrono::steady_clock::now() - *owners_failed_at_ < std::chrono::milliseconds(limits::group_owners_retry_ms))
    return std::nullopt;
  if (!read_owners()) {
    owners_failed_at_ = std::chrono::steady_clock::now();
    return std::nullopt;
  }
  owners_failed_at_.reset();
  return cached();
}

bool GroupLedgerService::ready() const {
  std::shared_lock lock(share_mutex_);
  return share_ && share_->ready();
}

std::string_view GroupLedgerService::writer_status() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->writer_status() : idle_writer_;
}

std::string GroupLedgerService::log_uri() const { return log_->uri(); }

std::optional<ReaderCacheStats> GroupLedgerService::reader_cache_stats() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->reader_cache_stats() : std::nullopt;
}

Result<std::vector<PartitionProgress>> GroupLedgerService::progress() const {
  std::shared_lock lock(share_mutex_);
  if (!share_) return std::vector<PartitionProgress>{};
  return share_->progress();
}

uint64_t GroupLedgerService::lag() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->lag() : 0;
}

uint64_t GroupLedgerService::events_folded() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->events_folded() : 0;
}

uint64_t GroupLedgerService::events_handed_over() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->events_handed_over() : 0;
}

uint64_t GroupLedgerService::commit_failures() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->commit_failures() : 0;
}

uint64_t GroupLedgerService::fold_failures() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->fold_failures() : 0;
}

Instant GroupLedgerService::ledger_time() const {
  std::shared_lock lock(share_mutex_);
  return share_ ? share_->ledger_time() : Instant{};
}

void GroupLedgerService::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();  // leaves the group: the share stops in on_revoked
  else if (member_) (void)member_->leave();
  on_revoked();
}

}  // namespace dimona::api
