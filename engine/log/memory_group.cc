// Group membership on the memory backend (group.h): an in-process
// coordinator per store and group id, eager like Kafka's classic protocol.
// A join, a leave or a member dropped for silence starts a rebalance: every
// member that holds an assignment gives it up at its next poll()
// (on_revoked), and only when none holds anything does the coordinator deal
// the partitions round-robin over the members sorted by (name, join order);
// each takes its share at its next poll() (on_assigned). Callbacks run with
// the coordinator's mutex released, on the member's own thread.
#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "engine/base/assert.h"
#include "engine/log/log_internal.h"

namespace dimona::log_internal {
namespace {

using SteadyClock = std::chrono::steady_clock;

// One member as the coordinator sees it; guarded by the coordinator's mutex.
struct MemberState {
  std::string name;
  uint64_t joined = 0;  // join order (a rejoin after a drop gets a new one)
  std::chrono::milliseconds session_timeout{0};
  std::chrono::milliseconds rebalance_timeout{0};
  SteadyClock::time_point last_seen;
  bool in_group = false;                         // false once left, or dropped by the coordinator
  bool active = false;                           // took an assignment (possibly empty) and has not given it up
  bool in_callback = false;                      // inside on_revoked or on_assigned (judged by the rebalance timeout)
  bool waiting = false;                          // inside poll(), waiting: alive, it answers a rebalance at once
  std::vector<uint32_t> held;                    // ascending
  std::optional<std::vector<uint32_t>> pending;  // its share of the next generation, not taken yet
  uint64_t pending_generation = 0;
  uint64_t generation = 0;  // of `held`

  // When the coordinator drops it, unless it polls again before.
  SteadyClock::time_point expiry() const {
    if (waiting) return SteadyClock::time_point::max();
    return last_seen + (in_callback ? rebalance_timeout : session_timeout);
  }
};

struct Coordinator {
  Coordinator(std::shared_ptr<void> store_identity, uint32_t partition_count)
      : store(std::move(store_identity)), partitions(partition_count) {}
  std::shared_ptr<void> store;  // keeps the store (and so this coordinator's key) alive
  const uint32_t partitions;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::shared_ptr<MemberState>> members;  // in the group, in join order
  bool rebalancing = false;
  uint64_t generation = 0;
  uint64_t joins = 0;

  // Every member gives up what it took; the deal waits until none holds anything.
  void rebalance() {
    rebalancing = true;
    for (const auto& member : members) member->pending.reset();
    deal_when_all_gave_up();
    changed.notify_all();
  }

  void deal_when_all_gave_up() {
    if (!rebalancing) return;
    for (const auto& member : members) {
      if (member->active || member->in_callback) return;
    }
    rebalancing = false;
    if (members.empty()) return;
    std::vector<MemberState*> order;
    for (const auto& member : members) order.push_back(member.get());
    std::sort(order.begin(), order.end(), [](const MemberState* a, const MemberState* b) {
      return a->name != b->name ? a->name < b->name : a->joined < b->joined;
    });
    ++generation;
    for (MemberState* member : order) {
      member->pending.emplace();
      member->pending_generation = generation;
    }
    for (uint32_t partition = 0; partition < partitions; ++partition) {
      order[partition % order.size()]->pending->push_back(partition);
    }
    changed.notify_all();
  }

  void join(const std::shared_ptr<MemberState>& member) {
    DIMONA_ASSERT(!member->in_group && !member->active && member->held.empty());
    member->joined = joins++;
    member->in_group = true;
    member->last_seen = SteadyClock::now();
    members.push_back(member);
    rebalance();
  }

  void remove(const MemberState* member) {
    std::erase_if(members, [&](const auto& m) { return m.get() == member; });
  }

  // Drops the members (but `self`) silent past their timeout: their
  // partitions move now; each learns it at its next poll (group.h: a zombie).
  void drop_silent(const MemberState* self, SteadyClock::time_point now) {
    size_t before = members.size();
    std::erase_if(members, [&](const std::shared_ptr<MemberState>& m) {
      if (m.get() == self || m->expiry() > now) return false;
      m->in_group = false;
      m->pending.reset();
      return true;
    });
    if (members.size() != before) rebalance();
  }

  // When the next member (but `self`) may fall silent past its timeout.
  SteadyClock::time_point next_expiry(const MemberState* self, SteadyClock::time_point deadline) const {
    for (const auto& member : members) {
      if (member.get() != self) deadline = std::min(deadline, member->expiry());
    }
    return deadline;
  }
};

std::shared_ptr<Coordinator> coordinator_for(const std::shared_ptr<void>& store, uint32_t partitions,
                                             const std::string& group) {
  static std::mutex mutex;
  static std::map<std::pair<const void*, std::string>, std::weak_ptr<Coordinator>> coordinators;
  std::lock_guard lock(mutex);
  std::erase_if(coordinators, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<Coordinator>& slot = coordinators[{store.get(), group}];
  std::shared_ptr<Coordinator> coordinator = slot.lock();
  if (!coordinator) {
    coordinator = std::make_shared<Coordinator>(store, partitions);
    slot = coordinator;
  }
  return coordinator;
}

class MemoryGroupMember final : public GroupMember {
 public:
  MemoryGroupMember(std::shared_ptr<Coordinator> coordinator, std::shared_ptr<MemberState> state, std::string group,
                    GroupCallbacks callbacks)
      : coordinator_(std::move(coordinator)),
        state_(std::move(state)),
        group_(std::move(group)),
        callbacks_(std::move(callbacks)) {}
  ~MemoryGroupMember() override { (void)leave(); }

  Result<bool> poll(std::chrono::milliseconds timeout) override {
    if (left_) return failed_precondition("member " + state_->name + " has left group " + group_);
    const auto deadline = SteadyClock::now() + std::max(timeout, std::chrono::milliseconds(0));
    bool changed = false;
    std::unique_lock lock(coordinator_->mutex);
    for (;;) {
      const auto now = SteadyClock::now();
      state_->last_seen = now;
      coordinator_->drop_silent(state_.get(), now);
      if (!state_->in_group) {  // dropped while silent: give up what it held, then join again
        if (state_->active || !state_->held.empty()) {
          give_up(lock);
          changed = true;
        } else {
          coordinator_->join(state_);
        }
        continue;
      }
      if (coordinator_->rebalancing && state_->active) {
        give_up(lock);
        changed = true;
        continue;
      }
      if (state_->pending) {
        take_share(lock);
        changed = true;
        continue;
      }
      if (now >= deadline) return changed;
      state_->waiting = true;
      coordinator_->changed.wait_until(lock, coordinator_->next_expiry(state_.get(), deadline));
      state_->waiting = false;
    }
  }

  std::vector<uint32_t> assignment() const override {
    std::lock_guard lock(coordinator_->mutex);
    return state_->held;
  }

  uint64_t generation() const override {
    std::lock_guard lock(coordinator_->mutex);
    return state_->generation;
  }

  Status leave() override {
    if (left_) return Status::ok();
    left_ = true;
    std::unique_lock lock(coordinator_->mutex);
    state_->pending.reset();
    // on_revoked first, still a member: nobody else is dealt these partitions meanwhile.
    if (state_->active || !state_->held.empty()) give_up(lock);
    if (state_->in_group) {
      state_->in_group = false;
      coordinator_->remove(state_.get());
      coordinator_->rebalance();
    }
    return Status::ok();
  }

 private:
  // on_revoked(everything held), then nothing is held. Called and returns locked.
  void give_up(std::unique_lock<std::mutex>& lock) {
    std::vector<uint32_t> held = state_->held;
    state_->active = false;
    run_callback(lock, callbacks_.on_revoked, held);
    state_->held.clear();
    coordinator_->deal_when_all_gave_up();
    coordinator_->changed.notify_all();
  }

  // Takes the share dealt to it, then on_assigned. Called and returns locked.
  void take_share(std::unique_lock<std::mutex>& lock) {
    state_->held = std::move(*state_->pending);
    state_->pending.reset();
    state_->generation = state_->pending_generation;
    state_->active = true;
    std::vector<uint32_t> held = state_->held;
    run_callback(lock, callbacks_.on_assigned, held);
  }

  void run_callback(std::unique_lock<std::mutex>& lock, const std::function<void(std::span<const uint32_t>)>& callback,
                    const std::vector<uint32_t>& partitions) {
    state_->in_callback = true;
    state_->last_seen = SteadyClock::now();
    lock.unlock();
    if (callback) callback(partitions);
    lock.lock();
    state_->in_callback = false;
    state_->last_seen = SteadyClock::now();
  }

  std::shared_ptr<Coordinator> coordinator_;
  std::shared_ptr<MemberState> state_;
  std::string group_;
  GroupCallbacks callbacks_;
  bool left_ = false;  // used by the member's one thread only
};

}  // namespace

Result<std::unique_ptr<GroupMember>> join_memory_group(const std::shared_ptr<void>& store, uint32_t partitions,
                                                       const GroupOptions& options, GroupCallbacks callbacks) {
  DIMONA_TRY(validate_group_options(options));
  std::shared_ptr<Coordinator> coordinator = coordinator_for(store, partitions, options.group);
  auto state = std::make_shared<MemberState>();
  state->name = options.member_name;
  state->session_timeout = std::chrono::milliseconds(options.session_timeout_ms);
  state->rebalance_timeout = std::chrono::milliseconds(options.rebalance_timeout_ms);
  {
    std::lock_guard lock(coordinator->mutex);
    coordinator->join(state);
  }
  return std::unique_ptr<GroupMember>(std::make_unique<MemoryGroupMember>(std::move(coordinator), std::move(state),
                                                                          options.group, std::move(callbacks)));
}

}  // namespace dimona::log_internal
