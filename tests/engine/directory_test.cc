// The look-ups that cross partitions (engine/directory.h, issue 11 item 2):
// writers of disjoint partitions of one log, each with the log's directory,
// decide what one writer of every partition decides: a period, ticket or
// notification another writer holds is refused as not held (the caller
// sends it to its owner), never decided as unknown; a token names its
// request across partitions and is used once; a notification reads its
// employer's setting from partition 0's writer; an id a creating action
// imports is in use everywhere once used anywhere.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/directory.h"
#include "engine/event_reader.h"
#include "engine/ledger.h"
#include "projections/projector.h"
#include "tests/engine/ingest_check.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/engine/log_test_support.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

constexpr uint32_t kPartitions = 4;

// A writer of `held` (empty: all) on `log`, with the log's directory when `directory`.
std::unique_ptr<Ledger> open_writer(Log& log, const Clock& clock, std::vector<uint32_t> held, bool directory = true) {
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::open(log, testing::default_schedule(), clock, ServerSecret::from_passphrase("test"), std::move(held));
  EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  if (!ledger.is_ok()) return nullptr;
  if (directory) {
    Result<std::unique_ptr<KeyedTable>> table = log.open_table(Directory::kTable);
    EXPECT_TRUE(table.is_ok());
    Status used = (*ledger)->use_directory(std::make_unique<Directory>(std::move(*table)));
    EXPECT_TRUE(used.is_ok()) << used.to_string();
  }
  return std::move(*ledger);
}

// One line submitted and committed: ok, or the Ledger's refusal (a not-held partition, ...).
Status submit_line(Ledger& ledger, const std::string& line, const std::string& source) {
  static DeclarationDecoder decoder;
  std::string padded = line;
  padded.resize(line.size() + kJsonPadding, ' ');
  Result<Command> command = decoder.decode_command(std::string_view(padded.data(), line.size()), padded.size());
  if (!command.is_ok()) return command.status();
  Status decided = command->is_action ? ledger.submit_action(command->action, line, source).status()
                                      : ledger.submit(command->declaration, line, source).status();
  DIMONA_TRY(decided);
  return ledger.commit();
}

// Each line to the first writer that holds its partition, as serve --group
// redirects it (each submission answered, so durable, before the next).
// Counts the lines a writer refused as not held; fails on any other error.
int submit_to_owners(const std::vector<std::string>& lines, std::vector<Ledger*> writers) {
  int redirected = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string source = "test:" + std::to_string(i + 1);
    Status last;
    for (Ledger* w : writers) {
      last = submit_line(*w, lines[i], source);
      if (!not_held_partition(last)) break;
      ++redirected;
    }
    if (last.code() == Code::kInvalidArgument) continue;  // a malformed line: refused everywhere alike
    EXPECT_TRUE(last.is_ok()) << "line " << i + 1 << ": " << last.to_string();
  }
  return redirected;
}

std::vector<std::string> generated_year(uint64_t students, uint64_t seed) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/year.ndjson";
  testing::write_year(path, students, seed);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string export_with(uint64_t students, uint64_t seed, std::vector<std::vector<uint32_t>> layout, bool directory,
                        int* redirected = nullptr) {
  const std::vector<std::string> lines = generated_year(students, seed);
  std::unique_ptr<Log> log = testing::memory_log(kPartitions);
  ManualClock clock(testing::after_the_year());
  {
    std::vector<std::unique_ptr<Ledger>> writers;
    std::vector<Ledger*> order;
    for (std::vector<uint32_t>& held : layout) {
      writers.push_back(open_writer(*log, clock, std::move(held), directory));
      order.push_back(writers.back().get());
    }
    const int n = submit_to_owners(lines, order);
    if (redirected) *redirected = n;
  }
  return testing::export_of(*log);
}

// The generated year holds every cross-partition look-up: UPDATEs, OUTs and
// CANCELs naming a period id, employers' data-access requests (partition 0)
// granted by their students, imported request ids and tickets, employer
// settings and career-break tickets.
TEST(DirectoryScaleOut, TwoWritersOfDisjointPartitionsDecideAGeneratedYearAsOneWriterDoes) {
  const std::string one = export_with(120, 7, {{}}, true);
  int redirected = 0;
  const std::string two = export_with(120, 7, {{0, 2}, {1, 3}}, true, &redirected);
  EXPECT_GT(redirected, 100);  // both writers were asked for the other's lines
  EXPECT_TRUE(two == one) << "two writers' export differs from one writer's; first difference:\n"
                          << testing::first_difference(two, one);
}

// The oracle above is not blind: without the directory, the same layout
// decides some look-ups as unknown and the export differs.
TEST(DirectoryScaleOut, WithoutTheDirectoryTwoWritersDecideOtherwise) {
  const std::string one = export_with(120, 7, {{}}, false);
  const std::string two = export_with(120, 7, {{0, 2}, {1, 3}}, false);
  EXPECT_NE(two, one);
}

class DirectoryTwoWriters : public ::testing::Test {
 protected:
  // Partition 0 (the employers' requests and settings) with `zero`; the workers' elsewhere.
  void SetUp() override {
    zero_ = open_writer(*log_, clock_, {0});
    rest_ = open_writer(*log_, clock_, {1, 2, 3});
    ASSERT_TRUE(zero_ && rest_);
  }
  // A worker whose partition is not 0 (so `rest_` holds it).
  static std::string worker(int i) {
    static const std::vector<std::string> all = {"05031412595", "04070101124", "03020202422", "97062691197",
                                                 "60021778675", "85073003328", "85073003526", "98042372094"};
    std::vector<std::string> out;
    for (const std::string& w : all)
      if (partition_for(*parse_ssin(w), kPartitions) != 0) out.push_back(w);
    return out.at(static_cast<size_t>(i));
  }
  Result<ActionSubmission> act(Ledger& ledger, const std::string& json) {
    static DeclarationDecoder decoder;
    std::string padded = json;
    padded.resize(json.size() + kJsonPadding, ' ');
    Result<Command> c = decoder.decode_command(std::string_view(padded.data(), json.size()), padded.size());
    EXPECT_TRUE(c.is_ok() && c->is_action) << json;
    if (!c.is_ok()) return c.status();
    Result<ActionSubmission> s = ledger.submit_action(c->action, json, "test");
    if (s.is_ok()) {
      EXPECT_TRUE(ledger.commit().is_ok());
    }
    return s;
  }

  ManualClock clock_{*parse_instant("2025-06-01T08:00:00Z")};
  std::unique_ptr<Log> log_ = testing::memory_log(kPartitions);
  std::unique_ptr<Ledger> zero_, rest_;
};

TEST_F(DirectoryTwoWriters, ATokenIsUsedOnceAcrossPartitions) {
  Result<ActionSubmission> request = act(*zero_, R"({"employer":{"enterpriseNumber":"0403019261"},)"
                                                 R"("dataAccessRequest":{"scope":"FLEXI","channel":"QR"}})");
  ASSERT_TRUE(request.is_ok() && request->outcome.accepted());
  const std::string token = to_string(request->outcome.token);
  Result<ActionSubmission> grant =
      act(*rest_, R"({"worker":{"ssin":")" + worker(0) + R"("},"dataAccessGrant":{"token":")" + token + R"("}})");
  ASSERT_TRUE(grant.is_ok()) << grant.status().to_string();
  EXPECT_TRUE(grant->outcome.accepted()) << refusal_name(grant->outcome.refusal);
  EXPECT_EQ(grant->outcome.employer, 403019261u);  // read from the request, in partition 0
  // Another citizen, in another partition this writer holds too, or the same token from a fresh writer: used.
  Result<ActionSubmission> again =
      act(*rest_, R"({"worker":{"ssin":")" + worker(1) + R"("},"dataAccessRefusal":{"token":")" + token + R"("}})");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->outcome.refusal, ActionRefusal::kTokenAlreadyUsed);
  rest_.reset();
  std::unique_ptr<Ledger> fresh = open_writer(*log_, clock_, {1, 2, 3});
  Result<ActionSubmission> third =
      act(*fresh, R"({"worker":{"ssin":")" + worker(2) + R"("},"dataAccessGrant":{"token":")" + token + R"("}})");
  ASSERT_TRUE(third.is_ok());
  EXPECT_EQ(third->outcome.refusal, ActionRefusal::kTokenAlreadyUsed);
}

TEST_F(DirectoryTwoWriters, ANotificationReadsItsEmployersSettingFromPartitionZero) {
  const std::string notification = R"({"worker":{"ssin":")" + worker(0) +
                                   R"("},"employer":{"enterpriseNumber":"0403019261"},"careerBreakNotification":)"
                                   R"({"leaveKind":"TIME_CREDIT","fraction":"FULL","startDate":"2025-09-01"}})";
  Result<ActionSubmission> before = act(*rest_, notification);
  ASSERT_TRUE(before.is_ok()) << before.status().to_string();
  EXPECT_EQ(before->outcome.refusal, ActionRefusal::kNotificationsNotAccepted);
  ASSERT_TRUE(act(*zero_, R"({"employer":{"enterpriseNumber":"0403019261"},"employerSettings":)"
                          R"({"contactName":"A","email":"a@example.be","phone":"021234567","acceptsNotifications":true}})").is_ok());
  Result<ActionSubmission> after = act(*rest_, notification);
  ASSERT_TRUE(after.is_ok());
  EXPECT_TRUE(after->outcome.accepted()) << refusal_name(after->outcome.refusal);
  // A follow-up naming the notification from the writer of partition 0: its owner's, not unknown.
  Result<ActionSubmission> elsewhere =
      act(*zero_, R"({"employer":{"enterpriseNumber":"0403019261"},"careerBreakNotificationValidation":{"notificationId":")" +
                      std::to_string(after->outcome.id) + "\"}}");
  ASSERT_FALSE(elsewhere.is_ok());
  EXPECT_EQ(not_held_partition(elsewhere.status()), after->partition) << elsewhere.status().to_string();
}

TEST_F(DirectoryTwoWriters, AnImportedPeriodIsFoundAndItsIdInUseAcrossPartitions) {
  DeclarationDecoder decoder;
  auto submit = [&](Ledger& ledger, const std::string& json) {
    std::string padded = json;
    padded.resize(json.size() + kJsonPadding, ' ');
    Result<Declaration> d = decoder.decode(std::string_view(padded.data(), json.size()), padded.size());
    EXPECT_TRUE(d.is_ok()) << json;
    Result<Submission> s = ledger.submit(*d, json, "test");
    if (s.is_ok()) {
      EXPECT_TRUE(ledger.commit().is_ok());
    }
    return s;
  };
  std::string in = testing::stu_in("2025-07-01", "2025-07-02", 8, worker(0));
  in.insert(in.find("\"dimonaIn\":{") + 12, R"("periodId":123456789002,)");
  Result<Submission> created = submit(*rest_, in);
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  ASSERT_EQ(created->decision.result, ResultCode::kAccepted);
  // An UPDATE naming it reaches partition 0's writer: refused as not held there, with the owner's partition.
  const std::string update = R"({"dimonaUpdate":{"periodId":123456789002,"plannedHoursNumber":6}})";
  Result<Submission> misdirected = submit(*zero_, update);
  ASSERT_FALSE(misdirected.is_ok());
  EXPECT_EQ(not_held_partition(misdirected.status()), created->partition);
  // The same id imported by a creating action for a worker of another partition, from another writer: in use.
  const std::string other_worker = "85073003328";
  const uint32_t other_partition = partition_for(*parse_ssin(other_worker), kPartitions);
  ASSERT_NE(other_partition, created->partition);
  std::vector<uint32_t> held;
  for (uint32_t p = 0; p < kPartitions; ++p)
    if (p != created->partition) held.push_back(p);
  rest_.reset();
  zero_.reset();
  std::unique_ptr<Ledger> others = open_writer(*log_, clock_, held);
  Result<ActionSubmission> ticket = act(
      *others, R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + other_worker +
                   R"("},"careerBreakRequest":{"ticket":"123456789002","leaveKind":"TIME_CREDIT","fraction":"1/2",)"
                   R"("startDate":"2025-09-01","endDate":"2025-12-31","regimeBefore":1,"regimeDuring":0.5}})");
  ASSERT_TRUE(ticket.is_ok()) << ticket.status().to_string();
  EXPECT_EQ(ticket->outcome.refusal, ActionRefusal::kIdInUse) << refusal_name(ticket->outcome.refusal);
}

// A log written without a directory (before it existed, or by a writer that
// had none) gets its rows when a writer of some partitions, who reads the
// directory, opens on it; a writer of every partition never reads it and
// leaves them to that member.
TEST(DirectoryRows, AFoldPutsTheRowsTheDirectoryLacks) {
  std::unique_ptr<Log> log = testing::memory_log(kPartitions);
  ManualClock clock(*parse_instant("2025-06-01T08:00:00Z"));
  {
    std::unique_ptr<Ledger> bare = open_writer(*log, clock, {}, /*directory=*/false);
    ASSERT_TRUE(submit_line(*bare, R"({"employer":{"enterpriseNumber":"0403019261"},"employerSettings":)"
                                   R"({"contactName":"A","email":"a@example.be","phone":"021234567","acceptsNotifications":true}})", "test").is_ok());
  }
  Result<std::unique_ptr<KeyedTable>> table = log->open_table(Directory::kTable);
  ASSERT_TRUE(table.is_ok());
  Directory directory(std::move(*table));
  EXPECT_EQ(*directory.settings(403019261), std::nullopt);
  open_writer(*log, clock, {}).reset();
  EXPECT_EQ(*directory.settings(403019261), std::nullopt) << "a writer of every partition reconciles nothing";
  std::unique_ptr<Ledger> with = open_writer(*log, clock, {0});  // the employers' settings are partition 0's
  Result<std::optional<EmployerSettings>> settings = directory.settings(403019261);
  ASSERT_TRUE(settings.is_ok() && settings->has_value());
  EXPECT_TRUE((*settings)->accepts_notifications);
}

// The rows the events of `partitions` make known (rows_of), the latest of each key.
std::map<std::string, std::string> rows_of_events(Log& log, const std::vector<uint32_t>& partitions) {
  std::map<std::string, std::string> latest;
  LoggedEventReader reader;
  for (uint32_t p : partitions)
    for (const LogRecord& r : testing::read_all(log, p)) {
      Result<Event> event = reader.read(r.payload);
      EXPECT_TRUE(event.is_ok()) << event.status().to_string();
      if (!event.is_ok()) continue;
      std::vector<KeyedTable::Row> rows;
      Directory::rows_of(*event, p, &rows);
      for (KeyedTable::Row& row : rows) latest.insert_or_assign(std::move(row.first), std::move(row.second));
    }
  return latest;
}

// The keys whose rows differ between two sets, each side's value ("-" when absent).
std::string row_differences(const std::map<std::string, std::string>& got,
                            const std::map<std::string, std::string>& want) {
  std::string out;
  std::set<std::string> keys;
  for (const auto& [key, value] : got) keys.insert(key);
  for (const auto& [key, value] : want) keys.insert(key);
  for (const std::string& key : keys) {
    auto g = got.find(key);
    auto w = want.find(key);
    const std::string gv = g == got.end() ? "-" : g->second, wv = w == want.end() ? "-" : w->second;
    if (gv != wv) out += key + ": got " + gv + ", want " + wv + "\n";
  }
  return out;
}

std::map<std::string, std::string> table_rows(KeyedTable& table) {
  std::map<std::string, std::string> rows;
  EXPECT_TRUE(table.refresh().is_ok());
  table.for_each([&](std::string_view key, std::string_view value) { rows.emplace(key, value); });
  return rows;
}

// A generated year written by a writer without the directory: every kind of row (periods,
// requests and their tokens, answers, tickets, notifications, employers' settings changed
// several times) and none put.
std::unique_ptr<Log> year_without_rows(const Clock& clock) {
  std::unique_ptr<Log> log = testing::memory_log(kPartitions);
  std::unique_ptr<Ledger> bare = open_writer(*log, clock, {}, /*directory=*/false);
  EXPECT_NE(bare, nullptr);
  if (bare) submit_to_owners(generated_year(120, 7), {bare.get()});
  return log;
}

// What a writer started from a state it did not fold puts (rows_of_state): exactly the latest
// row of each key the state's events made, as a fold of those events gives.
TEST(DirectoryRows, AStatesRowsAreTheLatestRowsOfItsEvents) {
  ManualClock clock(testing::after_the_year());
  std::unique_ptr<Log> log = year_without_rows(clock);
  std::vector<std::unique_ptr<LedgerState>> states;
  std::vector<LedgerState*> into;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    states.push_back(std::make_unique<LedgerState>());
    into.push_back(states.back().get());
  }
  ASSERT_TRUE(fold_log(*log, into).is_ok());
  std::set<std::string> kinds;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    std::vector<KeyedTable::Row> rows;
    Directory::rows_of_state(*states[p], p, &rows);
    std::map<std::string, std::string> got;
    for (KeyedTable::Row& row : rows) EXPECT_TRUE(got.emplace(row.first, row.second).second) << "twice: " << row.first;
    const std::map<std::string, std::string> want = rows_of_events(*log, {p});
    EXPECT_EQ(got, want) << "partition " << p << ":\n" << row_differences(got, want);
    for (const auto& [key, value] : want) kinds.insert(key.substr(0, key.find('/')));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"answered", "id", "settings", "token"})) << "the year lacks a kind";
  // A token row's scope is its request's: the outcome read back from the log does not carry it,
  // so the equality above needs student-balance requests to tell (rows_of once put every token
  // back as FLEXI on a fold: a grant through another member then expired after a month).
  int student_balance_requests = 0;
  for (uint32_t p = 0; p < kPartitions; ++p)
    for (const DataAccessRequest& r : states[p]->actions().requests())
      student_balance_requests += r.scope == AccessScope::kStudentBalance ? 1 : 0;
  EXPECT_GT(student_balance_requests, 0) << "the year has no student-balance request";
}

// A group member started from its read side's states of the partitions it holds (serve --group:
// one state) folds none of the log again, and puts the rows its partitions' events imply that
// the directory lacks: those of the seed's events included (a writer that stopped between a
// group's append and its rows). The other partitions' rows stay their owners' business.
TEST(DirectoryRows, AMemberStartedFromItsReadSidePutsItsPartitionsRowsTheDirectoryLacks) {
  ManualClock clock(testing::after_the_year());
  std::unique_ptr<Log> log = year_without_rows(clock);
  ProjectorOptions options;
  options.partitions = {0, 2};
  Result<std::unique_ptr<Projector>> read_side = Projector::open(*log, options);
  ASSERT_TRUE(read_side.is_ok()) << read_side.status().to_string();
  ASSERT_TRUE((*read_side)->catch_up().is_ok());
  std::optional<WriterSeed> seed = (*read_side)->writer_seed(/*share=*/true);
  ASSERT_TRUE(seed.has_value());
  Result<std::unique_ptr<Ledger>> member =
      Ledger::open(*log, testing::default_schedule(), clock, ServerSecret::from_passphrase("test"), {0, 2}, &*seed);
  ASSERT_TRUE(member.is_ok()) << member.status().to_string();
  EXPECT_TRUE((*member)->started_from_seed()) << (*member)->seed_refusal();
  EXPECT_TRUE((*member)->shares_states());
  EXPECT_EQ((*member)->partition_state(0), &(*read_side)->partition(0));
  EXPECT_EQ((*member)->partition_state(1), nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table(Directory::kTable);
  ASSERT_TRUE(table.is_ok());
  ASSERT_TRUE((*member)->use_directory(std::make_unique<Directory>(std::move(*table))).is_ok());
  Result<std::unique_ptr<KeyedTable>> reader = log->open_table(Directory::kTable);
  ASSERT_TRUE(reader.is_ok());
  const std::map<std::string, std::string> want = rows_of_events(*log, {0, 2});
  ASSERT_GT(want.size(), 100u);
  const std::map<std::string, std::string> got = table_rows(**reader);
  EXPECT_EQ(got, want) << row_differences(got, want);
}

TEST(DirectoryRows, ARowThatDoesNotReadBackIsCorruption) {
  std::unique_ptr<Log> log = testing::memory_log(kPartitions);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table(Directory::kTable);
  ASSERT_TRUE(table.is_ok());
  ASSERT_TRUE((*table)->put("id/123456789002", "x").is_ok());
  ASSERT_TRUE((*table)->put("settings/403019261", "yes").is_ok());
  Directory directory(std::move(*table));
  EXPECT_EQ(directory.partition_of(123456789002).status().code(), Code::kCorruption);
  EXPECT_EQ(directory.settings(403019261).status().code(), Code::kCorruption);
  EXPECT_EQ(*directory.partition_of(123456789103), std::nullopt);
}

}  // namespace
}  // namespace dimona
