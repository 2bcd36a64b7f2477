// `dimona-ledger generate`: the generator behind the command line's
// run_generate() (api/commands.h). It lives here, in the generator's own
// target, so that the product's libraries (api/, projections/, engine/)
// neither include nor link the generator: only the executable does.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "api/commands.h"
#include "bench/generator/generator.h"
#include "bench/generator/register_extract.h"
#include "engine/base/private_file.h"
#include "engine/base/time.h"

namespace dimona::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdout) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// enterprise.csv and denomination.csv of the stream's employers, in `folder`.
Status write_kbo_extract(const GeneratorOptions& g, const std::string& folder) {
  if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
    return io_error("cannot create " + folder + ": " + std::strerror(errno));
  Result<std::vector<RegisterEnterprise>> enterprises = register_enterprises(g);
  DIMONA_TRY(enterprises);
  File firms(std::fopen((folder + "/enterprise.csv").c_str(), "wb"));
  File names(std::fopen((folder + "/denomination.csv").c_str(), "wb"));
  if (!firms || !names) return io_error("cannot write in " + folder + ": " + std::strerror(errno));
  auto sink = [](std::FILE* f) {
    return [f](std::string_view chunk) -> Status {
      if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size())
        return io_error(std::string("write failed: ") + std::strerror(errno));
      return Status::ok();
    };
  };
  DIMONA_TRY(write_register_extract(*enterprises, sink(firms.get()), sink(names.get())));
  if (std::fflush(firms.get()) != 0 || std::fflush(names.get()) != 0) return io_error(std::strerror(errno));
  std::fprintf(stderr, "wrote the register extract of %zu employers to %s\n", enterprises->size(), folder.c_str());
  return Status::ok();
}

}  // namespace

int run_generate(const GenerateOptions& o) {
  if (Status s = may_replace(o.out, {}, "--out"); !s.is_ok()) return fail("generate", s);
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
  if (!o.kbo.empty())
    if (Status s = write_kbo_extract(g, o.kbo); !s.is_ok()) return fail("generate --kbo", s);
  std::fprintf(stderr, "generated %llu lines for %d (%llu of them actions)\n", static_cast<unsigned long long>(stats->lines),
               o.year, static_cast<unsigned long long>(stats->actions));
  if (stats->lines_after_clock > 0)
    std::fprintf(stderr, "left out %llu planned lines that would be recorded after now\n",
                 static_cast<unsigned long long>(stats->lines_after_clock));
  return 0;
}

}  // namespace dimona::cli
