#include "api/cli_support.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>


namespace dimona::cli {

Result<CitizenView> open_citizen(const CommonOptions& common, const std::string& text) {
  Result<Ssin> ssin = parse_ssin(text);
  if (!ssin.is_ok()) return invalid_argument("SSIN: " + ssin.status().message());
  Result<ReadSide> side = open_read_side(common, 0, false);
  DIMONA_TRY(side);
  CitizenView view{std::move(*side), *ssin, nullptr};
  view.state = &view.side.projector->state_of(*ssin);
  return view;
}

Instant ledger_now(const Projector& projector) {
  if (projector.as_of()) return *projector.as_of();
  return std::max(SystemClock().now(), projector.ledger_time());
}

std::string duplicate_text(const DuplicateEvents& d) {
  std::string text = std::to_string(d.duplicates) + " event(s) repeat the eventId of an earlier one (";
  for (size_t i = 0; i < d.ids.size(); ++i) text += (i ? ", " : "") + d.ids[i];
  if (d.duplicates > d.ids.size()) text += ", ...";
  return text + ")";
}

std::string withhold_long_numbers(std::string_view text) {
  constexpr size_t kDigitsWithheld = 9;
  const auto in_run = [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/'; };
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    if (!(text[at] >= '0' && text[at] <= '9')) {
      out += text[at++];
      continue;
    }
    size_t end = at, digits = 0;
    for (; end < text.size() && in_run(text[end]); ++end) digits += text[end] >= '0' && text[end] <= '9';
    while (end > at && !(text[end - 1] >= '0' && text[end - 1] <= '9')) --end;  // a sentence's '.' stays
    if (digits >= kDigitsWithheld) {
      out += "<number withheld>";
    } else {
      out.append(text.substr(at, end - at));
    }
    at = end;
  }
  return out;
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
  if (auto d = parse_date(text)) return end_of_brussels_day(*d);  // as --as-of reads a day
  return invalid_argument(std::string(option) + ": expected YYYY-MM-DD or an RFC 3339 instant");
}

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

bool stop_requested(const sigset_t& signals) {
  const timespec now{0, 0};
  return sigtimedwait(&signals, nullptr, &now) > 0;
}

}  // namespace dimona::cli
