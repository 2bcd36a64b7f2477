#include "api/cli_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "api/progress.h"
#include "engine/base/private_file.h"
#include "engine/quota_schedule.h"
#include "projections/checkpoint_store.h"

namespace dimona::cli {

Result<std::unique_ptr<EmbeddedLog>> open_log(const CommonOptions& common, bool create) {
  if (create && ::mkdir(common.data_dir.c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST)
    return io_error("cannot create " + common.data_dir + ": " + std::strerror(errno));
  EmbeddedLogOptions options;
  options.create_if_missing = create;
  if (common.partitions != 0) options.partitions = common.partitions;
  return EmbeddedLog::open(common.data_dir + "/ledger.db", options);
}

std::string checkpoint_path(const CommonOptions& common) { return common.data_dir + "/checkpoint.db"; }

Result<ServerSecret> open_secret(const CommonOptions& common) {
  return ServerSecret::load_or_create(!common.secret_file.empty() ? common.secret_file
                                                                  : common.data_dir + "/secret.key");
}

Result<WriterLock> WriterLock::acquire(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST)
    return io_error("cannot create " + data_dir + ": " + std::strerror(errno));
  const std::string path = data_dir + "/writer.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return busy("another process writes to " + data_dir + " (a running serve or ingest): stop it, or use the REST API");
  }
  return WriterLock(fd);
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<WriteSide> open_write_side(const CommonOptions& common, const Clock& clock) {
  Result<WriterLock> lock = WriterLock::acquire(common.data_dir);
  DIMONA_TRY(lock);
  WriteSide side{std::move(*lock), nullptr, nullptr};
  Result<std::unique_ptr<EmbeddedLog>> log = open_log(common, /*create=*/true);
  DIMONA_TRY(log);
  side.log = std::move(*log);
  Result<QuotaSchedule> schedule = load_quota_schedule(common.quota_path);
  DIMONA_TRY(schedule);
  Result<ServerSecret> secret = open_secret(common);
  DIMONA_TRY(secret);
  Result<std::unique_ptr<Ledger>> ledger = Ledger::open(*side.log, std::move(*schedule), clock, *secret);
  DIMONA_TRY(ledger);
  if (common.recorded_at_skew_seconds >= 0) (*ledger)->set_recorded_at_future_skew(common.recorded_at_skew_seconds);
  side.ledger = std::move(*ledger);
  return side;
}

Result<std::unique_ptr<Projector>> open_projector(EventLog& log, const ProjectorOptions& options) {
  Result<std::unique_ptr<Projector>> projector = Projector::open(log, options);
  if (projector.is_ok() || options.checkpoint_path.empty()) return projector;
  const Code code = projector.status().code();
  if (code != Code::kCorruption && code != Code::kFailedPrecondition) return projector;
  Result<std::string> aside = set_aside_checkpoint(options.checkpoint_path, SystemClock().now());
  if (!aside.is_ok()) return aside.status();
  std::fprintf(stderr, "dimona-ledger: warning: the checkpoint %s cannot be used (%s); set aside as %s, rebuilding the state from the log\n",
               options.checkpoint_path.c_str(), projector.status().to_string().c_str(), aside->c_str());
  return Projector::open(log, options);
}

Result<ReadSide> open_read_side(const CommonOptions& common, unsigned threads, bool show_progress,
                                uint64_t checkpoint_every_events) {
  ReadSide side;
  const std::string path = common.data_dir + "/ledger.db";
  if (!std::filesystem::exists(path)) return not_found("no log at " + path + ": ingest a file first");
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path, EmbeddedLogOptions{});
  DIMONA_TRY(log);
  side.log = std::move(*log);
  ProjectorOptions options;
  options.threads = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  options.checkpoint_path = checkpoint_path(common);
  options.checkpoint_every_events = checkpoint_every_events;
  options.round_events = std::min<uint64_t>(options.round_events, std::max<uint64_t>(1, checkpoint_every_events / 4));
  Result<std::unique_ptr<Projector>> projector = open_projector(*side.log, options);
  DIMONA_TRY(projector);
  side.projector = std::move(*projector);
  Progress progress("replay", "events");
  Result<ReplayStats> stats = side.projector->catch_up([&](const ReplayProgress& p) {
    if (show_progress) progress.update(p.events, p.events, p.total);
  });
  progress.finish();
  DIMONA_TRY(stats);
  side.stats = *stats;
  return side;
}

Result<CitizenView> open_citizen(const CommonOptions& common, const std::string& text) {
  Result<Ssin> ssin = parse_ssin(text);
  if (!ssin.is_ok()) return invalid_argument("SSIN: " + ssin.status().message());
  Result<ReadSide> side = open_read_side(common, 0, false);
  DIMONA_TRY(side);
  CitizenView view{std::move(*side), *ssin, nullptr};
  view.state = &view.side.projector->state_of(*ssin);
  return view;
}

Instant ledger_now(const Projector& projector) { return std::max(SystemClock().now(), projector.ledger_time()); }

std::string duplicate_text(const DuplicateEvents& d) {
  std::string text = std::to_string(d.duplicates) + " event(s) repeat the eventId of an earlier one (";
  for (size_t i = 0; i < d.ids.size(); ++i) text += (i ? ", " : "") + d.ids[i];
  if (d.duplicates > d.ids.size()) text += ", ...";
  return text + ")";
}

std::string employer_text(uint64_t employer) {
  if (employer & kNssoEmployerTag) return "NSSO " + std::to_string(employer & ~kNssoEmployerTag);
  return format_enterprise_number(EnterpriseNumber{employer});
}

std::string EmployerNaming::text(uint64_t employer) const {
  std::string out = employer_text(employer);
  const EmployerNameOf of = names();
  if (!of) return out;
  if (std::optional<std::string> name = of(employer)) out += " " + *name;
  return out;
}

Result<EmployerNaming> open_employer_naming(const CommonOptions& common) {
  EmployerNaming naming;
  Result<std::unique_ptr<EmployerRegister>> reg = EmployerRegister::open_if_present(employer_register_path(common.data_dir));
  DIMONA_TRY(reg);
  naming.reg = std::move(*reg);
  const char* lang = std::getenv("LANG");
  naming.language = language_from_accept(!common.language.empty() ? common.language : lang ? lang : "");
  return naming;
}

EmployerNaming employer_naming_or_numbers(const CommonOptions& common) {
  Result<EmployerNaming> naming = open_employer_naming(common);
  if (naming.is_ok()) return std::move(*naming);
  std::fprintf(stderr, "dimona-ledger: warning: employer names unavailable (%s); showing numbers only\n",
               naming.status().to_string().c_str());
  return EmployerNaming{};
}

Result<uint64_t> parse_employer(const std::string& text, const char* option) {
  constexpr std::string_view kNsso = "nsso:";
  if (text.compare(0, kNsso.size(), kNsso) == 0) {
    const std::string digits = text.substr(kNsso.size());
    char* end = nullptr;
    const unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
    Result<NssoNumber> nsso = digits.empty() || *end != '\0' ? Result<NssoNumber>(invalid_argument("not a number"))
                                                              : parse_nsso_number(v);
    if (!nsso.is_ok()) return invalid_argument(std::string(option) + ": not a valid NSSO number");
    return nsso->value | kNssoEmployerTag;
  }
  Result<EnterpriseNumber> n = parse_enterprise_number(text);
  if (!n.is_ok()) return invalid_argument(std::string(option) + ": " + n.status().message());
  return n->value;
}

Result<Instant> parse_instant_option(const std::string& text, const char* option, Instant otherwise) {
  if (text.empty()) return otherwise;
  if (auto t = parse_instant(text)) return *t;
  if (auto d = parse_date(text)) return start_of(*d);
  return invalid_argument(std::string(option) + ": expected YYYY-MM-DD or an RFC 3339 instant");
}

}  // namespace dimona::cli
