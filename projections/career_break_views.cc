#include "projections/career_break_views.h"

#include <algorithm>
#include <tuple>

#include "engine/base/json_writer.h"
#include "projections/student_views.h"

namespace dimona {
namespace {

template <typename R>
bool meets(const CareerBreakFilter& f, const R& r, Date end) {
  if (f.leave_kind && r.leave_kind != *f.leave_kind) return false;
  if (f.fraction && r.fraction != *f.fraction) return false;
  if (f.employee.value != 0 && r.citizen != f.employee) return false;
  if (f.from && end < *f.from) return false;
  if (f.to && *f.to < r.start) return false;
  return true;
}

void write_attachments(JsonWriter& w, const std::vector<std::string>& attachments) {
  w.key("attachments").begin_array();
  for (const std::string& name : attachments) w.string(name);
  w.end_array();
}

void write_request(JsonWriter& w, const CareerBreakRequest& r, bool detail, const EmployerNameOf& names) {
  w.begin_object();
  w.key("ticket").digits(r.ticket, 12);
  w.key("ssin").digits(r.citizen.value, 11);
  w.key("status").string(state_name(r.state));
  w.key("submittedAt").string(to_string(r.submitted_at));
  w.key("changedAt").string(to_string(r.changed_at));
  if (detail) {
    w.key("employer");
    write_company(w, r.employer);
    write_employer_name(w, "employerName", r.employer, names);
    w.key("leaveKind").string(leave_kind_name(r.leave_kind)).key("fraction").string(break_fraction_name(r.fraction));
    w.key("startDate").string(to_string(r.start)).key("endDate").string(to_string(r.end));
    w.key("regimeBefore").thousandths(r.regime_before_permille).key("regimeDuring").thousandths(r.regime_during_permille);
    w.key("multipleEmployers").boolean(r.multiple_employers);
    w.key("endDateChanges").integer(r.end_date_changes);
    write_attachments(w, r.attachments);
  } else {
    w.key("detail").string(consult_refusal(r, r.employer));  // why it is closed: cancelled, or the employee's part done
  }
  w.end_object();
}

void write_notification(JsonWriter& w, const CareerBreakNotification& n, const EmployerNameOf& names) {
  w.begin_object();
  w.key("notificationId").digits(n.id, 12);
  w.key("ssin").digits(n.citizen.value, 11);
  w.key("employer");
  write_company(w, n.employer);
  write_employer_name(w, "employerName", n.employer, names);
  w.key("status").string(state_name(n.state));
  w.key("leaveKind").string(leave_kind_name(n.leave_kind)).key("fraction").string(break_fraction_name(n.fraction));
  w.key("startDate").string(to_string(n.start));
  if (n.end) w.key("endDate").string(to_string(*n.end));
  w.key("receivedAt").string(to_string(n.received_at)).key("changedAt").string(to_string(n.changed_at));
  w.key("postponements").integer(n.postponements);
  write_attachments(w, n.attachments);
  w.end_object();
}

void newest_first(CareerBreakOverview* o) {
  std::sort(o->requests.begin(), o->requests.end(), [](const CareerBreakRequest& a, const CareerBreakRequest& b) {
    return a.submitted_at != b.submitted_at ? b.submitted_at < a.submitted_at : a.ticket < b.ticket;
  });
  std::sort(o->notifications.begin(), o->notifications.end(),
            [](const CareerBreakNotification& a, const CareerBreakNotification& b) {
              return a.received_at != b.received_at ? b.received_at < a.received_at : a.id < b.id;
            });
}

}  // namespace

CareerBreakFilterParsed parse_career_break_filter(const CareerBreakFilterText& text) {
  CareerBreakFilterParsed out;
  CareerBreakFilter& f = out.filter;
  auto refuse = [&out](CareerBreakField field, std::string detail) {
    out.issues.push_back({field, std::move(detail)});
  };
  if (!text.leave_kind.empty()) {
    LeaveKind k;
    if (parse_leave_kind(text.leave_kind, &k))
      f.leave_kind = k;
    else
      refuse(CareerBreakField::kLeaveKind, "not a leave kind (docs/actions.md)");
  }
  if (!text.fraction.empty()) {
    BreakFraction fr;
    if (parse_break_fraction(text.fraction, &fr))
      f.fraction = fr;
    else
      refuse(CareerBreakField::kFraction, "FULL, 1/2, 1/5 or 1/10");
  }
  if (!text.status.empty()) {
    BreakRequestState st;
    NotificationState ns;
    if (parse_state(text.status, &st)) f.state = st;
    if (parse_state(text.status, &ns)) f.notification_state = ns;
    if (!f.state && !f.notification_state) refuse(CareerBreakField::kStatus, "not a request or notification state");
  }
  if (!text.ssin.empty()) {
    if (Result<Ssin> s = parse_ssin(text.ssin); s.is_ok())
      f.employee = *s;
    else
      refuse(CareerBreakField::kSsin, s.status().message());
  }
  for (auto [given, day, field] :
       {std::tuple{text.from, &f.from, CareerBreakField::kFrom}, std::tuple{text.to, &f.to, CareerBreakField::kTo}}) {
    if (given.empty()) continue;
    if (std::optional<Date> d = parse_date(given))
      *day = *d;
    else
      refuse(field, "expected YYYY-MM-DD");
  }
  if (out.issues.empty() && f.from && f.to && *f.to < *f.from) refuse(CareerBreakField::kTo, "before from");
  return out;
}

CareerBreakOverview career_break_overview(const Projector& projector, const CareerBreakFilter& f, Instant now) {
  CareerBreakOverview o;
  // The same day two years back, or the month's last day (29 February -> 28 February).
  const CivilDate today = civil_from_date(brussels_date(now));
  const int32_t month = (today.year - limits::career_break_overview_years) * 12 + today.month - 1;
  o.since = date_from_civil(today.year - limits::career_break_overview_years, today.month,
                            std::min(today.day, civil_from_date(last_day_of_month(month)).day));
  const Instant since = brussels_instant(*o.since, 0);  // the day starts in Brussels
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    const ActionState& s = projector.partition(p).actions();
    const CareerBreakIndex& index = projector.model<CareerBreakIndex>(p);
    // A state of one kind only (SUBMITTED, RECEIVED, ...) leaves the other kind out.
    const bool requests = !f.notification_state || f.state;
    const bool notifications = !f.state || f.notification_state;
    // The index lists the state's own records; an id the state lacks (only a forged checkpoint
    // could hold one: each section is checked alone) is left out.
    if (requests) index.for_each_ticket_of_employer(f.employer, [&](uint64_t id) {
      if (s.ticket(id) == nullptr) return;
      const CareerBreakRequest& r = *s.ticket(id);
      if (r.submitted_at < since || now < r.submitted_at || !meets(f, r, r.end)) return;
      if (f.state && r.state != *f.state) return;
      o.requests.push_back(r);
    });
    if (notifications) index.for_each_notification_of_employer(f.employer, [&](uint64_t id) {
      if (s.notification(id) == nullptr) return;
      const CareerBreakNotification& n = *s.notification(id);
      if (n.received_at < since || now < n.received_at || !meets(f, n, n.end.value_or(Date{kOpenEndDays}))) return;
      if (f.notification_state && n.state != *f.notification_state) return;
      o.notifications.push_back(n);
    });
  }
  newest_first(&o);
  return o;
}

CareerBreakOverview career_breaks_of(const Projector& projector, Ssin citizen, Instant now) {
  CareerBreakOverview o;
  const ActionState& s = projector.state_of(citizen).actions();
  const CareerBreakIndex& index = projector.model_of<CareerBreakIndex>(citizen);
  // The index lists the state's own records; an id the state lacks is left out (as above).
  index.for_each_ticket_of(citizen, [&](uint64_t id) {
    const CareerBreakRequest* r = s.ticket(id);
    if (r != nullptr && r->citizen == citizen && !(now < r->submitted_at)) o.requests.push_back(*r);
  });
  index.for_each_notification_of(citizen, [&](uint64_t id) {
    const CareerBreakNotification* n = s.notification(id);
    if (n != nullptr && n->citizen == citizen && !(now < n->received_at)) o.notifications.push_back(*n);
  });
  newest_first(&o);
  return o;
}

void to_json(const CareerBreakOverview& o, bool auditor, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object();
  if (o.since) w.key("since").string(to_string(*o.since));
  w.key("requests").begin_array();
  for (const CareerBreakRequest& r : o.requests) write_request(w, r, auditor || r.employer_may_consult(), names);
  w.end_array();
  w.key("notifications").begin_array();
  for (const CareerBreakNotification& n : o.notifications) write_notification(w, n, names);
  w.end_array();
  w.key("total").integer(static_cast<int64_t>(o.requests.size() + o.notifications.size()));
  w.end_object();
}

void to_json(const CareerBreakRequest& r, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  write_request(w, r, true, names);
}

void to_json(const CareerBreakNotification& n, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  write_notification(w, n, names);
}

void to_json(const EmployerSettings& s, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object();
  w.key("employer");
  write_company(w, s.employer);
  write_employer_name(w, "employerName", s.employer, names);
  w.key("contactName").string(s.contact_name).key("email").string(s.email).key("phone").string(s.phone);
  if (!s.sector.empty()) w.key("sector").string(s.sector);
  w.key("acceptsNotifications").boolean(s.accepts_notifications);
  w.key("updatedAt").string(to_string(s.updated_at));
  w.end_object();
}

std::string_view consult_refusal(const CareerBreakRequest& r, uint64_t employer) {
  if (employer != r.employer) return "this is another employer's request: only the employer that submitted it may consult it";
  switch (r.state) {
    case BreakRequestState::kSubmitted: return {};
    case BreakRequestState::kCancelled: return "the request was cancelled: a cancelled request is no longer open to the employer";
    case BreakRequestState::kEmployeeCompleted:
      return "the employee completed their part: the employer may consult a request only until then";
    case BreakRequestState::kGranted:
    case BreakRequestState::kRefused:
      return "ONEM decided on the request after the employee completed their part: the employer may consult a request "
             "only until then";
  }
  DIMONA_ASSERT(false);
  return {};
}

}  // namespace dimona
