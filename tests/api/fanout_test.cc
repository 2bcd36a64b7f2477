// The pieces of the employer-wide views across a serve group's members (api/fanout.h,
// api/http_client.h): the merge of collections, the page rewrite, the worker pool, and the
// client's refusals and deadline. The routes across two members: cli_group_test.cc.
#include "api/fanout.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>

#include "api/http_client.h"

namespace dimona::api {
namespace {

std::string request(const std::string& id, const std::string& at) {
  return R"({"requestId":")" + id + R"(","scope":"FLEXI","requestedAt":")" + at + R"("})";
}

TEST(Fanout, MergedItemsKeepTheHoldersCopyOnceInTheSingleProcessOrder) {
  const std::string a1 = request("700000000001", "2026-01-01T10:00:00Z");
  const std::string a2 = request("700000000002", "2026-01-02T10:00:00.5Z");
  const std::string b2 = request("700000000002", "2025-01-01T00:00:00Z");  // a stale copy of 2
  const std::string b3 = request("700000000003", "2026-01-02T10:00:00.5Z");  // same instant as 2: by id
  const std::vector<CollectionPart> parts = {{0, "{\"items\":[" + a1 + "," + a2 + "],\"total\":2}"},
                                             {1, "{\"items\":[" + b2 + "," + b3 + "],\"total\":2}"}};
  const auto keep = [](size_t part, uint64_t id) { return id == 2 ? part == 0 : true; };
  const Result<std::vector<std::string>> got =
      merged_items(parts, ItemKeys{"items", "requestId", "requestedAt", {}, false}, keep);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(*got, (std::vector<std::string>{a2, b3, a1}));
  // The first of an id when keep takes both.
  const Result<std::vector<std::string>> first = merged_items(
      parts, ItemKeys{"items", "requestId", "requestedAt", {}, false}, [](size_t, uint64_t) { return true; });
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(*first, (std::vector<std::string>{a2, b3, a1}));
}

TEST(Fanout, MergedAnomaliesAreOldestFirstAndTakeAnActionsIdToo) {
  const std::string d1 =
      R"({"declarationId":"700000000016","kind":"IN","result":"B","recordedAt":"2025-03-01T00:00:00Z"})";
  const std::string a2 =
      R"({"actionId":"700000000017","action":"consentGrant","result":"B","recordedAt":"2025-02-01T00:00:00Z"})";
  const std::string d3 =
      R"({"declarationId":"700000000018","kind":"OUT","result":"W","recordedAt":"2025-03-01T00:00:00Z"})";
  const ItemKeys keys{"items", "declarationId", "recordedAt", "actionId", /*oldest_first=*/true};
  const Result<std::vector<std::string>> got = merged_items(
      {{0, "{\"items\":[" + d3 + "],\"total\":1}"}, {1, "{\"items\":[" + d1 + "," + a2 + "],\"total\":2}"}}, keys,
      [](size_t, uint64_t) { return true; });
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(*got, (std::vector<std::string>{a2, d1, d3}));
  // Neither id: not a collection of these items.
  EXPECT_FALSE(
      merged_items({{0, R"({"items":[{"recordedAt":"2025-03-01T00:00:00Z"}],"total":1})"}}, keys, [](size_t, uint64_t) {
        return true;
      }).is_ok());
}

TEST(Fanout, MergedItemsRefuseWhatIsNotACollection) {
  const auto all = [](size_t, uint64_t) { return true; };
  for (const std::string& body : {std::string("not json"), std::string("{\"total\":0}"), std::string("{\"items\":[1]}"),
                                  "{\"items\":[" + request("70000000000x", "2026-01-01T00:00:00Z") + "]}",
                                  "{\"items\":[" + request("700000000001", "yesterday") + "]}"}) {
    const Result<std::vector<std::string>> got =
        merged_items({{0, body}}, ItemKeys{"items", "requestId", "requestedAt", {}, false}, all);
    EXPECT_FALSE(got.is_ok()) << body;
  }
  EXPECT_FALSE(collection_size("{\"items\":[]}", "items").is_ok());
  const Result<CollectionSize> size = collection_size("{\"items\":[{},{}],\"total\":7}", "items");
  ASSERT_TRUE(size.is_ok());
  EXPECT_EQ(size->total, 7u);
  EXPECT_EQ(size->items, 2u);
  const Result<std::string> since = raw_member(R"({"since":"2021-12-03","requests":[]})", "since");
  ASSERT_TRUE(since.is_ok());
  EXPECT_EQ(*since, "\"2021-12-03\"");
  EXPECT_FALSE(raw_member(R"({"requests":[]})", "since").is_ok());
}

TEST(Fanout, WithPageReplacesThePageAndKeepsTheRest) {
  EXPECT_EQ(with_page("/v1/dataAccessRequests", 1, 500), "/v1/dataAccessRequests?page=1&pageSize=500");
  EXPECT_EQ(with_page("/v1/dataAccessRequests?page=3&employer=0403019261&pageSize=2&", 2, 500),
            "/v1/dataAccessRequests?employer=0403019261&page=2&pageSize=500");
  EXPECT_EQ(with_page("/v1/x?pageSizeX=1&page", 4, 10), "/v1/x?pageSizeX=1&page=4&pageSize=10");
}

TEST(Fanout, PoolRunsWhatIsQueuedAndRefusesPastItsQueue) {
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  int accepted = 0;
  {
    FanoutPool pool(1, 2);
    ASSERT_TRUE(pool.post([gate, &ran] { gate.wait(); ++ran; }));  // holds the one worker
    // The queue takes 2 (3 when the worker has already taken the first): then it refuses.
    while (accepted < 4 && pool.post([&ran] { ++ran; })) ++accepted;
    EXPECT_GE(accepted, 1);
    EXPECT_LE(accepted, 2);
    release.set_value();
  }  // the destructor runs what is queued, then joins
  EXPECT_EQ(ran.load(), 1 + accepted);
}

TEST(Fanout, FetchRefusesOtherUrlsAndKeepsItsDeadline) {
  EXPECT_EQ(http_fetch("https://127.0.0.1:1/x", "GET", {}, 100).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(http_fetch("http://127.0.0.1/x", "GET", {}, 100).status().code(), Code::kInvalidArgument);
  // A socket that listens and never answers: kUnavailable once the deadline passes.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/x";
  const auto t0 = std::chrono::steady_clock::now();
  const Result<HttpResponse> silent = http_fetch(url, "GET", {{"Authorization", "Bearer x"}}, 300);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(silent.status().code(), Code::kUnavailable);
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  ::close(fd);
  // Nothing listens there now: refused, at once.
  EXPECT_EQ(http_fetch(url, "GET", {}, 2000).status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace dimona::api
