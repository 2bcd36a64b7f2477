// What the handlers share (internal to api/handlers*.cc and the router):
// the problems they answer, the citizen a path names when the caller may
// read it, pages and collections, who may submit what, a decision as JSON.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/handlers.h"
#include "api/params.h"
#include "engine/base/json_writer.h"
#include "projections/anomaly_log.h"
#include "projections/student_views.h"

namespace dimona::api {

HttpResponse forbidden();  // 403, the same text whether or not the thing exists
HttpResponse unavailable_response(std::string_view detail);  // 503 with Retry-After
// 429 tooManyRequests with Retry-After: a rate limit's window (access-code lookups, e-mailed overviews).
HttpResponse too_many_requests(std::string_view detail, int retry_after_seconds);
// serve --group (docs/kafka.md §10): the request belongs to `partition`, which
// another member holds: 307 to its owner with the same target (the client
// repeats the method, the body and its Authorization there), or 503 with
// Retry-After while no member is known to hold it (a rebalance).
HttpResponse misdirected(const LedgerService& service, uint32_t partition, const std::string& target);
// A Status from the engine as a problem: "field X: reason" becomes an input issue.
HttpResponse problem_of(const Status& s);

std::optional<Ssin> path_ssin(const Call& c, HttpResponse* error);
// The citizen themself, or an auditor.
bool may_read_citizen(const Call& c, Ssin s);
// Waits for ?minOffset in the citizen's partition; false when it replied (400 or 503).
bool wait_min_offset(Call& c, const LedgerService& view, Ssin s);
// The citizen of the path when the caller may read it; otherwise replies and returns nullopt.
std::optional<Ssin> readable_citizen(Call& c, const LedgerService& view);
// ?year, or the previous, current and next year; empty (and *error set) when invalid.
std::vector<int32_t> years_of_query(const Call& c, Date today, HttpResponse* error);

// The student views' axes for this request (docs/audit.md, student_views.h
// ViewAxes): hours worked by ?validOn (only the periods started by then), or
// by today; the quota the ledger knew at ?asOf, or now when ?validOn is given.
ViewAxes view_axes(const Call& c);

// Who a principal is, for a per-principal count: role, subject and what the token names.
std::string principal_key(const Principal& p);
// Who may submit what (the check runs on the writer thread, before deciding).
Status may_submit(const Principal& p, const Command& c, const Ledger& ledger);
void write_decision(JsonWriter& w, const Decision& d);
// Submits the request's body as a declaration (or an action), checked by may_submit; replies 201 when decided.
void submit(Call& c, LedgerService& ledger, bool declaration_route);

// Collections: {"items":[...],"total":N}, and a page of one.
std::string items(const std::vector<std::string>& objects);
std::optional<Page> parse_page(const HttpRequest& request, HttpResponse* error);
template <typename T>
std::vector<T> page_of(const std::vector<T>& all, const Page& p) {
  const size_t first = std::min(all.size(), (p.number - 1) * p.size);
  const size_t last = std::min(all.size(), first + p.size);
  return std::vector<T>(all.begin() + static_cast<std::ptrdiff_t>(first), all.begin() + static_cast<std::ptrdiff_t>(last));
}
// `json` is a collection written for one page, ending in "total":N}: the
// total becomes the whole collection's, followed by page, pageSize and the
// href of the next page when there is one (params.h next_page_href).
std::string paged(std::string json, size_t total, const Page& p, const std::string& base_url, const HttpRequest& r);
// The same for a list the reads themselves grow (a read by an auditor or an employer is recorded
// among a citizen's consultations and events): the next page is the list as it stood for this one,
// its href carrying ?asOf = this read's instant unless one was asked. Without it, each page read
// added an item, so the pages repeated or never ended.
std::string paged_as_it_stands(std::string json, size_t total, const Page& p, const Call& c);

// A page of anomaly records (projections/anomaly_log.h), as the anomalies routes answer it.
void reply_anomalies(Call& c, const std::vector<AnomalyRecord>& all, const Page& page);

}  // namespace dimona::api
