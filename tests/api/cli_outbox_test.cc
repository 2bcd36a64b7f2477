// `dimona-ledger outbox relay` as a user runs it (issue 14, item 5): on
// `kafka-mock` with two topics (the events and their outbox), the outbox read
// back with `log dump`; killed mid-way and run again, nothing twice; on the
// embedded log beside the data folder by default.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "engine/log/log.h"
#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

const std::string kCli = DIMONA_CLI_PATH;

// A valid SSIN of someone born in 1995.
std::string ssin_of(int counter) {
  const uint64_t body = 950101100ULL + static_cast<uint64_t>(counter);
  const std::string digits = std::to_string(body * 100 + (97 - body % 97));
  return std::string(11 - digits.size(), '0') + digits;
}

// The text of a JSON string field ("key":"value") in a line; empty when absent.
std::string field(const std::string& line, const std::string& key) {
  const std::string open = "\"" + key + "\":\"";
  const size_t at = line.find(open);
  if (at == std::string::npos) return "";
  const size_t from = at + open.size();
  return line.substr(from, line.find('"', from) - from);
}

class CliOutbox : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.file("data"));
    std::filesystem::permissions(dir_.file("data"), std::filesystem::perms::owner_all);
  }

  // Attestation requests of citizens [first, first + count), recorded in 2025 from
  // `minute` on: every third for 2020 (refused), the others for 2025 (accepted).
  std::string requests(int first, int count, int minute, int* accepted) {
    const std::string path = dir_.file("requests-" + std::to_string(first) + ".ndjson");
    std::ofstream out(path);
    for (int i = first; i < first + count; ++i, ++minute) {
      const bool refused = i % 3 == 0;
      *accepted += refused ? 0 : 1;
      char at[32];
      std::snprintf(at, sizeof at, "2025-03-%02dT%02d:%02d:00Z", 10 + minute / 1440, minute / 60 % 24, minute % 60);
      out << R"({"worker":{"ssin":")" << ssin_of(i) << R"("},"attestationRequest":{"year":)" << (refused ? 2020 : 2025)
          << R"(},"recordedAt":")" << at << "\"}\n";
    }
    return path;
  }

  Invocation cli(const std::string& args, const std::string& log = "") {
    std::string command = kCli + " " + args + " --data " + dir_.file("data");
    if (!log.empty()) command += " --log " + log;
    return run_shell(command, dir_);
  }

  // The outbox's messages: each line checked, the message ids returned.
  std::vector<std::string> outbox_messages(const std::string& outbox) {
    Invocation dump = cli("log dump", outbox);
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    std::vector<std::string> ids;
    for (const std::string& line : split_lines(dump.out)) {
      const std::string citizen = field(line, "citizen");
      EXPECT_EQ(citizen.size(), 11u) << line;
      // In the partition the citizen's key gives, as the events are.
      EXPECT_NE(line.find("{\"partition\":" + std::to_string(partition_for_key(citizen, 4)) + ","), std::string::npos)
          << line;
      EXPECT_EQ(field(line, "type"), "StudentAttestationMessage");
      EXPECT_EQ(field(line, "kind"), "studentAttestation");
      EXPECT_EQ(field(line, "eventId"), "msg-" + field(line, "messageId"));
      EXPECT_TRUE(field(line, "source").starts_with("log:")) << line;
      ids.push_back(field(line, "messageId"));
    }
    return ids;
  }

  // No SSIN of the test in what the commands wrote to stderr.
  void expect_no_ssin(const std::string& text) {
    for (int i = 0; i < 400; ++i) EXPECT_EQ(text.find(ssin_of(i)), std::string::npos) << text;
  }

  TempDir dir_;
};

TEST_F(CliOutbox, OnKafkaEachAcceptedAttestationReachesTheOutboxTopicOnce) {
  MockClusterProcess mock("dimona.events", 4, {"dimona.events.outbox"});
  const std::string events = mock.uri("dimona.events");
  const std::string outbox = mock.uri("dimona.events.outbox");
  int accepted = 0;
  Invocation ingest = cli("ingest " + requests(0, 30, 0, &accepted), events);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  Invocation relay = cli("outbox relay", events);  // the default outbox: TOPIC.outbox
  ASSERT_EQ(relay.exit_code, 0) << relay.err;
  EXPECT_NE(relay.out.find("relayed " + std::to_string(accepted) + " message(s) to " + outbox), std::string::npos)
      << relay.out;
  EXPECT_NE(relay.out.find("10 refused action(s) without one"), std::string::npos) << relay.out;
  expect_no_ssin(relay.err + relay.out);
  std::vector<std::string> ids = outbox_messages(outbox);
  EXPECT_EQ(ids.size(), static_cast<size_t>(accepted));

  Invocation again = cli("outbox relay --outbox " + outbox, events);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("relayed 0 message(s)"), std::string::npos) << again.out;

  // Following: new attestations are relayed as they come; SIGTERM ends it with exit 0.
  ChildProcess follow({kCli, "outbox", "relay", "--follow", "--data", dir_.file("data"), "--log", events});
  Invocation more = cli("ingest " + requests(30, 30, 100, &accepted), events);
  ASSERT_EQ(more.exit_code, 0) << more.err;
  int followed = 0;
  while (followed < 20) {
    const std::string line = follow.read_line(std::chrono::seconds(30));
    ASSERT_TRUE(line.starts_with("relayed ")) << "the follower printed: " << line;
    followed += std::stoi(line.substr(8));
  }
  EXPECT_EQ(followed, 20);
  EXPECT_EQ(follow.stop(SIGTERM), 0);

  // Killed in the middle of a larger run, then run again: nothing twice, nothing missing.
  ChildProcess killed({kCli, "outbox", "relay", "--follow", "--data", dir_.file("data"), "--log", events});
  Invocation large = cli("ingest " + requests(60, 300, 200, &accepted), events);
  ASSERT_EQ(large.exit_code, 0) << large.err;
  (void)killed.read_line(std::chrono::seconds(30));
  EXPECT_EQ(killed.stop(SIGKILL), -1);
  Invocation rest = cli("outbox relay", events);
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  RecordProperty("after_the_kill", rest.out);  // how many the killed relay had left
  ids = outbox_messages(outbox);
  EXPECT_EQ(ids.size(), static_cast<size_t>(accepted));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "a message relayed twice";
  Invocation inspect = cli("log inspect", outbox);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("no eventId twice"), std::string::npos) << inspect.out;

  // Every accepted attestation of the events log has its message.
  Invocation dump = cli("log dump", events);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::set<std::string> issued;
  for (const std::string& line : split_lines(dump.out))
    if (field(line, "type") == "StudentAttestationIssued" && line.find(R"("result":"A")") != std::string::npos)
      issued.insert(field(line, "actionId"));
  EXPECT_EQ(issued, std::set<std::string>(ids.begin(), ids.end()));
}

TEST_F(CliOutbox, OnTheEmbeddedLogTheOutboxIsBesideTheLedger) {
  int accepted = 0;
  Invocation ingest = cli("ingest " + requests(0, 12, 0, &accepted) + " --partitions 4");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  Invocation relay = cli("outbox relay");
  ASSERT_EQ(relay.exit_code, 0) << relay.err;
  const std::string outbox = "sqlite:" + dir_.file("data") + "/ledger.outbox.db";
  EXPECT_NE(relay.out.find("relayed " + std::to_string(accepted) + " message(s) to " + outbox), std::string::npos)
      << relay.out;
  EXPECT_EQ(outbox_messages(outbox).size(), static_cast<size_t>(accepted));

  // An outbox of another partition count is refused, and says why.
  Invocation three = run_shell(kCli + " ingest /dev/null --partitions 3 --data " + dir_.file("data3"), dir_);
  ASSERT_EQ(three.exit_code, 0) << three.err;
  Invocation other = cli("outbox relay --outbox sqlite:" + dir_.file("data3") + "/ledger.db");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("the events log 4"), std::string::npos) << other.err;
  Invocation none = cli("outbox relay --outbox memory:");
  EXPECT_EQ(none.exit_code, 0) << none.err;  // a private memory outbox: relayed, and gone with the process
  Invocation missing = run_shell(kCli + " outbox relay --data " + dir_.file("nothing"), dir_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no log at"), std::string::npos) << missing.err;
}

// serve --outbox: the relay runs on a thread of the server, and stops with it.
TEST_F(CliOutbox, ServeRunsTheRelayBesideTheServer) {
  int accepted = 0;
  Invocation ingest = cli("ingest " + requests(0, 15, 0, &accepted) + " --partitions 4");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const std::string outbox = "sqlite:" + dir_.file("served-outbox.db");
  ChildProcess serve({kCli, "serve", "--port", "0", "--data", dir_.file("data"), "--outbox", outbox});
  ASSERT_TRUE(serve.read_line(std::chrono::seconds(30)).starts_with("serving ")) << "serve did not start";
  size_t relayed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (relayed < static_cast<size_t>(accepted) && std::chrono::steady_clock::now() < deadline) {
    Invocation dump = run_shell(kCli + " log dump --data " + dir_.file("data") + " --log " + outbox, dir_);
    relayed = dump.exit_code == 0 ? split_lines(dump.out).size() : 0;
    if (relayed < static_cast<size_t>(accepted)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(relayed, static_cast<size_t>(accepted));
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  EXPECT_EQ(outbox_messages(outbox).size(), static_cast<size_t>(accepted));

  Invocation bad = cli("serve --port 0 --outbox ftp://nowhere");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("serve: outbox relay"), std::string::npos) << bad.err;
}

// A broker that does not answer when serve starts is the relay's to retry (docs/actions.md,
// "Outbox"), as a later failure is: the API serves meanwhile.
TEST_F(CliOutbox, ServeServesWhileTheOutboxsBrokerIsDown) {
  int accepted = 0;
  Invocation ingest = cli("ingest " + requests(0, 2, 0, &accepted) + " --partitions 2");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ChildProcess serve(
      {kCli, "serve", "--port", "0", "--data", dir_.file("data"), "--outbox", "kafka://127.0.0.1:1/down.outbox"});
  EXPECT_TRUE(serve.read_line(std::chrono::seconds(40)).starts_with("serving ")) << "serve did not start";
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace dimona
