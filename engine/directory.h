// Directory: the log's table of the facts that cross partitions (issue 11,
// item 2) — where a period, request, ticket or notification lives, what a
// data-access token names, whether its request was answered, an employer's
// notification setting — kept in the log's keyed table "directory"
// (keyed_table.h: a compacted topic TOPIC.directory on Kafka, the memory
// log's own table) on a log that may have several writers (Log::has_groups;
// the embedded log has one and keeps none).
//
// Contract. rows_of() says which rows an accepted event makes known: every
// period, request, ticket or notification id ("id/ID" -> its partition:
// the row says the subject exists, which an id's arithmetic cannot), a
// request's token ("token/TOKEN" -> partition, request id, employer, scope,
// channel), an answered request ("answered/ID" -> the answer's partition),
// an employer's settings ("settings/EMPLOYER" -> "1" or "0", whether it
// accepts notifications). The writer puts a commit group's rows once its
// events are durable and before it answers them (Ledger), so a submission
// sent after that answer finds them from any process. Reads are look-ups
// by key; a row that does not read back is kCorruption, a table that
// cannot be reached kUnavailable. Settings change, so settings() reads the
// current row (refresh first); the other rows never change once written.
// A writer holding every partition never reads the directory: its state is
// the whole ledger (RemoteFacts, remote_facts.h). Without transactions
// across processes, two members accepting the same imported id, or the same
// token's answer, within one commit group of each other both succeed: the
// directory narrows that window to a commit, it does not close it
// (docs/kafka.md section 8, "The directory"). Thread-safe: one mutex around its one table
// object, so the writer's look-ups and its committer's puts share one copy
// of the table (on Kafka the table object holds the whole table in memory).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/action_state.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/log/keyed_table.h"

namespace dimona {

class LedgerState;

class Directory {
 public:
  static constexpr std::string_view kTable = "directory";

  explicit Directory(std::unique_ptr<KeyedTable> table);

  // Appends the rows `event` (folded into `partition`) makes known to the others.
  static void rows_of(const Event& event, uint32_t partition, std::vector<KeyedTable::Row>* rows);
  // Appends the rows of every event folded into `state` (partition `partition`'s), one per key,
  // each with its latest value: what rows_of() over those events gives once a later row of a key
  // replaces an earlier one. A writer started from a state it did not fold (a seed) reconciles
  // the directory with these (Ledger).
  static void rows_of_state(const LedgerState& state, uint32_t partition, std::vector<KeyedTable::Row>* rows);

  // Durable when ok.
  Status put(std::span<const KeyedTable::Row> rows);
  // The rows of `rows` (in the order given; a later row of a key wins) whose
  // latest value the directory does not hold, one per key: what a fold puts
  // again. Reads the whole table once.
  Result<std::vector<KeyedTable::Row>> lacking(std::span<const KeyedTable::Row> rows);
  // The partition of a period, request, ticket or notification id; nullopt when no partition has it.
  Result<std::optional<uint32_t>> partition_of(uint64_t id);
  // The request a token names, and the partition it lives in.
  struct TokenRow {
    uint32_t partition = 0;
    DataAccessRequest request;
  };
  Result<std::optional<TokenRow>> token(AccessToken token);
  // True when some partition holds an answer to the request.
  Result<bool> answered(uint64_t request_id);
  // The employer's settings as the directory knows them now (accepts_notifications only).
  Result<std::optional<EmployerSettings>> settings(uint64_t employer);

 private:
  Result<std::optional<std::string>> get(const std::string& key);  // mutex_ held
  std::mutex mutex_;
  std::unique_ptr<KeyedTable> table_;
};

}  // namespace dimona
