// LedgerConfig: where a ledger lives and how it is opened, for the one
// composition root (ledger_root.h) that the command line and the server
// share. A value; no command-line type: the CLI's CommonOptions is this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/limits.h"
#include "engine/base/time.h"

namespace dimona::api {

struct LedgerConfig {
  std::string data_dir = "dimona-data";  // holds ledger.db, checkpoint.db, writer.lock
  // The event log's URI (--log, env DIMONA_LOG): sqlite:PATH, kafka://HOST:PORT/TOPIC,
  // memory:NAME (tests). Empty: sqlite:DATA/ledger.db. Checkpoints and the secret stay in data_dir.
  std::string log_uri;
  std::string quota_path;                // empty: schemas/quota.json
  uint32_t partitions = 0;               // at creation; 0: the default
  std::string secret_file;               // empty: DATA/secret.key (secret.h)
  int64_t recorded_at_skew_seconds = -1; // how far ahead of the clock a recordedAt may be; -1: the limit's default
  size_t keep_checkpoints = limits::checkpoints_kept_default;  // checkpoint.db keeps this many (ProjectorOptions)
  // Reads only (--as-of, docs/audit.md): the read side is the state a replay of the events
  // recorded by then gives (ProjectorOptions::as_of); nullopt: the log's end.
  std::optional<Instant> as_of;
  // A local copy of a Kafka log's records for reads by offset (engine/log/reader_cache.h): the
  // file's path, or empty for none. serve keeps DATA/reader-cache.db (--no-reader-cache: none);
  // the embedded log ignores it (it is local already).
  std::string reader_cache_path;
};

}  // namespace dimona::api
