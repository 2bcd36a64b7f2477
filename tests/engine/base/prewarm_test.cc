// Prewarming a file (engine/base/prewarm.h): it reads the file whole, in order, and says how much;
// it stops at its budget, or when asked before its next chunk; a file that cannot be opened is
// kIoError naming it.
#include "engine/base/prewarm.h"

#include <gtest/gtest.h>
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
  Result<uint64_t> read = prewarm_file(path, ~uint64_t{0}, [] { return false; });
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(*read, size);
  std::filesystem::remove(path);
}

TEST(Prewarm, StopsBeforeItsNextChunkWhenAsked) {
  const std::string path = scratch("stop");
  std::ofstream(path, std::ios::binary) << std::string(limits::prewarm_chunk_bytes * 3, 'y');
  int asked = 0;
  Result<uint64_t> read = prewarm_file(path, ~uint64_t{0}, [&asked] { return ++asked > 1; });  // one chunk, then stop
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(*read, limits::prewarm_chunk_bytes);
  EXPECT_EQ(*prewarm_file(path, ~uint64_t{0}, [] { return true; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, ReadsNoMoreThanItsBudget) {
  const std::string path = scratch("budget");
  std::ofstream(path, std::ios::binary) << std::string(limits::prewarm_chunk_bytes * 3, 'z');
  EXPECT_EQ(*prewarm_file(path, limits::prewarm_chunk_bytes + 7, [] { return false; }),
            limits::prewarm_chunk_bytes + 7);
  EXPECT_EQ(*prewarm_file(path, 0, [] { return false; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, AnEmptyFileIsNothingToRead) {
  const std::string path = scratch("empty");
  std::ofstream(path, std::ios::binary).close();
  EXPECT_EQ(*prewarm_file(path, ~uint64_t{0}, [] { return false; }), 0u);
  std::filesystem::remove(path);
}

TEST(Prewarm, AFileThatCannotBeOpenedIsAnIoErrorNamingIt) {
  const std::string path = scratch("missing");
  Result<uint64_t> read = prewarm_file(path, ~uint64_t{0}, [] { return false; });
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), Code::kIoError);
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status().to_string();
}

// MemAvailable less what is kept: below the machine's memory, whatever the machine.
TEST(Prewarm, TheBudgetIsBelowTheMachinesMemory) {
  const uint64_t pages = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES));
  const uint64_t page_bytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_LT(prewarm_budget_bytes(), pages * page_bytes);
}

}  // namespace
}  // namespace dimona
