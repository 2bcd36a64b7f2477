// `dimona-ledger audit`: the ledger at an instant, its state hash, an
// independent check of the hashes the checkpoints recorded, and a citizen's
// history (docs/audit.md).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <string>
#include <vector>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/base/json_writer.h"
#include "engine/base/private_file.h"
#include "projections/checkpoint_store.h"
#include "projections/citizen_history.h"
#include "projections/export.h"
#include "projections/projector.h"

namespace dimona::cli {
namespace {

std::string state_line(const Projector& projector) { return state_summary_json(projector) + "\n"; }

// A projector folding the log alone: no checkpoint read or written (an independent rebuild).
Result<std::unique_ptr<Projector>> independent(Log& log, const CommonOptions& common) {
  ProjectorOptions options;
  options.threads = std::max(1u, std::thread::hardware_concurrency());
  options.as_of = common.as_of;
  Result<std::shared_ptr<const QuotaSchedule>> quota = api::reference_schedule(log, common);
  DIMONA_TRY(quota);
  options.quota = *quota;
  return Projector::open(log, options);
}

}  // namespace

int run_audit_rebuild(const CommonOptions& common, const AuditOptions& o) {
  if (Status s = may_replace(o.out, api::ledger_files(common), "--out"); !s.is_ok()) return fail("audit rebuild", s);
  Result<ReadSide> side = open_read_side(common, 0, /*show_progress=*/true);
  if (!side.is_ok()) return fail("audit rebuild", side.status());
  if (Status s = write_export(*side->projector, o.out); !s.is_ok()) return fail("audit rebuild", s);
  if (::isatty(STDERR_FILENO))
    std::fprintf(stderr, "dimona-ledger: audit rebuild: %llu events from a checkpoint, %llu folded after it; %s",
                 static_cast<unsigned long long>(side->stats.resumed_events),
                 static_cast<unsigned long long>(side->stats.events), state_line(*side->projector).c_str());
  return 0;
}

int run_audit_state_hash(const CommonOptions& common, const AuditOptions&) {
  Result<ReadSide> side = open_read_side(common, 0, /*show_progress=*/true);
  if (!side.is_ok()) return fail("audit state-hash", side.status());
  const std::string line = state_line(*side->projector);
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

int run_audit_verify(const CommonOptions& common, const AuditOptions& o) {
  if (!o.expect.empty() && (o.expect.size() != 64 || o.expect.find_first_not_of("0123456789abcdef") != std::string::npos))
    return fail("audit verify", invalid_argument("--expect: a state hash is 64 lower-case hexadecimal digits"));
  Result<std::unique_ptr<Log>> log = open_ledger_log(common, /*create=*/false);
  if (!log.is_ok()) return fail("audit verify", log.status());
  Result<std::unique_ptr<Projector>> projector = independent(**log, common);
  if (!projector.is_ok()) return fail("audit verify", projector.status());
  if (!o.expect.empty()) {  // one state, rebuilt here, against a hash from elsewhere
    Result<ReplayStats> folded = (*projector)->catch_up();
    if (!folded.is_ok()) return fail("audit verify", folded.status());
    const std::string line = state_line(**projector);
    std::fwrite(line.data(), 1, line.size(), stdout);
    const bool same = to_hex((*projector)->state_hash()) == o.expect;
    if (!same) std::fprintf(stderr, "dimona-ledger: audit verify: the state rebuilt from the log has another hash than %s\n", o.expect.c_str());
    return same ? 0 : 1;
  }
  // Every kept checkpoint, oldest first, against the log folded alone to its offsets.
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(checkpoint_path(common));
  if (!store.is_ok()) return fail("audit verify", store.status());
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  if (!kept.is_ok()) return fail("audit verify", kept.status());
  if (kept->empty()) return fail("audit verify", failed_precondition("no checkpoint is kept in " + checkpoint_path(common) + " (run `dimona-ledger replay`)"));
  size_t differ = 0;
  for (const CheckpointSummary& c : *kept) {
    if (common.as_of && c.ledger_time > *common.as_of) break;
    if (c.offsets.size() != (*projector)->partition_count())
      return fail("audit verify",
                  failed_precondition("checkpoint " + std::to_string(c.sequence) + " covers " +
                                      std::to_string(c.offsets.size()) + " partitions and the log has " +
                                      std::to_string((*projector)->partition_count()) +
                                      ": it is another log's, or this log's partition count was changed"));
    Result<ReplayStats> folded = (*projector)->catch_up_to(c.offsets);
    if (!folded.is_ok()) return fail("audit verify", folded.status());
    const bool same = (*projector)->state_hash() == c.state_hash;
    differ += same ? 0 : 1;
    std::string line;
    JsonWriter w(&line);
    w.begin_object();
    w.key("checkpoint").integer(static_cast<int64_t>(c.sequence));
    w.key("ledgerTime").string(to_string(c.ledger_time));
    w.key("stateHash").string(to_hex(c.state_hash));
    w.key("rebuilt").string(to_hex((*projector)->state_hash()));
    w.key("verdict").string(same ? "same" : "DIFFERENT");
    w.end_object();
    line += "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  if (differ > 0) {
    std::fprintf(stderr, "dimona-ledger: audit verify: %zu checkpoint(s) hold another state than the log gives\n", differ);
    return 1;
  }
  return 0;
}

// The same items as GET /v1/audit/citizens/{ssin}/events: read from the live index, up to
// --as-of (citizen_history stops there itself: no past state is folded for it).
int run_audit_events(const CommonOptions& common, const AuditOptions& o) {
  CommonOptions live = common;
  live.as_of.reset();
  Result<CitizenView> view = open_citizen(live, o.ssin);
  if (!view.is_ok()) return fail("audit events", view.status());
  const Result<uint64_t> total =
      citizen_history(*view->side.projector, view->citizen, common.as_of, 0, UINT64_MAX, [](std::string_view item) {
        std::fwrite(item.data(), 1, item.size(), stdout);
        std::fputc('\n', stdout);
        return std::ferror(stdout) ? io_error("cannot write to stdout") : Status::ok();
      });
  if (!total.is_ok()) return fail("audit events", total.status());
  if (std::fflush(stdout) != 0) return fail("audit events", io_error("cannot write to stdout"));
  std::fprintf(stderr, "%llu event(s)%s\n", static_cast<unsigned long long>(*total),
               common.as_of ? (" recorded at or before " + to_string(*common.as_of)).c_str() : "");
  return 0;
}

}  // namespace dimona::cli
