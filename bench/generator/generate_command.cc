// `dimona-ledger generate`: the generator behind the command line's
// run_generate() (api/commands.h). It lives here, in the generator's own
// target, so that the product's libraries (api/, projections/, engine/)
// neither include nor link the generator: only the executable does.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "api/commands.h"
#include "bench/generator/generator.h"
#include "engine/base/time.h"

namespace dimona::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdout) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

int run_generate(const GenerateOptions& o) {
  File out(o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb"));
  if (!out) return fail("generate", io_error("cannot write " + o.out + ": " + std::strerror(errno)));
  GeneratorOptions g;
  g.year = o.year;
  g.students = o.students;
  g.seed = o.seed;
  g.bad_share = o.bad_share;
  g.not_after = SystemClock().now();  // a ledger refuses a recordedAt ahead of its clock
  Result<GeneratorStats> stats = generate(g, [&out](std::string_view chunk) -> Status {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size())
      return io_error(std::string("write failed: ") + std::strerror(errno));
    return Status::ok();
  });
  if (!stats.is_ok()) return fail("generate", stats.status());
  if (std::fflush(out.get()) != 0) return fail("generate", io_error(std::strerror(errno)));
  std::fprintf(stderr, "generated %llu lines for %d (%llu of them actions)\n", static_cast<unsigned long long>(stats->lines),
               o.year, static_cast<unsigned long long>(stats->actions));
  if (stats->lines_after_clock > 0)
    std::fprintf(stderr, "left out %llu planned lines that would be recorded after now\n",
                 static_cast<unsigned long long>(stats->lines_after_clock));
  return 0;
}

}  // namespace dimona::cli
