// Scale-out (issue 11, item 6; docs/kafka.md "Scale-out"): `serve --group` processes
// on librdkafka's mock cluster (a `dimona-ledger kafka-mock` process, 127.0.0.1),
// fed through an input topic that kafka-python (a client no one here wrote) fills
// keyed by SSIN (an employer's own lines to partition 0). One process starts alone and holds every partition; a second joins
// mid-stream and the group moves half of them (an eager rebalance). The events log
// they write together gives byte for byte the export of the same lines ingested
// from a file by one process. Label kafka.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "engine/ledger.h"
#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

const std::string kCli = DIMONA_CLI_PATH;
const std::string kPython = "/usr/bin/python3 " + std::string(DIMONA_INTEROP_DIR) + "/kafka_python_client.py ";
constexpr uint32_t kPartitions = 4;

// The lines of a generated year but those whose decision needs a line of another input
// partition decided first: a consent's answer (its request is an employer's line, in
// partition 0) and a career-break notification (its employer's settings, partition 0).
// Kafka orders each partition, not the partitions between them, so the answer may be read
// before the request: a payroll system sends it only after the request was answered, which
// a replay of a whole year at once does not. Everything else stays, career-break follow-ups
// naming only a ticket included (routed by the directory; docs/kafka.md section 8);
// DirectoryScaleOut (directory_tests) decides the excluded kinds across writers too.
void causal_lines(const std::string& from, const std::string& to) {
  std::ofstream out(to);
  static const std::regex needs_another(R"re("(dataAccessGrant|dataAccessRefusal|careerBreakNotification)")re");
  for (const std::string& line : split_lines(read_file(from)))
    if (!std::regex_search(line, needs_another)) out << line << '\n';
}

// An SSIN of `lines` whose events fall in `partition` (murmur2 of its 11 digits, as the ledger's).
std::string citizen_of_partition(const std::string& lines, uint32_t partition) {
  const std::regex in(R"re("worker":\{"ssin":"([0-9]{11})"\},"dimonaIn")re");
  for (const std::string& line : split_lines(read_file(lines))) {
    std::smatch m;
    if (std::regex_search(line, m, in) && partition_for_key(m[1].str(), kPartitions) == partition) return m[1].str();
  }
  return "";
}

// `serve --group` on the events log "ev", reading the input topic "in" on its partitions;
// the members share the server secret and the token issuer's keys.
std::vector<std::string> serve(const MockClusterProcess& mock, const std::string& data, const std::string& key,
                               const std::string& jwks, uint16_t port) {
  return {kCli,          "serve", "--group", "payroll", "--log",  mock.uri("ev"),        "--input", mock.uri("in"),
          "--data",      data,    "--secret-file", key, "--jwks", jwks, "--port", std::to_string(port)};
}

// curl's status code and redirect URL for a request with a bearer token ("307 http://…").
std::string status_and_location(const std::string& method, const std::string& url, const std::string& token,
                                const std::string& body, const TempDir& dir) {
  std::ofstream(dir.file("body.json")) << body;
  Invocation r = run_shell("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X " + method + " -H 'Authorization: Bearer " +
                               token + "' -H 'Content-Type: application/json'" + (body.empty() ? "" : " --data-binary @" + dir.file("body.json")) +
                               " '" + url + "'", dir);
  return r.out;
}

// The partitions a serve process reports on /ready, as "0,2".
std::string held_on_ready(uint16_t port, const TempDir& dir) {
  Invocation ready = run_shell("curl -s http://127.0.0.1:" + std::to_string(port) + "/ready", dir);
  std::string held;
  const std::regex partition(R"re("partition":([0-9]+))re");
  for (auto it = std::sregex_iterator(ready.out.begin(), ready.out.end(), partition); it != std::sregex_iterator(); ++it)
    held += (held.empty() ? "" : ",") + (*it)[1].str();
  return held;
}

// Events in the log, per `log inspect`'s total line.
uint64_t events_in(const std::string& uri, const std::string& data, const TempDir& dir) {
  Invocation inspect = run_shell(kCli + " log inspect --log " + uri + " --data " + data, dir);
  std::smatch m;
  // The events, not the records: each writer's fence records (docs/kafka.md "Fencing a zombie") are none.
  if (!std::regex_search(inspect.out, m, std::regex(R"(event ids: ([0-9]+) events)"))) return 0;
  return std::stoull(m[1].str());
}

TEST(ServeGroup, TwoProcessesAndARebalanceWriteTheLogOneProcessWrites) {
  TempDir dir;
  MockClusterProcess mock("ev", kPartitions, {"in", "ref", "ev.owners:1"});
  ASSERT_FALSE(mock.bootstrap().empty());
  const std::string key = dir.file("secret.key");  // the members share the server secret (access codes)
  ASSERT_EQ(run_shell("head -c 32 /dev/urandom > " + key + " && chmod 600 " + key, dir).exit_code, 0);
  ASSERT_EQ(run_shell(kCli + " generate --year 2025 --students 80 --seed 3 -o " + dir.file("year.ndjson"), dir).exit_code, 0);
  causal_lines(dir.file("year.ndjson"), dir.file("lines.ndjson"));
  const size_t lines = split_lines(read_file(dir.file("lines.ndjson"))).size();
  ASSERT_GT(lines, 1000u);

  // The oracle: one process ingests the file.
  const std::string oracle = dir.file("oracle");
  Invocation ingest = run_shell(kCli + " ingest " + dir.file("lines.ndjson") + " --data " + oracle + " --secret-file " + key +
                                    " --log " + mock.uri("ref"), dir);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  Invocation want = run_shell(kCli + " export --data " + oracle + " --secret-file " + key + " --log " + mock.uri("ref"), dir);
  ASSERT_EQ(want.exit_code, 0) << want.err;
  const uint64_t want_events = events_in(mock.uri("ref"), oracle, dir);
  ASSERT_GT(want_events, 1000u);

  // The first half of the lines, then one member alone: it holds every partition.
  const size_t half = lines / 2;
  Invocation first = run_shell(kPython + "keyed " + mock.bootstrap() + " in " + dir.file("lines.ndjson") + " 0 " +
                                   std::to_string(half), dir);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Tokens from one development key, which both members trust (--jwks).
  const std::string jwks = dir.file("a") + "/dev-keys/dev-jwks.json";
  const std::string citizen_ssin = citizen_of_partition(dir.file("lines.ndjson"), 1);
  Invocation citizen = run_shell(kCli + " token --role citizen --ssin " + citizen_ssin + " --data " + dir.file("a"), dir);
  Invocation declarant = run_shell(kCli + " token --role declarant --data " + dir.file("a"), dir);
  ASSERT_EQ(citizen.exit_code, 0) << citizen.err;
  ASSERT_EQ(declarant.exit_code, 0) << declarant.err;
  const std::string citizen_token = split_lines(citizen.out).at(0), declarant_token = split_lines(declarant.out).at(0);
  const uint16_t port_a = free_port(), port_b = free_port();
  ChildProcess a(serve(mock, dir.file("a"), key, jwks, port_a));
  ASSERT_NE(a.read_line(std::chrono::seconds(60)).find("serving http://"), std::string::npos);
  EXPECT_EQ(held_on_ready(port_a, dir), "0,1,2,3");

  // A second member joins: the group splits the partitions between them.
  ChildProcess b(serve(mock, dir.file("b"), key, jwks, port_b));
  ASSERT_NE(b.read_line(std::chrono::seconds(60)).find("serving http://"), std::string::npos);
  std::string held_a, held_b;
  for (int i = 0; i < 100 && (held_a.empty() || held_b.empty() || held_a.size() + held_b.size() != 6); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held_a = held_on_ready(port_a, dir);
    held_b = held_on_ready(port_b, dir);
  }
  EXPECT_EQ(held_a.size() + held_b.size(), 6u) << "a holds " << held_a << ", b holds " << held_b;
  EXPECT_TRUE((held_a == "0,2" && held_b == "1,3") || (held_a == "1,3" && held_b == "0,2"))
      << "a holds " << held_a << ", b holds " << held_b;

  // The rest of the lines, while both serve: each decides its own partitions' records.
  Invocation second = run_shell(kPython + "keyed " + mock.bootstrap() + " in " + dir.file("lines.ndjson") + " " +
                                    std::to_string(half), dir);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  uint64_t got_events = 0;
  for (int i = 0; i < 150 && got_events < want_events; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    got_events = events_in(mock.uri("ev"), dir.file("a"), dir);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more comes
  EXPECT_EQ(events_in(mock.uri("ev"), dir.file("a"), dir), want_events);

  // A citizen of partition 1 asked of the member that does not hold it: 307 to the one that
  // does, which answers; the same for a declaration about them (not followed: nothing written).
  const uint16_t holder = held_a.find('1') != std::string::npos ? port_a : port_b;
  const uint16_t other = holder == port_a ? port_b : port_a;
  const std::string path = "/v1/citizens/" + citizen_ssin + "/studentBalance?year=2025";
  EXPECT_EQ(status_and_location("GET", "http://127.0.0.1:" + std::to_string(other) + path, citizen_token, "", dir),
            "307 http://127.0.0.1:" + std::to_string(holder) + path);
  EXPECT_EQ(status_and_location("GET", "http://127.0.0.1:" + std::to_string(holder) + path, citizen_token, "", dir).substr(0, 3),
            "200");
  const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + citizen_ssin +
                         R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},)"
                         R"("startDate":"2026-07-01","endDate":"2026-07-02","plannedHoursNumber":8}})";
  EXPECT_EQ(status_and_location("POST", "http://127.0.0.1:" + std::to_string(other) + "/v1/declarations", declarant_token, in, dir),
            "307 http://127.0.0.1:" + std::to_string(holder) + "/v1/declarations");
  // An UPDATE names only its period: the other member finds the period's partition in the
  // directory and redirects it too (without the directory it decided "unknown period" itself).
  std::smatch period;
  const std::string all_lines = read_file(dir.file("lines.ndjson"));
  ASSERT_TRUE(std::regex_search(all_lines, period, std::regex(R"re("ssin":")re" + citizen_ssin +
                                                              R"re("\},"dimonaIn":\{[^
]*"periodId":([0-9]{12}))re")));
  const std::string update = R"({"dimonaUpdate":{"periodId":)" + period[1].str() + R"(,"plannedHoursNumber":3}})";
  EXPECT_EQ(status_and_location("POST", "http://127.0.0.1:" + std::to_string(other) + "/v1/declarations", declarant_token, update, dir),
            "307 http://127.0.0.1:" + std::to_string(holder) + "/v1/declarations");
  // Every record once, each decision as one process made it: the same export, byte for byte
  // (a reader, read while both still serve: it takes no writer).
  std::filesystem::create_directories(dir.file("reader"));
  Invocation got = run_shell(kCli + " export --data " + dir.file("reader") + " --secret-file " + key + " --log " + mock.uri("ev"), dir);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(split_lines(got.out).size(), split_lines(want.out).size());
  if (got.out != want.out) {
    std::ofstream(dir.file("got.ndjson")) << got.out;
    std::ofstream(dir.file("want.ndjson")) << want.out;
    ADD_FAILURE() << "the two members' export differs from one process's:\n"
                  << run_shell("diff " + dir.file("want.ndjson") + " " + dir.file("got.ndjson") + " | head -8 | cut -c1-400", dir).out;
  }

  // Employer-wide views across owners (docs/kafka.md section 10, "Employer-wide views").
  const std::string base_a = "http://127.0.0.1:" + std::to_string(port_a), base_b = "http://127.0.0.1:" + std::to_string(port_b);
  const uint16_t holder_of_0 = held_a.find('0') != std::string::npos ? port_a : port_b;
  const uint16_t other_of_0 = holder_of_0 == port_a ? port_b : port_a;
  Invocation employer = run_shell(kCli + " token --role employer --enterprise-number 0403019261 --data " + dir.file("a"), dir);
  Invocation auditor = run_shell(kCli + " token --role auditor --data " + dir.file("a"), dir);
  ASSERT_EQ(employer.exit_code, 0) << employer.err;
  ASSERT_EQ(auditor.exit_code, 0) << auditor.err;
  const std::string employer_token = split_lines(employer.out).at(0), auditor_token = split_lines(auditor.out).at(0);
  // A declaration's ledger-given id says its partition: asked of the other member, 307 to its owner.
  std::string declaration;
  const std::regex dcl(R"re("declarationId":"([0-9]{12})")re");
  for (auto it = std::sregex_iterator(want.out.begin(), want.out.end(), dcl); it != std::sregex_iterator() && declaration.empty(); ++it)
    if (ledger_id_partition(std::stoull((*it)[1].str()), kPartitions) == std::optional<uint32_t>(1)) declaration = (*it)[1].str();
  ASSERT_FALSE(declaration.empty()) << "no declaration of partition 1 in the export";
  EXPECT_EQ(status_and_location("GET", "http://127.0.0.1:" + std::to_string(other) + "/v1/declarations/" + declaration, auditor_token, "", dir),
            "307 http://127.0.0.1:" + std::to_string(holder) + "/v1/declarations/" + declaration);
  EXPECT_EQ(status_and_location("GET", "http://127.0.0.1:" + std::to_string(holder) + "/v1/declarations/" + declaration, auditor_token, "", dir)
                .substr(0, 3), "200");
  // Employer settings live in partition 0: 307 to its owner.
  const std::string settings = "/v1/employers/0403019261/settings";
  EXPECT_EQ(status_and_location("GET", "http://127.0.0.1:" + std::to_string(other_of_0) + settings, employer_token, "", dir),
            "307 http://127.0.0.1:" + std::to_string(holder_of_0) + settings);
  // Three data-access requests (written by their partition's owner: the client follows the 307);
  // the employer's list asked of either member is the same, all three, newest first.
  std::vector<std::string> requests;
  for (int i = 0; i < 3; ++i) {
    std::ofstream(dir.file("request.json")) << R"({"employer":{"enterpriseNumber":"0403019261"},"dataAccessRequest":{"scope":"FLEXI","channel":"LINK"}})";
    Invocation posted = run_shell("curl -s -L --location-trusted -X POST -H 'Authorization: Bearer " + employer_token +
                                      "' -H 'Content-Type: application/json' --data-binary @" + dir.file("request.json") + " " +
                                      base_a + "/v1/actions", dir);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(posted.out, m, std::regex(R"re("actionId":"([0-9]{12})")re"))) << posted.out;
    requests.push_back(m[1].str());
  }
  auto body_of = [&](const std::string& url, const std::string& token) {
    return run_shell("curl -s -w ' %{http_code}' -H 'Authorization: Bearer " + token + "' '" + url + "'", dir).out;
  };
  const std::string list_a = body_of(base_a + "/v1/dataAccessRequests", employer_token);
  const std::string list_b = body_of(base_b + "/v1/dataAccessRequests", employer_token);
  EXPECT_EQ(list_a, list_b);
  EXPECT_NE(list_a.find("\"total\":3,\"page\":1,"), std::string::npos) << list_a;
  const size_t newest = list_a.find(requests[2]), middle = list_a.find(requests[1]), oldest = list_a.find(requests[0]);
  EXPECT_TRUE(newest < middle && middle < oldest && oldest != std::string::npos) << list_a;
  EXPECT_EQ(list_a.substr(list_a.size() - 3), "200");
  // Paged across owners as one process pages: the second page of two.
  const std::string page_a = body_of(base_a + "/v1/dataAccessRequests?page=2&pageSize=2", employer_token);
  EXPECT_EQ(page_a, body_of(base_b + "/v1/dataAccessRequests?page=2&pageSize=2", employer_token));
  EXPECT_NE(page_a.find(requests[0]), std::string::npos) << page_a;
  EXPECT_EQ(page_a.find(requests[1]), std::string::npos) << page_a;
  // An auditor's career-break overview of the employer, the same from either member.
  EXPECT_EQ(body_of(base_a + "/v1/careerBreakRequests?employer=0403019261", auditor_token),
            body_of(base_b + "/v1/careerBreakRequests?employer=0403019261", auditor_token));
  // An employer's anomalies, every partition's, the same from either member and the same as one
  // reader of the whole log says (the CLI): two refused INs (0 hours) of citizens of two partitions.
  for (const std::string& ssin : {citizen_ssin, std::string("05031412595"), std::string("04070101124")}) {
    std::ofstream(dir.file("refused.json"))
        << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + ssin +
               R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},)"
               R"("startDate":"2026-07-01","endDate":"2026-07-02","plannedHoursNumber":0}})";
    Invocation posted = run_shell("curl -s -L --location-trusted -X POST -H 'Authorization: Bearer " + declarant_token +
                                      "' -H 'Content-Type: application/json' --data-binary @" +
                                      dir.file("refused.json") + " " + base_a + "/v1/declarations",
                                  dir);
    EXPECT_NE(posted.out.find("\"result\":\"B\""), std::string::npos) << posted.out;
  }
  const std::string anomalies = body_of(base_a + "/v1/employers/0403019261/anomalies?pageSize=500", auditor_token);
  EXPECT_EQ(anomalies, body_of(base_b + "/v1/employers/0403019261/anomalies?pageSize=500", auditor_token));
  EXPECT_EQ(anomalies.substr(anomalies.size() - 3), "200") << anomalies;
  Invocation cli_anomalies = run_shell(kCli + " anomalies --employer 0403019261 --data " + dir.file("reader") +
                                           " --secret-file " + key + " --log " + mock.uri("ev"),
                                       dir);
  ASSERT_EQ(cli_anomalies.exit_code, 0) << cli_anomalies.err;
  EXPECT_GE(split_lines(cli_anomalies.out).size(), 3u);
  EXPECT_NE(anomalies.find("\"total\":" + std::to_string(split_lines(cli_anomalies.out).size()) + ","),
            std::string::npos)
      << anomalies << "\n"
      << cli_anomalies.out;
  // A request's QR code from either member: the one that does not hold it asks the other.
  for (const std::string& base : {base_a, base_b})
    EXPECT_EQ(status_and_location("GET", base + "/v1/dataAccessRequests/" + requests[0] + "/qr", employer_token, "", dir), "200 ")
        << base;
  EXPECT_EQ(a.stop(SIGTERM), 0);
  EXPECT_EQ(b.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace dimona
