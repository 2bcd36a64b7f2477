#!/usr/bin/python3
"""Charts bench/scale/scale_sweep.sh's table: replay and ingest events/s, restart seconds and one
citizen's asOf latency, each against the ledger's size in events (docs/benchmarks.md).

Usage: plot_scale.py scale.tsv scale.png
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt  # noqa: E402


def main(table, png):
    with open(table, newline="") as f:
        rows = sorted(csv.DictReader(f, delimiter="\t"), key=lambda r: int(r["events"]))
    if not rows:
        sys.exit("plot_scale: no rows in " + table)
    events = [int(r["events"]) / 1e6 for r in rows]

    def col(name):
        return [float(r[name]) for r in rows]

    fig, (speed, start, asof) = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    fig.suptitle("Dimona Ledger against the ledger's size (generated 2025 years, embedded log, 2 cores)")

    speed.plot(events, [v / 1e3 for v in col("replay_eps")], "o-", label="replay (2 threads)")
    speed.plot(events, [v / 1e3 for v in col("ingest_eps")], "s-", label="ingest (durable)")
    speed.set(title="Throughput", xlabel="events in the log (millions)", ylabel="thousand events/s")
    speed.set_ylim(bottom=0)

    start.plot(events, col("ready_s"), "o-", label="reads served (/ready 200)")
    start.plot(events, col("writer_open_s"), "s-", label="writer open")
    start.axhline(2, color="grey", linestyle="--", linewidth=1, label="target 2 s")
    start.set(title="Restart from the checkpoint", xlabel="events in the log (millions)", ylabel="seconds")
    start.set_ylim(bottom=0)

    asof.plot(events, col("asof_p50_ms"), "o-", label="asOf p50")
    asof.plot(events, col("asof_p99_ms"), "s-", label="asOf p99")
    asof.plot(events, col("live_p99_ms"), "^:", label="live p99")
    asof.axhline(5, color="grey", linestyle="--", linewidth=1, label="target p99 5 ms")
    asof.set(title="One citizen's balance at a random instant", xlabel="events in the log (millions)", ylabel="ms")
    asof.set_ylim(bottom=0)

    for ax in (speed, start, asof):
        ax.set_xscale("log")
        ax.set_xticks(events)
        ax.set_xticklabels([f"{e:.3g}" for e in events])
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
