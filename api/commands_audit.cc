// audit events: a citizen's history (projections/citizen_history.h) as NDJSON, the same
// items as GET /v1/audit/citizens/{ssin}/events.
#include <cstdint>
#include <cstdio>

#include "api/cli_support.h"
#include "api/commands.h"
#include "projections/citizen_history.h"
#include "projections/projector.h"

namespace dimona::cli {

int run_audit_events(const CommonOptions& common, const AuditEventsOptions& o) {
  std::optional<Instant> as_of;
  if (o.as_of_given) {
    as_of = parse_instant(o.as_of);
    if (!as_of)
      return fail("audit events",
                  invalid_argument("--as-of: expected an RFC 3339 instant, e.g. 2025-06-30T00:00:00Z"));
  }
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("audit events", view.status());
  const Projector& projector = *view->side.projector;
  const Result<uint64_t> total =
      citizen_history(projector, view->citizen, as_of, 0, UINT64_MAX, [](std::string_view item) {
        std::fwrite(item.data(), 1, item.size(), stdout);
        std::fputc('\n', stdout);
        return std::ferror(stdout) ? io_error("cannot write to stdout") : Status::ok();
      });
  if (!total.is_ok()) return fail("audit events", total.status());
  if (std::fflush(stdout) != 0) return fail("audit events", io_error("cannot write to stdout"));
  std::fprintf(stderr, "%llu event(s)%s\n", static_cast<unsigned long long>(*total),
               as_of ? (" recorded at or before " + to_string(*as_of)).c_str() : "");
  return 0;
}

}  // namespace dimona::cli
