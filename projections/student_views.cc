#include "projections/student_views.h"

#include <algorithm>

#include "engine/base/json_writer.h"

namespace dimona {
namespace {

// The explanation line: which rule gives the period's figure, and for the
// hours beyond the quota whether today's figure or the decision's applies.
std::string rule_of(const Period& p, const PeriodContribution& c, std::optional<uint32_t> quota) {
  std::string s;
  if (p.cancelled) {
    s = "rule 4: cancelled, its hours are released";
  } else if (c.exceeding > 0) {
    s = "rule 8: ";
    append_uint(&s, c.exceeding);
    s += " h beyond the quota now (past hour ";
    append_uint(&s, quota.value_or(0));
    s += " of the periods active now, in processing order)";
  } else if (c.exceeding_decided > 0) {
    s = "rule 8/10: within the quota in force now";
  } else if (p.last_change == DeclarationKind::kUpdate) {
    s = "rule 3: an UPDATE replaced the planned hours";
  } else if (p.late) {
    s = "rule 9: late (90373-460), reserved but outside the reduced-rate quota";
  } else {
    s = "rule 2: the planned hours are reserved";
  }
  if (c.exceeding_decided > 0 && c.exceeding_decided != c.exceeding) {
    s += "; 90017-369 reported ";
    append_uint(&s, c.exceeding_decided);
    s += " h beyond the quota when decided, ";
    if (c.exceeding == 0) {
      s += "none now";
    } else {
      append_uint(&s, c.exceeding);
      s += " now";
    }
    if (!p.cancelled) s += " after later cancels, updates or a quota change";
  } else if (c.exceeding > 0 && c.exceeding == c.exceeding_decided) {
    s += ", as 90017-369 reported when decided";
  }
  // Rule 9 stands beside whichever rule gives the figure: a late period's hours are reserved but
  // outside the reduced-rate quota (InQuotaPlannedHoursNbr excludes them).
  if (p.late && !p.cancelled && s.rfind("rule 9", 0) != 0)
    s += "; rule 9: late (90373-460), reserved but outside the reduced-rate quota";
  return s;
}

// Rules 8 and 10: the hours beyond the quota are those past hour quota+1 of
// the periods active now, in processing order (Period::processed: the order of
// the last IN or UPDATE that set each one's hours, as each was decided), under
// the quota in force now. Σ exceeding = max(0, used − quota).
uint32_t exceeding_now(uint32_t planned, std::optional<uint32_t> quota, uint32_t hours_before) {
  if (!quota) return 0;
  const uint32_t room = *quota > hours_before ? *quota - hours_before : 0;
  return planned > room ? planned - room : 0;
}

// Planned hours spread evenly over the period's days; `worked` is the share
// of days up to and including `reference`, rounded down.
void split_hours(const Period& p, Date reference, PeriodContribution* c) {
  const int64_t days = int64_t{p.end.days} - p.start.days + 1;
  int64_t past = int64_t{reference.days} - p.start.days + 1;
  past = std::clamp<int64_t>(past, 0, days);
  c->worked = static_cast<uint32_t>(int64_t{c->planned} * past / days);
  c->still_to_work = c->planned - c->worked;
}

}  // namespace

void write_company(JsonWriter& w, uint64_t key) {
  if (is_named_user_company(key)) {
    w.string("by name and address");
  } else if (key & kNssoEmployerTag) {
    std::string s = "nsso:";
    append_uint(&s, key & ~kNssoEmployerTag);
    w.string(s);
  } else {
    w.digits(key, 10);
  }
}

StudentBalance student_balance(const LedgerState& state, Ssin student, int32_t year, Date reference) {
  return student_balance(state, student, year, ViewAxes{reference, std::nullopt, false});
}

ViewAxes axes_at(Instant now, bool in_past, std::optional<Date> valid_on) {
  ViewAxes axes{valid_on.value_or(brussels_date(now)), std::nullopt, valid_on.has_value()};
  if (in_past || valid_on) axes.known_at = now;
  return axes;
}

StudentBalance student_balance(const LedgerState& state, Ssin student, int32_t year, const ViewAxes& axes) {
  const Date reference = axes.on;
  StudentBalance b;
  b.student = student;
  b.year = year;
  b.quota = state.quota(year, axes.known_at.value_or(Instant{start_of(reference).micros + kMicrosPerDay - 1}));
  std::vector<const Period*> periods;
  state.for_each_period_of(student, [&](const Period& p) {
    if (p.worker_type != WorkerType::kSTU || year_of(p.start) != year) return;
    if (axes.started_by_on && reference < p.start) return;
    periods.push_back(&p);
  });
  std::sort(periods.begin(), periods.end(),
            [](const Period* x, const Period* y) { return x->processed < y->processed; });  // processing order
  for (const Period* p : periods) {
    PeriodContribution c;
    c.period = p->id;
    c.employer = p->employer;
    c.start = p->start;
    c.end = p->end;
    c.cancelled = p->cancelled;
    c.late = p->late;
    c.exceeding_decided = p->exceeding_hours;
    if (!p->cancelled) {
      c.planned = p->planned_hours;
      c.exceeding = exceeding_now(c.planned, b.quota, b.used);
      split_hours(*p, reference, &c);
    }
    c.rule = rule_of(*p, c, b.quota);
    b.used += c.planned;
    b.exceeding += c.exceeding;
    b.periods.push_back(std::move(c));
  }
  std::sort(b.periods.begin(), b.periods.end(), [](const PeriodContribution& x, const PeriodContribution& y) {
    return x.start != y.start ? x.start < y.start : x.period < y.period;
  });
  for (const PeriodContribution& c : b.periods) {
    auto it = std::find_if(b.employers.begin(), b.employers.end(),
                           [&](const EmployerHours& e) { return e.employer == c.employer; });
    if (it == b.employers.end()) it = b.employers.insert(b.employers.end(), EmployerHours{c.employer});
    it->planned += c.planned;
    it->worked += c.worked;
    it->still_to_work += c.still_to_work;
  }
  std::sort(b.employers.begin(), b.employers.end(),
            [](const EmployerHours& x, const EmployerHours& y) { return x.employer < y.employer; });
  if (b.quota) b.remaining = *b.quota > b.used ? *b.quota - b.used : 0;
  DIMONA_ASSERT(!b.quota || b.exceeding == (b.used > *b.quota ? b.used - *b.quota : 0));  // consistent with used
  DIMONA_ASSERT(axes.started_by_on || b.used == state.student_hours(student, year));  // the read model agrees with the decision side
  return b;
}

uint32_t CalendarRow::day_count() const {
  uint32_t n = 0;
  for (uint64_t word : days) n += static_cast<uint32_t>(__builtin_popcountll(word));
  return n;
}

StudentCalendar student_calendar(const LedgerState& state, Ssin citizen, int32_t year, std::optional<Date> valid_on) {
  StudentCalendar cal;
  cal.citizen = citizen;
  cal.year = year;
  const Date first = date_from_civil(year, 1, 1);
  const Date last = valid_on ? std::min(*valid_on, date_from_civil(year, 12, 31)) : date_from_civil(year, 12, 31);
  state.for_each_period_of(citizen, [&](const Period& p) {
    if (p.cancelled || p.last_day() < first || last < p.start) return;
    auto it = std::find_if(cal.rows.begin(), cal.rows.end(), [&](const CalendarRow& r) {
      return r.employer == p.employer && r.worker_type == p.worker_type;
    });
    if (it == cal.rows.end()) it = cal.rows.insert(cal.rows.end(), CalendarRow{p.employer, p.worker_type, {}});
    const int32_t from = std::max(p.start.days, first.days) - first.days;
    const int32_t to = std::min(p.last_day().days, last.days) - first.days;
    for (int32_t d = from; d <= to; ++d) it->days[static_cast<size_t>(d) / 64] |= uint64_t{1} << (d % 64);
  });
  std::sort(cal.rows.begin(), cal.rows.end(), [](const CalendarRow& x, const CalendarRow& y) {
    return x.employer != y.employer ? x.employer < y.employer : x.worker_type < y.worker_type;
  });
  return cal;
}

std::vector<int32_t> years_of(const LedgerState& state, Ssin citizen) {
  std::vector<int32_t> years;
  state.for_each_period_of(citizen, [&](const Period& p) { years.push_back(year_of(p.start)); });
  std::sort(years.begin(), years.end());
  years.erase(std::unique(years.begin(), years.end()), years.end());
  return years;
}

void to_json(const StudentBalance& b, std::string* out, const EmployerNameOf& names) {
  // About 100 bytes of totals, 80 an employer and 260 a period (their names aside): the string
  // grows once rather than doubling its way up from empty.
  out->reserve(out->size() + 128 + 96 * b.employers.size() + 288 * b.periods.size());
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(b.student.value, 11).key("year").integer(b.year);
  w.key("quota");
  if (b.quota) w.integer(*b.quota);
  else w.null();
  w.key("used").integer(b.used).key("remaining");
  if (b.quota)
    w.integer(b.remaining);
  else
    w.null();  // no quota known (before 2017, when it was counted in days): nothing is "left"
  w.key("exceeding").integer(b.exceeding);
  w.key("employers").begin_array();
  for (const EmployerHours& e : b.employers) {
    w.begin_object().key("employer");
    write_company(w, e.employer);
    write_employer_name(w, "employerName", e.employer, names);
    w.key("planned").integer(e.planned).key("worked").integer(e.worked).key("stillToWork").integer(e.still_to_work);
    w.end_object();
  }
  w.end_array().key("periods").begin_array();
  for (const PeriodContribution& c : b.periods) {
    w.begin_object().key("periodId").digits(c.period.value, 12).key("employer");
    write_company(w, c.employer);
    write_employer_name(w, "employerName", c.employer, names);
    w.key("startDate").string(to_string(c.start)).key("endDate").string(to_string(c.end));
    w.key("planned").integer(c.planned).key("worked").integer(c.worked).key("stillToWork").integer(c.still_to_work);
    w.key("exceeding").integer(c.exceeding).key("exceedingDecided").integer(c.exceeding_decided).key("cancelled").boolean(c.cancelled).key("late").boolean(c.late);
    w.key("rule").string(c.rule).end_object();
  }
  w.end_array().end_object();
}

void to_json(const StudentCalendar& cal, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(cal.citizen.value, 11).key("year").integer(cal.year);
  w.key("employers").begin_array();
  const Date first = date_from_civil(cal.year, 1, 1);
  for (const CalendarRow& r : cal.rows) {
    w.begin_object().key("employer");
    write_company(w, r.employer);
    write_employer_name(w, "employerName", r.employer, names);
    w.key("workerType").string(worker_type_name(r.worker_type)).key("days").begin_array();
    // Runs of consecutive days as [from, to], compact and readable.
    for (int d = 0; d < 366; ++d) {
      if (!r.has(d)) continue;
      int e = d;
      while (e + 1 < 366 && r.has(e + 1)) ++e;
      w.begin_array().string(to_string(Date{first.days + d})).string(to_string(Date{first.days + e})).end_array();
      d = e;
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

}  // namespace dimona
