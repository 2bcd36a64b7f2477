// The read side of the command line: replay, balance, calendar, export.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <tuple>

#include "api/cli_support.h"
#include "api/commands.h"
#include "api/progress.h"
#include "engine/base/private_file.h"
#include "engine/log/log_tools.h"
#include "projections/anomaly_log.h"
#include "projections/export.h"
#include "projections/interim_views.h"
#include "projections/projector.h"
#include "projections/student_views.h"

namespace dimona::cli {
namespace {

// --year, or the previous, current and next year of the read's "now"
// (ledger_now: loaded history ahead of the clock is not hidden by default).
std::vector<int32_t> years_around(const CitizenOptions& o, Date today) {
  if (o.year != 0) return {o.year};
  const int32_t now = year_of(today);
  return {now - 1, now, now + 1};
}

void print_balance_text(const StudentBalance& b, Date reference, const EmployerNaming& naming) {
  std::printf("%d: ", b.year);
  if (!b.quota) {
    std::printf("no hour quota defined for this year\n");
  } else {
    std::printf("quota %u h, used %u h, remaining %u h", *b.quota, b.used, b.remaining);
    if (b.exceeding > 0) std::printf(", %u h declared beyond the quota", b.exceeding);
    std::printf("  (worked / still to work as of %s)\n", to_string(reference).c_str());
  }
  for (const EmployerHours& e : b.employers)
    std::printf("  employer %-14s planned %4u h  worked %4u h  still to work %4u h\n", naming.text(e.employer).c_str(),
                e.planned, e.worked, e.still_to_work);
  for (const PeriodContribution& c : b.periods)
    std::printf("    period %012llu  %s..%s  %4u h  %s\n", static_cast<unsigned long long>(c.period.value),
                to_string(c.start).c_str(), to_string(c.end).c_str(), c.planned, c.rule.c_str());
}

}  // namespace

int run_replay(const CommonOptions& common, const ReplayOptions& o) {
  if (o.rebuild) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(checkpoint_path(common) + suffix, ec);  // absent: nothing to remove
      if (ec)
        return fail("replay", io_error("cannot remove " + checkpoint_path(common) + suffix + ": " + ec.message()));
    }
  }
  // A rebuild folds every event from the start: the fold hands their ids to the duplicate check
  // (below), which then needs no read of the log of its own.
  Result<ReadSide> side = open_read_side(common, o.threads, /*show_progress=*/true, o.checkpoint_every_events,
                                         /*check_event_ids=*/o.rebuild);
  if (!side.is_ok()) return fail("replay", side.status());
  const ReplayStats& s = side->stats;
  std::printf("replayed %llu events in %.2f s (%s events/s)", static_cast<unsigned long long>(s.events), s.seconds,
              human_count(s.seconds > 0 ? static_cast<double>(s.events) / s.seconds : 0).c_str());
  if (s.resumed_events > 0)
    std::printf(", resumed after %llu events from the checkpoint", static_cast<unsigned long long>(s.resumed_events));
  if (s.backfilled_events > 0)  // read models new to the checkpoint (read_model.h)
    std::printf(", %llu events read again for read models it lacked", static_cast<unsigned long long>(s.backfilled_events));
  std::printf("; %llu checkpoint(s) written\n", static_cast<unsigned long long>(s.checkpoints));
  uint64_t periods = 0;
  for (uint32_t p = 0; p < side->projector->partition_count(); ++p) periods += side->projector->partition(p).period_count();
  std::printf("state: %llu periods over %u partitions, ledger time %s\n", static_cast<unsigned long long>(periods),
              side->projector->partition_count(), to_string(side->projector->ledger_time()).c_str());
  if (!o.rebuild) return 0;
  // A rebuild folds every event: say when one was folded twice (docs/operations.md). The fold's
  // ids are all of them unless it started from a checkpoint after all (one written meanwhile by
  // another process): then the log is read for them.
  const bool whole_fold = s.resumed_events == 0 && s.backfilled_events == 0;
  Result<DuplicateEvents> duplicates =
      whole_fold ? side->event_ids->finish(*side->log) : find_duplicate_events(*side->log);
  if (!duplicates.is_ok()) return fail("replay", duplicates.status());
  if (duplicates->duplicates == 0) return 0;
  std::fprintf(stderr, "dimona-ledger: replay: the log is not sound: %s, each folded again; `log inspect` says more\n",
               duplicate_text(*duplicates).c_str());
  return 1;
}

int run_balance(const CommonOptions& common, const CitizenOptions& o) {
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("balance", view.status());
  const EmployerNaming naming = employer_naming_or_numbers(common);
  const Projector& projector = *view->side.projector;
  const ViewAxes axes = axes_at(ledger_now(projector), projector.as_of().has_value(), common.valid_on);
  const Date reference = axes.on;
  for (int32_t year : years_around(o, reference)) {
    const StudentBalance b = student_balance(*view->state, view->citizen, year, axes);
    if (o.json) {
      std::string line;
      to_json(b, &line, naming.names());
      std::printf("%s\n", line.c_str());
    } else {
      print_balance_text(b, reference, naming);
    }
  }
  return 0;
}

int run_calendar(const CommonOptions& common, const CitizenOptions& o) {
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("calendar", view.status());
  const EmployerNaming naming = employer_naming_or_numbers(common);
  for (int32_t year : years_around(o, common.valid_on.value_or(brussels_date(ledger_now(*view->side.projector))))) {
    const StudentCalendar cal = student_calendar(*view->state, view->citizen, year, common.valid_on);
    std::string line;
    to_json(cal, &line, naming.names());
    if (o.json) {
      std::printf("%s\n", line.c_str());
      continue;
    }
    std::printf("%d: %zu employer(s)\n", year, cal.rows.size());
    for (const CalendarRow& r : cal.rows)
      std::printf("  employer %-14s %-3s %3u day(s)\n", naming.text(r.employer).c_str(),
                  std::string(worker_type_name(r.worker_type)).c_str(), r.day_count());
  }
  return 0;
}

Status write_export(const Projector& projector, const std::string& path) {
  std::FILE* out = path == "-" ? stdout : open_private_file(path);  // every citizen's data: 0600
  if (!out) return io_error("cannot write " + path + ": " + std::strerror(errno));
  Status exported = export_read_models(projector, [out](std::string_view lines) -> Status {
    if (std::fwrite(lines.data(), 1, lines.size(), out) != lines.size()) return io_error(std::strerror(errno));
    return Status::ok();
  });
  if (exported.is_ok() && std::fflush(out) != 0) exported = io_error(std::strerror(errno));
  if (out != stdout) std::fclose(out);
  return exported;
}

int run_export(const CommonOptions& common, const ExportOptions& o) {
  if (Status s = may_replace(o.out, api::ledger_files(common), "--out"); !s.is_ok()) return fail("export", s);
  Result<ReadSide> side = open_read_side(common, 0, false);
  if (!side.is_ok()) return fail("export", side.status());
  if (Status s = write_export(*side->projector, o.out); !s.is_ok()) return fail("export", s);
  return 0;
}

namespace {

// Turns the CLI's filter options into an InterimFilter, refusing the first bad one by its option.
Result<InterimFilter> interim_filter(const InterimOptions& o, Date reference) {
  InterimFilterParsed parsed = parse_interim_filter({o.from, o.to, o.worker_type, o.agency, o.user_company}, reference);
  if (parsed.issues.empty()) return parsed.filter;
  constexpr std::string_view kOption[] = {"--from", "--to", "--type", "--agency", "--user-company"};
  const InterimFilterIssue& first = parsed.issues.front();
  return invalid_argument(std::string(kOption[static_cast<size_t>(first.field)]) + ": " + first.detail);
}

// A row's user company as printed: its number and register name, or the name it was declared
// with when given by name.
template <typename Row>
std::string user_company_text(const Row& r, const EmployerNaming& naming) {
  if (!is_named_user_company(r.user_company)) return naming.text(r.user_company);
  if (r.user_company_name.empty()) return "(by name)";
  std::string shown = r.user_company_name;  // as declared: no control character reaches the terminal
  std::replace_if(
      shown.begin(), shown.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return "\"" + shown + "\" (by name)";
}

}  // namespace

int run_interim(const CommonOptions& common, const InterimOptions& o) {
  CitizenOptions citizen;
  citizen.ssin = o.ssin;
  Result<CitizenView> view = open_citizen(common, citizen.ssin);
  if (!view.is_ok()) return fail("interim", view.status());
  const EmployerNaming naming = employer_naming_or_numbers(common);
  Result<InterimFilter> filter = interim_filter(o, brussels_date(ledger_now(*view->side.projector)));
  if (!filter.is_ok()) return fail("interim", filter.status());
  if (common.valid_on && *common.valid_on < filter->from)  // docs/audit.md: the days up to validOn
    return fail("interim", invalid_argument("--valid-on: before --from"));
  if (common.valid_on && *common.valid_on < filter->to) filter->to = *common.valid_on;
  if (o.calendar) {
    const InterimCalendar calendar = interim_calendar(*view->state, view->citizen, *filter);
    if (o.json) {
      std::string line;
      to_json(calendar, &line, naming.names());
      std::printf("%s\n", line.c_str());
      return 0;
    }
    std::printf("%zu agency / user company pair(s) from %s to %s\n", calendar.rows.size(),
                to_string(filter->from).c_str(), to_string(filter->to).c_str());
    for (const InterimCalendarRow& r : calendar.rows) {
      const std::string user = user_company_text(r, naming);
      std::printf("  agency %-14s user company %-14s %3u day(s)\n", naming.text(r.agency).c_str(), user.c_str(), r.days);
      for (const InterimCalendarYear& y : r.years) {
        std::printf("    %d:", y.year);
        for (int32_t m = 1; m <= 12; ++m) {  // days worked per month
          uint32_t n = 0;
          const Date first = date_from_civil(y.year, m, 1);
          const Date last = m == 12 ? date_from_civil(y.year, 12, 31) : Date{date_from_civil(y.year, m + 1, 1).days - 1};
          for (Date d = first; d <= last; d = Date{d.days + 1}) n += r.worked(d) ? 1 : 0;
          std::printf(" %2u", n);
        }
        std::printf("  (days per month, Jan..Dec)\n");
      }
    }
    return 0;
  }
  const std::vector<InterimRelation> relations = interim_relations(
      *view->state, view->citizen, *filter, &view->side.projector->anomalies_of(view->citizen));
  if (o.json) {
    std::string line;
    to_json(view->citizen, relations, &line, naming.names());
    std::printf("%s\n", line.c_str());
    return 0;
  }
  std::printf("%zu work relation(s) from %s to %s\n", relations.size(), to_string(filter->from).c_str(),
              to_string(filter->to).c_str());
  for (const InterimRelation& r : relations) {
    const std::string user = user_company_text(r, naming);
    size_t flagged = 0;
    for (const InterimPeriod& p : r.periods) flagged += p.anomalies.empty() ? 0 : 1;
    std::printf("  agency %-14s user company %-14s %s..%s  %3u day(s), %zu period(s)%s\n", naming.text(r.agency).c_str(),
                user.c_str(), to_string(r.first).c_str(), to_string(r.last).c_str(), r.days, r.periods.size(),
                flagged ? (", " + std::to_string(flagged) + " with anomalies").c_str() : "");
  }
  return 0;
}

int run_anomalies(const CommonOptions& common, const AnomaliesOptions& o) {
  if (o.ssin.empty() == o.employer.empty()) {
    std::fprintf(stderr, "dimona-ledger: anomalies: give --ssin or --employer\n");
    return 2;
  }
  std::vector<AnomalyRecord> records;
  if (!o.ssin.empty()) {
    CitizenOptions citizen;
    citizen.ssin = o.ssin;
    Result<CitizenView> view = open_citizen(common, citizen.ssin);
    if (!view.is_ok()) return fail("anomalies", view.status());
    records = view->side.projector->anomalies_of(view->citizen).of_citizen(view->citizen);
  } else {
    Result<EnterpriseNumber> employer = parse_enterprise_number(o.employer);
    if (!employer.is_ok()) return fail("anomalies", invalid_argument("--employer: " + employer.status().message()));
    Result<ReadSide> side = open_read_side(common, 0, false);
    if (!side.is_ok()) return fail("anomalies", side.status());
    records = side->projector->anomalies_of_employer(employer->value);
  }
  std::string line;
  for (const AnomalyRecord& r : records) {
    line.clear();
    to_json(r, &line);
    std::printf("%s\n", line.c_str());
  }
  if (o.employer.empty()) {
    std::fprintf(stderr, "%zu declaration(s) refused or accepted with warnings\n", records.size());
  } else {
    Result<EnterpriseNumber> employer = parse_enterprise_number(o.employer);
    std::fprintf(stderr, "%zu declaration(s) of %s refused or accepted with warnings\n", records.size(),
                 employer_naming_or_numbers(common).text(employer->value).c_str());
  }
  return 0;
}

}  // namespace dimona::cli
