// SQLite, thinly (engine/base/sqlite.h): a transaction commits its body's work when the body
// succeeds, and rolls it back when the body fails or the COMMIT does, returning that failure; the
// connection is out of any transaction afterwards either way. A Result body's value passes
// through. Errors keep SQLite's class (busy, corruption, I/O) and say what failed.
#include "engine/base/sqlite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace dimona::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "dimona-sqlite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path_);
    Result<Connection> db = open_connection(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 100, "the test file");
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    db_ = std::move(*db);
    // A deferred foreign key is checked at COMMIT: the way to make a COMMIT fail on purpose.
    ASSERT_TRUE(exec(db_.get(),
                     "PRAGMA foreign_keys = ON;"
                     "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
                     "CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER "
                     "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);")
                    .is_ok());
  }
  void TearDown() override {
    db_.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_ + suffix);
  }

  int64_t rows(const char* table) {
    Result<std::optional<int64_t>> n = query_int(db_.get(), std::string("SELECT count(*) FROM ") + table, "count");
    EXPECT_TRUE(n.is_ok());
    return n.is_ok() && n->has_value() ? **n : -1;
  }
  bool in_a_transaction() { return sqlite3_get_autocommit(db_.get()) == 0; }

  std::string path_;
  Connection db_;
};

TEST_F(SqliteTest, ATransactionCommitsItsBodysWork) {
  Status s = in_transaction(db_.get(), "BEGIN IMMEDIATE", "a parent",
                            [&] { return exec(db_.get(), "INSERT INTO parent VALUES(1)"); });
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(rows("parent"), 1);
  EXPECT_FALSE(in_a_transaction());
}

TEST_F(SqliteTest, ABodyThatFailsIsRolledBackAndItsFailureReturned) {
  Status s = in_transaction(db_.get(), "BEGIN", "a parent", [&]() -> Status {
    DIMONA_TRY(exec(db_.get(), "INSERT INTO parent VALUES(1)"));
    return failed_precondition("the body changed its mind");
  });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "the body changed its mind");
  EXPECT_EQ(rows("parent"), 0);
  EXPECT_FALSE(in_a_transaction());
}

TEST_F(SqliteTest, ABodyWhoseStatementFailsLeavesNoTransactionOpen) {
  Status s = in_transaction(db_.get(), "BEGIN IMMEDIATE", "two parents", [&]() -> Status {
    DIMONA_TRY(exec(db_.get(), "INSERT INTO parent VALUES(1)"));
    return exec(db_.get(), "INSERT INTO parent VALUES(1)", "a second row 1");  // the primary key refuses it
  });
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("a second row 1: ", 0), 0u) << s.message();
  EXPECT_EQ(rows("parent"), 0);
  EXPECT_FALSE(in_a_transaction());
}

TEST_F(SqliteTest, ACommitThatFailsIsRolledBackAndItsFailureReturned) {
  Result<Transactions> transactions = Transactions::prepare(db_.get(), "BEGIN IMMEDIATE");
  ASSERT_TRUE(transactions.is_ok());
  Status s = transactions->run("a child without a parent", [&] {
    return exec(db_.get(), "INSERT INTO child VALUES(1, 42)");  // accepted now, refused at COMMIT
  });
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("cannot commit a child without a parent: ", 0), 0u) << s.message();
  EXPECT_EQ(rows("child"), 0);
  EXPECT_FALSE(in_a_transaction());
  // The same statements serve the next transaction.
  Status next = transactions->run("a child with its parent", [&]() -> Status {
    DIMONA_TRY(exec(db_.get(), "INSERT INTO parent VALUES(42)"));
    return exec(db_.get(), "INSERT INTO child VALUES(1, 42)");
  });
  ASSERT_TRUE(next.is_ok()) << next.to_string();
  EXPECT_EQ(rows("child"), 1);
}

TEST_F(SqliteTest, AResultBodysValuePassesThroughAndItsFailureRollsBack) {
  Result<Transactions> transactions = Transactions::prepare(db_.get(), "BEGIN");
  ASSERT_TRUE(transactions.is_ok());
  Result<int64_t> count = transactions->run("a count", [&]() -> Result<int64_t> {
    DIMONA_TRY(exec(db_.get(), "INSERT INTO parent VALUES(7)"));
    return int64_t{7};
  });
  ASSERT_TRUE(count.is_ok());
  EXPECT_EQ(*count, 7);
  Result<int64_t> refused = transactions->run("a count", [&]() -> Result<int64_t> {
    DIMONA_TRY(exec(db_.get(), "INSERT INTO parent VALUES(8)"));
    return not_found("no such row");
  });
  EXPECT_EQ(refused.status().code(), Code::kNotFound);
  EXPECT_EQ(rows("parent"), 1);
  EXPECT_FALSE(in_a_transaction());
}

TEST_F(SqliteTest, ATransactionThatCannotBeginRunsNoBody) {
  Connection other;
  {
    Result<Connection> db = open_connection(path_, SQLITE_OPEN_READWRITE, 0, "the test file");
    ASSERT_TRUE(db.is_ok());
    other = std::move(*db);
  }
  ASSERT_TRUE(exec(other.get(), "BEGIN IMMEDIATE").is_ok());  // holds the write lock
  bool ran = false;
  Result<Transactions> transactions = Transactions::prepare(db_.get(), "BEGIN IMMEDIATE");
  ASSERT_TRUE(transactions.is_ok());
  Status s = transactions->run("a write", [&] {
    ran = true;
    return Status::ok();
  });
  EXPECT_EQ(s.code(), Code::kBusy) << s.to_string();
  EXPECT_EQ(s.message().rfind("cannot begin a write: ", 0), 0u) << s.message();
  Status once = in_transaction(db_.get(), "BEGIN IMMEDIATE", "a parent", [&] {
    ran = true;
    return Status::ok();
  });
  EXPECT_EQ(once.code(), Code::kBusy) << once.to_string();
  EXPECT_EQ(once.message().rfind("cannot begin a parent: ", 0), 0u) << once.message();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(in_a_transaction());
  ASSERT_TRUE(exec(other.get(), "ROLLBACK").is_ok());
}

TEST_F(SqliteTest, AFileThatIsNotADatabaseIsCorruption) {
  const std::string junk = path_ + ".junk";
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string bytes(8192, 'x');
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  Result<Connection> db = open_connection(junk, SQLITE_OPEN_READWRITE, 0, "the junk file");
  Status s = db.is_ok() ? exec(db->get(), "SELECT count(*) FROM sqlite_master") : db.status();
  EXPECT_EQ(s.code(), Code::kCorruption) << s.to_string();
  std::filesystem::remove(junk);
}

TEST_F(SqliteTest, PrepareAllPreparesEachOrSaysWhichFailed) {
  Statement a, b;
  ASSERT_TRUE(prepare_all(db_.get(), {std::pair{&a, "SELECT 1"}, std::pair{&b, "SELECT id FROM parent"}}).is_ok());
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  Statement c, d;
  Status s = prepare_all(db_.get(), {std::pair{&c, "SELECT 2"}, std::pair{&d, "SELECT nothing FROM nowhere"}});
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("`SELECT nothing FROM nowhere`"), std::string::npos) << s.message();  // which one
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(d, nullptr);
}

}  // namespace
}  // namespace dimona::sqlite
