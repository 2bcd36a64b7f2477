// Prewarming a file (engine/base/prewarm.h): it reads the file whole, in order, and says how much;
// it stops at its budget, or when asked before its next chunk; a file that cannot be opened is
// kIoError naming it.
#include "engine/base/prewarm.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/base/limits.h"

namespace dimona {
namespace {

std::string scratch(const std::string& name) {
  return ::testing::TempDir() + "dimona-prewarm-" + std::to_string(::getpid()) + "-" + name;
}

TEST(Prewarm, ReadsTheWholeFileAndSaysHowMuch) {
  const std::string path = scratch("whole");
  const size_t size = limits::prewarm_chunk_bytes * 2 + 12345;  // two chunks and a part
  std::ofstream(path, std::ios::binary) << std::string(size, 'x');
  Result<uint64_t> read = PrewarmFile::open(path)->read(~uint64_t{0}, [] { return false; });
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(*read, size);
  std::filesystem::remove(path);
}

TEST(Prewarm, StopsBeforeItsNextChunkWhenAsked) {
  const std::string path = scratch("stop");
  std::ofstream(path, std::ios::binary) << std::string(limits::prewarm_chunk_bytes * 3, 'y');
  int asked = 0;
  Result<uint64_t> read =
      PrewarmFile::open(path)->read(~uint64_t{0}, [&asked] { return ++asked > 1; });  // one chunk, then stop
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(*read, limits::prewarm_chunk_bytes);
  EXPECT_EQ(*PrewarmFile::open(path)->read(~uint64_t{0}, [] { return true; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, ReadsNoMoreThanItsBudget) {
  const std::string path = scratch("budget");
  std::ofstream(path, std::ios::binary) << std::string(limits::prewarm_chunk_bytes * 3, 'z');
  const Result<PrewarmFile> file = PrewarmFile::open(path);
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ(*file->read(limits::prewarm_chunk_bytes + 7, [] { return false; }), limits::prewarm_chunk_bytes + 7);
  EXPECT_EQ(*file->read(0, [] { return false; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, AnEmptyFileIsNothingToRead) {
  const std::string path = scratch("empty");
  std::ofstream(path, std::ios::binary).close();
  EXPECT_EQ(*PrewarmFile::open(path)->read(~uint64_t{0}, [] { return false; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, AFileThatCannotBeOpenedIsAnIoErrorNamingIt) {
  const std::string path = scratch("missing");
  Result<PrewarmFile> file = PrewarmFile::open(path);
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), Code::kIoError);
  EXPECT_NE(file.status().message().find(path), std::string::npos) << file.status().to_string();
}

// The file SQLite connections have open, in WAL mode: prewarmed while they read and write, the
// descriptor closed after them. (A descriptor closed before them drops SQLite's locks; serve
// met "disk I/O error" on its next connections, which OpenApi.Conformance caught; this simple
// case does not show it, the serve-level test does.)
TEST(Prewarm, AnSqliteDatabaseStaysUsableWhileItIsPrewarmed) {
  const std::string path = scratch("sqlite.db");
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  {
    Result<PrewarmFile> file = PrewarmFile::open(path);
    ASSERT_TRUE(file.is_ok());
    EXPECT_GT(*file->read(~uint64_t{0}, [] { return false; }), 0u);
    sqlite3* reader = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(reader, "SELECT x FROM t", -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(reader);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    sqlite3_finalize(s);
    EXPECT_EQ(sqlite3_exec(writer, "INSERT INTO t VALUES(2)", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(writer);
    sqlite3_close(reader);
    sqlite3_close(writer);
  }  // the descriptor closes last
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// MemAvailable less what is kept: below the machine's memory, whatever the machine.
TEST(Prewarm, TheBudgetIsBelowTheMachinesMemory) {
  const uint64_t pages = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES));
  const uint64_t page_bytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_LT(prewarm_budget_bytes(), pages * page_bytes);
}

}  // namespace
}  // namespace dimona
