#!/usr/bin/python3
"""kafka-python (Debian's python3-kafka), a client no one here wrote, for the interop tests.

  consume BOOTSTRAP TOPIC COUNT      prints COUNT records, one per line:
                                     partition TAB offset TAB key TAB value TAB name=value,... (headers)
  produce BOOTSTRAP TOPIC headers|bare KEY...
                                     sends {"n":i} keyed KEY (default partitioner: murmur2, as the
                                     Java client), with the dimona.* headers or without; prints
                                     key TAB partition TAB offset per record
  lines BOOTSTRAP TOPIC FILE [PAUSE_MS]
                                     sends each line of FILE (without its newline) as one keyless,
                                     headerless record, line i to partition i mod the topic's
                                     partitions (an input topic, docs/kafka.md "Input topic");
                                     PAUSE_MS: waits for each acknowledgement, then pauses (a
                                     trickle); prints the count sent
  keyed BOOTSTRAP TOPIC FILE [FROM [TO]]
                                     sends lines FROM..TO-1 (0-based; default all) of FILE, each
                                     as one headerless record keyed by the
                                     worker's SSIN (default partitioner: murmur2, the ledger's),
                                     as a payroll system that knows its workers would: a line
                                     naming only a period id, a career-break ticket or a
                                     notification id takes the SSIN of the line that named it with
                                     its worker earlier in FILE (the lines before FROM included);
                                     a line with neither (an employer's own) goes keyless to
                                     partition 0; waits for every acknowledgement and prints the
                                     count sent
  table BOOTSTRAP TOPIC COUNT [KEY=VALUE...]
                                     a keyed table's topic (docs/kafka.md "Keyed tables"): prints
                                     its first COUNT records, one per line: offset TAB key TAB
                                     =VALUE, or TAB null for a null value (a tombstone); then puts
                                     each KEY=VALUE to partition 0 (KEY= puts a null value) and
                                     prints the count put
Against librdkafka 2.0.2's mock cluster kafka-python's own version probe finds (2, 3, 0) and works;
api_version is given all the same, so that no probe runs (docs/kafka.md, Interop).
Records are LZ4-compressed by the ledger: reading them needs python3-lz4.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

API_VERSION = (2, 3, 0)  # what its probe finds on the mock; given, so no probe runs
TIMEOUT_S = 20


def text(data):
    return "" if data is None else data.decode("utf-8")


def make_producer(bootstrap, **options):
    """A producer of every mode: acknowledged by every replica, no version probe."""
    return KafkaProducer(bootstrap_servers=bootstrap, api_version=API_VERSION, acks="all", **options)


def first_records(bootstrap, topic, partitions, count):
    """Yields the first COUNT records of the topic's PARTITIONS (None: all of them) from the
    beginning, outside any group; exits with a message when fewer come within TIMEOUT_S."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=API_VERSION, enable_auto_commit=False,
                             group_id=None, auto_offset_reset="earliest", consumer_timeout_ms=TIMEOUT_S * 1000)
    if partitions is None:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        if not partitions:
            sys.exit("kafka-python: no partitions for " + topic)
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    consumer.seek_to_beginning()
    seen = 0
    for record in consumer if count > 0 else []:
        yield record
        seen += 1
        if seen == count:
            break
    consumer.close()
    if seen != count:
        sys.exit("kafka-python: read %d records of %d" % (seen, count))


def consume(bootstrap, topic, count):
    for record in first_records(bootstrap, topic, None, count):
        headers = ",".join(name + "=" + text(value) for name, value in record.headers)
        print("\t".join([str(record.partition), str(record.offset), text(record.key), text(record.value), headers]))


def produce(bootstrap, topic, mode, keys):
    producer = make_producer(bootstrap)
    for i, key in enumerate(keys):
        headers = []
        if mode == "headers":
            headers = [("dimona.eventId", ("py-%d" % i).encode()), ("dimona.eventType", b"DeclarationAccepted"),
                       ("dimona.schemaVersion", b"2"), ("dimona.recordedAt", str(1750000000000000 + i).encode()),
                       ("dimona.source", ("kafka-python:%d" % i).encode())]
        future = producer.send(topic, key=key.encode(), value=json.dumps({"n": i}).encode(), headers=headers,
                               timestamp_ms=1750000000000 + i // 1000)
        metadata = future.get(timeout=TIMEOUT_S)
        print("%s\t%d\t%d" % (key, metadata.partition, metadata.offset))
    producer.flush()
    producer.close()


def lines(bootstrap, topic, path, pause_ms):
    producer = make_producer(bootstrap, max_request_size=4 * 1024 * 1024)
    partitions = sorted(producer.partitions_for(topic))
    sent = 0
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            future = producer.send(topic, value=line.rstrip(b"\n"), partition=partitions[i % len(partitions)])
            if pause_ms > 0:
                future.get(timeout=TIMEOUT_S)
                time.sleep(pause_ms / 1000.0)
            sent += 1
    producer.flush()
    producer.close()
    print(sent)


def subject_ids(doc):
    """The ids a line names that a worker's later lines may name alone: a dimona
    period id, a career-break ticket or notification id (as strings)."""
    ids = []
    for value in doc.values():
        if isinstance(value, dict):
            for field in ("periodId", "ticket", "notificationId"):
                if value.get(field) is not None:
                    ids.append(str(value[field]))
    return ids


def keyed(bootstrap, topic, path, first, last):
    producer = make_producer(bootstrap)
    worker_of = {}  # period, ticket or notification id -> the SSIN of the line that named it with its worker
    futures = []
    with open(path, encoding="utf-8") as f:
        for index, raw in enumerate(f):
            line = raw.rstrip("\n")
            key = None
            try:
                doc = json.loads(line)
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                worker = doc.get("worker")
                ssin = worker.get("ssin") if isinstance(worker, dict) else None
                ids = subject_ids(doc)
                if isinstance(ssin, str):
                    key = ssin
                    for subject in ids:
                        worker_of.setdefault(subject, ssin)
                else:
                    key = next((worker_of[i] for i in ids if i in worker_of), None)
            if index < first or (last is not None and index >= last):
                continue
            value = line.encode("utf-8")
            if key is None:
                futures.append(producer.send(topic, value=value, partition=0))
            else:
                futures.append(producer.send(topic, key=key.encode("utf-8"), value=value))
    for future in futures:
        future.get(timeout=TIMEOUT_S)
    producer.flush()
    producer.close()
    print(len(futures))


def table(bootstrap, topic, count, puts):
    for record in first_records(bootstrap, topic, [0], count):
        value = "null" if record.value is None else "=" + text(record.value)
        print("%d\t%s\t%s" % (record.offset, text(record.key), value))
    producer = make_producer(bootstrap)
    for put in puts:
        key, _, value = put.partition("=")
        producer.send(topic, key=key.encode(), value=value.encode() if value else None, partition=0).get(timeout=TIMEOUT_S)
    producer.flush()
    producer.close()
    print(len(puts))


def main(argv):
    if len(argv) == 4 and argv[0] == "consume":
        consume(argv[1], argv[2], int(argv[3]))
    elif len(argv) >= 4 and argv[0] == "produce" and argv[3] in ("headers", "bare"):
        produce(argv[1], argv[2], argv[3], argv[4:])
    elif len(argv) >= 4 and argv[0] == "table":
        table(argv[1], argv[2], int(argv[3]), argv[4:])
    elif len(argv) in (4, 5, 6) and argv[0] == "keyed":
        keyed(argv[1], argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 0, int(argv[5]) if len(argv) > 5 else None)
    elif len(argv) in (4, 5) and argv[0] == "lines":
        lines(argv[1], argv[2], argv[3], int(argv[4]) if len(argv) == 5 else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
