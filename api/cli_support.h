// What the subcommands share: opening the log, the writer (Ledger) and the
// read side (a Projector caught up from its checkpoint), and small parsers.
//
// Contract. Internal to the command line. Every function returns errors as
// values with a message fit for one stderr line; none prints, except
// open_projector's one warning when it sets a checkpoint aside.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "api/commands.h"
#include "engine/base/time.h"
#include "engine/embedded_log.h"
#include "engine/ledger.h"
#include "projections/employer_register.h"
#include "projections/projector.h"

namespace dimona::cli {

Result<std::unique_ptr<EmbeddedLog>> open_log(const CommonOptions& common, bool create);
std::string checkpoint_path(const CommonOptions& common);
// The server secret: --secret-file, or DATA/secret.key (made on first use).
Result<ServerSecret> open_secret(const CommonOptions& common);

// An exclusive lock on DATA/writer.lock (flock), held while it lives: one
// writer per log, whatever the process (serve, ingest, submit, attest).
class WriterLock {
 public:
  static Result<WriterLock> acquire(const std::string& data_dir);
  WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WriterLock& operator=(WriterLock&&) = delete;
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The single writer over the log, for the subcommands that append.
struct WriteSide {
  WriterLock lock;  // first: released last
  std::unique_ptr<EmbeddedLog> log;
  std::unique_ptr<Ledger> ledger;
};
Result<WriteSide> open_write_side(const CommonOptions& common, const Clock& clock);

// Projector::open. A checkpoint it cannot use (kCorruption: garbage, truncated,
// a state that does not decode; kFailedPrecondition: another format, another
// log) is set aside (set_aside_checkpoint) with one warning line on stderr,
// and the projector starts empty: the log is the truth, the fold rebuilds it.
Result<std::unique_ptr<Projector>> open_projector(EventLog& log, const ProjectorOptions& options);

// The log and a projector caught up with it (from the checkpoint, if any).
struct ReadSide {
  std::unique_ptr<EmbeddedLog> log;
  std::unique_ptr<Projector> projector;
  ReplayStats stats;
};
Result<ReadSide> open_read_side(const CommonOptions& common, unsigned threads, bool show_progress,
                                uint64_t checkpoint_every_events = 5'000'000);

// One citizen's partition state, caught up.
struct CitizenView {
  ReadSide side;
  Ssin citizen;
  const LedgerState* state = nullptr;
};
Result<CitizenView> open_citizen(const CommonOptions& common, const std::string& ssin);

// "Now" for a read: the wall clock, or the ledger's last recordedAt when
// imported history runs ahead of it (ledger time never goes back), so a code
// or a grant stamped in ledger time is judged in the same time.
Instant ledger_now(const Projector& projector);

// "N event(s) repeat the eventId of an earlier one (act-..., ...)": no SSIN.
std::string duplicate_text(const DuplicateEvents& duplicates);

std::string employer_text(uint64_t employer);
// The employer reference of the data folder (null when there is none) and
// the language names are shown in (--language, else $LANG).
struct EmployerNaming {
  std::unique_ptr<EmployerRegister> reg;
  RegisterLanguage language = RegisterLanguage::kUnknown;
  EmployerNameOf names() const { return employer_names(reg.get(), language); }
  // "0403019261 Brasserie Peeters" or the number alone.
  std::string text(uint64_t employer) const;
};
Result<EmployerNaming> open_employer_naming(const CommonOptions& common);
// The same for a read that can do without names: a reference that cannot be
// read is one warning line on stderr, and the view shows numbers only.
EmployerNaming employer_naming_or_numbers(const CommonOptions& common);
// An employer given on the command line: an enterprise number, or nsso:NUMBER.
Result<uint64_t> parse_employer(const std::string& text, const char* option);
// An instant or a day (its start) given on the command line; empty: `otherwise`.
Result<Instant> parse_instant_option(const std::string& text, const char* option, Instant otherwise);

}  // namespace dimona::cli
