// Every limit of the engine, named once, units last.
//
// Contract. Code refers to these names, never to the literals; the
// static_asserts below state how the limits relate. Changing one is a design
// decision: say why in the commit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dimona::limits {

// --- Declarations ---------------------------------------------------------------
// A declaration line longer than this is refused without being parsed.
inline constexpr size_t declaration_bytes_max = 64 * 1024;
// Dimona's domain for PlannedHoursNbr (zone 01135).
inline constexpr uint32_t planned_hours_min = 1;
inline constexpr uint32_t planned_hours_max = 999;
// A quota table (--quota, schemas/quota.json) larger than this is refused unread.
inline constexpr size_t quota_table_bytes_max = 1024 * 1024;
// Free-text fields (names, streets) longer than this are refused.
inline constexpr size_t text_field_bytes_max = 512;
// An imported recordedAt further than this ahead of the clock is refused: ledger
// time never goes back, so one line from 2099 would hold it there for good.
// The default of the writer's setting (--recorded-at-skew).
inline constexpr int64_t recorded_at_future_skew_seconds = 24 * 60 * 60;
// The years a read may name (?year, a quarter, asOf and validOn): the views' years, quarters
// and calendars around them stay four-digit years.
inline constexpr int32_t read_year_min = 2000;
inline constexpr int32_t read_year_max = 2099;

// --- Actions (docs/actions.md) ------------------------------------------------------
// An occupation fraction above this (of the sector's full-time reference) is refused.
inline constexpr double occupation_fraction_max = 1.5;
// A quarter's gross wage (occupationQuarter.grossWage) above this many euros is refused.
inline constexpr int64_t quarterly_gross_wage_euros_max = 1'000'000;
// The student's detail view shows the wages of this many quarters (seed 001).
inline constexpr int32_t wage_quarters_shown = 4;
// An attestation's message stays in the citizen's inbox this many months (seed 001: the eBox).
inline constexpr int32_t inbox_message_kept_months = 2;
// An e-mail address an overview is sent to (interimOverviewSend.email): RFC 5321's path limit.
inline constexpr size_t email_address_bytes_max = 254;
// A consultation's scope (dataConsultation.scope: the view read) is at most this long.
inline constexpr size_t consultation_scope_chars_max = 64;
// Consent lasts this many months (seed 003).
inline constexpr int32_t consent_flexi_months = 1;
inline constexpr int32_t consent_student_balance_months = 3;
// An access code is valid from the first day of its month for this many months (seed 001).
inline constexpr int32_t access_code_valid_months = 3;
// The employer's career-break overview covers this many years back (seed 004).
inline constexpr int32_t career_break_overview_years = 2;
// Flexi-jobs (rule 13): the occupation at other employers in T-3, in thousandths
// of a full-time job; the first quarter (year * 4 + q - 1) the pensioner route
// and the no-reduction condition apply to.
inline constexpr uint16_t flexi_occupation_min_permille = 800;
inline constexpr int32_t flexi_pensioner_route_from_quarter = 2018 * 4;
inline constexpr int32_t flexi_reduction_check_from_quarter = 2024 * 4;
// Zone 00910: a FLX IN may be sent at the earliest this many days before the
// first day of its quarter (2025-Q2: from 2025-03-01); earlier is 00910-008.
inline constexpr int32_t flexi_send_window_days = 31;
// Zone 00910: an article 17 IN (O17, S17, T17) is sent at most this many days before its start.
inline constexpr int32_t article17_lead_days = 15;
// The INs and UPDATEs one ledger state numbers in processing order (Period::processed, rule 8);
// a checkpoint whose period claims a higher place is corrupt, and the fold past it stops there.
inline constexpr uint32_t period_changes_max = (uint32_t{1} << 31) - 1;
// A worker's family or given name as the ledger keeps it (for the student's
// attestation): longer names are cut at a UTF-8 character boundary.
inline constexpr size_t worker_name_bytes_max = 64;
// An interim user company given by name (zone 00153, usingEmployer.name) as
// the ledger keeps it for the interim views: cut the same way.
inline constexpr size_t user_company_name_bytes_max = 120;
// Interim@work (rule 14): daily contracts of one (agency, user company) stay
// one work relation across gaps of at most this many days without a contract
// (a weekend, or a long weekend); a longer gap starts a new relation. An
// inference (DOMAIN.md §4, rule 14), kept as a parameter: InterimFilter::relation_gap_days.
inline constexpr int32_t interim_relation_gap_days = 3;
// Attachments kept per career-break request or notification.
inline constexpr size_t career_break_attachments_max = 64;

// --- Employer reference (the KBO/BCE register, docs/employers.md) ----------------------
// A denomination longer than this is skipped (the register's longest are ~300 bytes).
inline constexpr size_t denomination_bytes_max = 512;
// A register line longer than this is skipped without being split.
inline constexpr size_t register_line_bytes_max = 4096;
// Bytes read from an extract's file at a time.
inline constexpr size_t register_read_bytes = 4 * 1024 * 1024;
// Line numbers an import names per skip reason (the count covers them all).
inline constexpr size_t register_skipped_lines_reported_max = 5;
// Rows inserted between two progress reports of an import.
inline constexpr uint64_t register_progress_rows = 64 * 1024;
// `serve` looks at most this often whether the reference's file changed (an import), and
// reopens it when it did: one stat() a second, and an import is seen within a second.
inline constexpr int64_t employer_register_recheck_ms = 1000;
// Names a register keeps after looking them up (about 100 B each), in shards of one lock each:
// a response names its employers several times, from every I/O thread.
inline constexpr size_t employer_register_cached_names = 64 * 1024;
inline constexpr size_t employer_register_cache_shards = 16;

// --- Event log ------------------------------------------------------------------
inline constexpr uint32_t partitions_default = 16;
inline constexpr uint32_t partitions_max = 1024;
// One record batch: at most this many events and payload bytes.
inline constexpr uint32_t batch_events_max = 1 << 16;
inline constexpr size_t batch_payload_bytes_max = 32 * 1024 * 1024;
// The embedded log's writer closes a batch once its frames would pass this many bytes (before
// compression; a batch holds at least one record). About LZ4's 64 KiB window, so compression
// loses little against bigger batches, while a read by offset (one citizen's events, issue 12;
// docs/log-format.md) reads, checks and decompresses at most about this much per record it
// wants, not a whole commit group's batch. Readers accept any batch within the maxima above.
inline constexpr size_t sqlite_batch_bytes_target = 64 * 1024;
// And keeps a batch's stored (compressed) bytes within this: a row whose record passes SQLite's
// local payload limit (16 422 bytes in version 2's WITHOUT ROWID table of 64 KiB pages, 16 349 in
// version 3's rowid table of 16 KiB pages) spills to an overflow page of its own (a log 3.3x
// bigger, measured), and a read by offset then reads two pages.
inline constexpr size_t sqlite_batch_stored_bytes_max = 16'000;
// Within such a batch (log format version 3, codec 2), the frames are compressed in blocks of
// about this many bytes, each a block of its own after the first, with the first as its LZ4
// dictionary: a read by offset decompresses the first block and the record's, ~8 KiB, instead
// of half the batch (docs/log-format.md "Blocks"); the dictionary keeps the ratio near one block's.
inline constexpr size_t sqlite_block_bytes_target = 4 * 1024;
// The most blocks a stored batch may have (a block holds at least one record).
inline constexpr size_t batch_blocks_max = 4096;
// An encoded event never exceeds this (a declaration plus its envelope and result).
inline constexpr size_t event_bytes_max = declaration_bytes_max + 4096;
// Digits of an integer the replay's event reader (engine/event_reader.h) reads itself: 18 never
// overflow an int64; a longer one goes to the full decoder.
inline constexpr size_t replay_integer_digits_max = 18;
// Records past a shared writer seed's offsets a writer reads to see that they are fences and
// no events (Ledger, WriterSeed::Partition::shared): a writer's open appends one per partition;
// a longer tail means the read side is behind, and the writer keeps states of its own.
inline constexpr uint64_t shared_seed_tail_records_max = 64;
// Duplicate event ids a log check names (the count covers them all).
inline constexpr size_t duplicate_ids_reported_max = 10;
// Bytes a partition's checkpoint reserves before it is written, at most (Projector::encode's
// room, a guess from the last one; reserved pages stay untouched until written): SQLite's
// default blob limit, past which no partition's checkpoint can be written anyway.
inline constexpr size_t checkpoint_partition_room_max = 1'000'000'000;
// Ids' hashes a duplicate check (DuplicateEventCheck) keeps in memory per partition before it
// writes them to its temporary file, and reads back at a time when it merges them: 8 Ki
// hashes, 64 KiB, 1 MiB for 16 partitions, whatever the log's size.
inline constexpr size_t duplicate_check_buffer_hashes = size_t{1} << 13;
// How long a writer waits for SQLite's lock before reporting busy.
inline constexpr int sqlite_busy_timeout_ms = 10'000;

// --- Log seam and Kafka (engine/log/log.h) -------------------------------------------
// Event ids a producer session remembers to skip a repeated append (its idempotence window):
// one whole append (log_append_records_max), so a retry of the same batch is always covered.
// More costs every writer memory per partition (a 1 Mi window: ~180 MB over 16 partitions
// on a million-event ingest) for retries no writer makes: the Ledger resumes by source position.
inline constexpr size_t log_producer_event_ids_remembered = 1 << 16;
// Records one append() may carry, and their payload bytes together.
inline constexpr size_t log_append_records_max = 1 << 16;
inline constexpr size_t log_append_bytes_max = 32 * 1024 * 1024;
// Records one poll() returns at most (the caller may ask fewer).
inline constexpr size_t log_poll_records_max = 1 << 16;
// A read to a known offset fails (kUnavailable) when the log delivers nothing for this long.
inline constexpr int log_read_stall_ms = 30'000;
// Records asked of one poll by the readers that fold or scan a partition.
inline constexpr size_t log_read_chunk_records = 4096;
// An embedded read of at most this many records, ending before its batch does, decodes
// only them (a read by offset: log_frames::decode_batch_window); a longer read takes the whole batch.
inline constexpr size_t log_window_records_max = 512;
// A record's source position (LogRecordDraft::source), in bytes.
inline constexpr size_t log_source_bytes_max = 256;
// The embedded log (sqlite:): a waiting poll() re-checks the file this often for
// commits of other processes (PRAGMA data_version; in-process appends wake it at once).
inline constexpr int sqlite_log_poll_recheck_ms = 50;
// A broker must acknowledge a produced record within this (librdkafka delivery.timeout.ms).
inline constexpr int kafka_delivery_timeout_ms = 30'000;
// Metadata, CreateTopics, watermark and offsetsForTimes requests wait this long.
inline constexpr int kafka_request_timeout_ms = 10'000;
// librdkafka's batch to a broker: records and bytes (batch.num.messages, batch.size).
inline constexpr int kafka_batch_records_max = 10'000;
inline constexpr int kafka_batch_bytes_max = 1024 * 1024;
// How long a produced record may wait for its batch to fill (linger.ms).
inline constexpr int kafka_linger_ms = 5;
// librdkafka's local produce queue (queue.buffering.max.messages / .kbytes).
inline constexpr int kafka_queue_records_max = 1 << 20;
inline constexpr int kafka_queue_kbytes_max = 1024 * 1024;
// A Kafka consumer following a partition's tail has a fetch at its end held by the
// broker this long waiting for new records (fetch.wait.max.ms): fewer empty answers.
inline constexpr int kafka_tail_fetch_wait_ms = 100;
// The same for a reader at chosen offsets (Log::open_reader()): every seek or
// watermark query after its read waits behind such a held fetch.
inline constexpr int kafka_reader_fetch_wait_ms = 1;
// Messages a consumer's poll takes off its queue at once (already fetched; one lock of the queue a batch).
inline constexpr size_t kafka_consume_batch_messages = 256;
// A fetch asks at most this much per partition and per request (max.partition.fetch.bytes, fetch.max.bytes).
inline constexpr int kafka_fetch_partition_bytes_max = 1024 * 1024;
inline constexpr int kafka_fetch_bytes_max = 50 * 1024 * 1024;
// seek_to_instant reads one record per probe of its binary search when the broker
// does not answer offsetsForTimes (the mock cluster); each probe waits this long.
inline constexpr int kafka_probe_timeout_ms = 5'000;
// How long a closed consumer is left before it is destroyed (kafka_client.h
// HandleDeleter: the coordinator's disconnect settles first; librdkafka #3608).
inline constexpr int kafka_consumer_close_settle_ms = 20;
// A consumer group's id and a member's name (group.h), in bytes.
inline constexpr size_t group_name_bytes_max = 200;
// A Kafka group member heartbeats this many times per session timeout
// (heartbeat.interval.ms = session.timeout.ms / this; Kafka's advice: at least 3).
inline constexpr int group_heartbeats_per_session = 3;
// serve --group: how long open() waits for the group's first share (the mock cluster
// holds a group's first join 3 s), and how often the membership thread polls.
inline constexpr int group_first_assignment_ms = 60'000;
inline constexpr int group_poll_ms = 100;
// serve --group: how long a member answers redirects from the owners table as it last
// read it (on Kafka each read asks the broker for the table's end offset). A partition
// that moved meanwhile is redirected to its old owner, which redirects again or answers
// 503; a cached owner that is this member itself is read again at once.
inline constexpr int group_owners_cache_ms = 1000;
// serve --group: after the owners table could not be read (the cluster unreachable: a read waits
// up to kafka_request_timeout_ms and log_read_stall_ms), requests for a partition held elsewhere
// are answered 503 at once for this long, and while one read is under way, rather than each
// holding a request thread for the read (two such requests left a member answering nothing).
inline constexpr int group_owners_retry_ms = 5000;
// Keyed tables (keyed_table.h): a table's name, a key and a value, in bytes.
inline constexpr size_t keyed_table_name_bytes_max = 64;
inline constexpr size_t keyed_table_key_bytes_max = 128;
inline constexpr size_t keyed_table_value_bytes_max = 1024;

// --- Prewarming (engine/base/prewarm.h) ----------------------------------------------
// serve reads the embedded log once into the page cache after its partitions are loaded, this
// much at a time, at most the memory available then less prewarm_keep_available_bytes.
inline constexpr size_t prewarm_chunk_bytes = 1 << 20;
inline constexpr uint64_t prewarm_keep_available_bytes = uint64_t{2} << 30;

// --- Reader cache (engine/log/reader_cache.h) ---------------------------------------
// A cached record's key is partition << reader_cache_offset_bits | offset: offsets below 2^40
// (a partition's first trillion records) and partitions below 2^(63-40) fit one SQLite rowid.
inline constexpr int reader_cache_offset_bits = 40;
inline constexpr uint64_t reader_cache_offsets_max = uint64_t{1} << reader_cache_offset_bits;
inline constexpr uint32_t reader_cache_partitions_max = 1u << 20;
// The mirror polls up to this many records at a time (one SQLite transaction each) and waits
// this long for the first; after a failure (the log unreachable) it tries again after retry_ms.
inline constexpr size_t reader_cache_poll_records = 4096;
inline constexpr int reader_cache_poll_ms = 100;
inline constexpr int reader_cache_retry_ms = 1000;

// --- A citizen's history (projections/citizen_index.h, citizen_history.h) ----------------
// A citizen index stores each offset difference as a LEB128 varint: a uint64_t takes at most this many bytes.
inline constexpr size_t citizen_index_varint_bytes_max = 10;
// Events of one citizen a history reads from the log at a time (one consumer, runs
// of consecutive offsets per read): bounds the memory of the CLI's whole history.
inline constexpr size_t citizen_history_read_events = 1024;
// Records of other citizens a read by offsets (LogConsumer::read_at's default: Kafka, memory)
// reads through rather than seek past them: a seek costs a Kafka fetch round trip (about 100 ms
// measured on the mock cluster); 256 records of ~600 bytes cost far less. The embedded log reads
// only the batches holding the offsets wanted.
inline constexpr uint64_t citizen_history_gap_records = 256;

// --- Ingest ---------------------------------------------------------------------
// Declarations decided between two durable commits (one SQLite transaction,
// one fsync). Larger groups amortise the fsync; smaller ones lose less work
// to a crash (nothing is lost: an interrupted ingest resumes after its last commit).
inline constexpr uint32_t ingest_commit_declarations = 16 * 1024;
// Bytes read from the input at a time.
inline constexpr size_t ingest_read_bytes = 8 * 1024 * 1024;
// The resume fingerprint covers at most this much of the start of a file.
inline constexpr size_t source_fingerprint_bytes = 1024 * 1024;
// Progress is redrawn at most this often on a terminal.
inline constexpr int progress_interval_ms = 200;
// Input topic (engine/log/input_topic.h, docs/kafka.md "Input topic"): a record
// value longer than this is refused (reported and skipped) like an over-long line.
inline constexpr size_t input_record_bytes_max = declaration_bytes_max;
// An ingest that follows a topic makes what it staged durable at least this often,
// so a trickle of records is stored promptly.
inline constexpr int ingest_follow_commit_ms = 200;
// One poll of the input topic waits at most this long (and a stop request is seen within it).
inline constexpr int input_poll_timeout_ms = 100;
// Records asked of one poll of the input topic.
inline constexpr size_t input_poll_records = 1024;
// `serve --input`: records handed to the writer and not yet answered, at most
// (below http_limits::write_queue_max, so the REST API keeps room in the queue).
inline constexpr size_t input_in_flight_max = 1024;
// `serve --input`: after a record answered unavailable or a read error, wait this long before reading again.
inline constexpr int input_retry_backoff_ms = 1000;

// --- Outbox relay (projections/outbox.h) ---------------------------------------------
// Messages one append() to an outbox partition carries at most.
inline constexpr size_t outbox_append_messages_max = 4096;
// One poll of the events log waits this long; a relay that follows looks at its stop this often.
inline constexpr int outbox_poll_timeout_ms = 200;
// serve --outbox: a relay that failed (a broker away, a full disk) starts again after this pause.
inline constexpr int outbox_restart_ms = 5'000;
static_assert(outbox_append_messages_max <= log_append_records_max, "one outbox batch is one append");

// --- Checkpoints and audit (projections/checkpoint_store.h, docs/audit.md) ----------
// Checkpoints a data folder keeps by default (--keep-checkpoints): the starting
// points of `audit rebuild --as-of`, spread over the ledger's time; and at most.
inline constexpr size_t checkpoints_kept_default = 8;
inline constexpr size_t checkpoints_kept_max = 1024;
// States rebuilt at an instant (?asOf) a server keeps for the next reads of the same instant.
inline constexpr size_t as_of_states_cached = 4;
// Idle log consumers kept for one citizen's past reads (api/past_states.h): about the readers at once.
inline constexpr size_t as_of_citizen_readers_kept = 8;
// A read model's name in a checkpoint section (projections/read_model.h).
inline constexpr size_t read_model_name_bytes_max = 32;
// Read models in one partition's checkpoint bytes (a loader refuses a count past it).
inline constexpr uint32_t read_models_max = 64;
// Serve at once (projections/projector.h): events past a partition's checkpoint that a citizen's
// read indexes before the partition is loaded (decoded once for the partition's readers, about
// 0.2 s for this many); a longer tail leaves the partition's readers to wait for its load.
inline constexpr uint64_t loading_citizen_tail_events_max = 100'000;
// Instants remembered per kept state (answered without asking the log where each partition ends).
inline constexpr size_t as_of_instants_per_state = 64;

static_assert(log_producer_event_ids_remembered >= log_append_records_max,
              "a producer session remembers at least one whole append (a retry of it)");
static_assert(ingest_commit_declarations < log_append_records_max,
              "one commit group must fit in one append per partition");
static_assert(ingest_commit_declarations <= batch_events_max,
              "one commit group must fit in one record batch per partition");
static_assert(event_bytes_max < batch_payload_bytes_max, "a batch holds at least one event");
static_assert(declaration_bytes_max <= ingest_read_bytes, "a read holds at least one whole line");
static_assert(partitions_default <= partitions_max);
static_assert(input_poll_timeout_ms < ingest_follow_commit_ms, "a poll never delays a follow commit much");
static_assert(input_record_bytes_max <= static_cast<size_t>(kafka_fetch_partition_bytes_max),
              "a fetch holds at least one acceptable record");
static_assert(event_bytes_max <= log_append_bytes_max, "an append holds at least one event");
static_assert(event_bytes_max <= static_cast<size_t>(kafka_batch_bytes_max),
              "a Kafka batch holds at least one event");
static_assert(kafka_linger_ms < kafka_delivery_timeout_ms);
static_assert(log_append_records_max <= static_cast<size_t>(kafka_queue_records_max),
              "one append fits in librdkafka's queue");
static_assert(citizen_history_read_events <= log_read_chunk_records, "one history read is at most one poll");
static_assert(citizen_history_gap_records <= log_read_chunk_records, "a gap read through is at most one poll");
static_assert(citizen_index_varint_bytes_max * 7 >= 64, "a varint holds every offset");
static_assert(denomination_bytes_max < register_line_bytes_max && register_line_bytes_max <= register_read_bytes,
              "a denomination fits in a line, a line in a read");

}  // namespace dimona::limits
