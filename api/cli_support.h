// What the subcommands share: the composition root's openers (the log, the
// writer and the read side: ledger_root.h), a citizen's view, and small parsers.
//
// Contract. Internal to the command line. Every function returns errors as
// values with a message fit for one stderr line; none prints, except
// open_projector's one warning when it sets a checkpoint aside.
#pragma once

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "api/commands.h"
#include "api/ledger_root.h"
#include "engine/base/time.h"
#include "engine/log/log_tools.h"
#include "engine/ledger.h"
#include "projections/employer_register.h"
#include "projections/projector.h"

namespace dimona::cli {

// The composition root's openers (ledger_root.h), by their command-line names.
using api::checkpoint_path;
using api::open_ledger_log;
using api::open_projector;
using api::open_read_side;
using api::open_secret;
using api::open_write_side;
using api::ReadSide;
using api::WriterLock;
using api::WriteSide;

// Every read model of `projector` (export_read_models) to the file `path`, or stdout for "-".
Status write_export(const Projector& projector, const std::string& path);

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
// `text` with each run of digits and separators ('.', '-', '/') holding nine or more digits
// replaced by "<number withheld>": an SSIN written any way. For messages that repeat what a user
// typed (CLI11's: "The following argument was not expected: 05031412595"), never our own.
std::string withhold_long_numbers(std::string_view text);
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
// An instant, or a day (its last instant in Brussels, as --as-of reads one) given on the command
// line; empty: `otherwise`.
Result<Instant> parse_instant_option(const std::string& text, const char* option, Instant otherwise);

// SIGINT and SIGTERM blocked in this thread and every thread started after
// (call before any starts), to be taken by stop_requested() without waiting.
sigset_t block_stop_signals();
bool stop_requested(const sigset_t& signals);

// serve --outbox: the outbox relay (projections/outbox.h) following the
// events log on its own thread until stopped or destroyed. A failure (a
// broker away, a full disk) is one stderr line, and the relay opens again
// after limits::outbox_restart_ms; a bad URI or outbox fails start().
class OutboxThread {
 public:
  static Result<std::unique_ptr<OutboxThread>> start(const CommonOptions& common, const std::string& outbox_uri);
  ~OutboxThread();
  void stop();

 private:
  struct State;
  explicit OutboxThread(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace dimona::cli
