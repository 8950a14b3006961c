#!/usr/bin/env python3
"""tests/bench/relay_latency.py - commit-to-ack quantiles between two /metrics scrapes.

usage: relay_latency.py <before.txt> <after.txt>

Reads capa_relay_delivery_latency_seconds (a cumulative Prometheus
histogram) from both scrapes, subtracts the bucket counts, and estimates
p50 and p99 the way PromQL's histogram_quantile() does: find the bucket
holding the rank q*count and interpolate linearly between its lower and
upper bounds (0 below the first bucket; a rank in the +Inf bucket gives the
highest finite bound). Prints one line of key=value pairs:

  count=<n> mean_ms=<x> p50_ms=<x> p99_ms=<x> le50ms_pct=<x>

le50ms_pct is exact, not estimated: 0.05 s is a bucket bound.
"""
import math
import re
import sys

NAME = "capa_relay_delivery_latency_seconds"
BUCKET = re.compile(r'^' + NAME + r'_bucket\{le="([^"]+)"\}\s+(\S+)$')


def scrape(path):
    buckets, total, count = {}, 0.0, 0.0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            m = BUCKET.match(line)
            if m:
                le = math.inf if m.group(1) == "+Inf" else float(m.group(1))
                buckets[le] = float(m.group(2))
            elif line.startswith(NAME + "_sum "):
                total = float(line.split()[1])
            elif line.startswith(NAME + "_count "):
                count = float(line.split()[1])
    if math.inf not in buckets:
        sys.exit(f"{path}: no {NAME} histogram")
    return buckets, total, count


def quantile(q, bounds, cumulative):
    count = cumulative[-1]
    if count == 0:
        return math.nan
    rank = q * count
    for i, (le, c) in enumerate(zip(bounds, cumulative)):
        if c >= rank:
            if math.isinf(le):
                return bounds[i - 1] if i > 0 else math.nan
            lower = bounds[i - 1] if i > 0 else 0.0
            below = cumulative[i - 1] if i > 0 else 0.0
            if c == below:
                return le
            return lower + (le - lower) * (rank - below) / (c - below)
    return bounds[-2]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    b0, s0, n0 = scrape(sys.argv[1])
    b1, s1, n1 = scrape(sys.argv[2])
    bounds = sorted(b1)
    cumulative = [b1[le] - b0.get(le, 0.0) for le in bounds]
    count = n1 - n0
    mean = (s1 - s0) / count if count > 0 else math.nan
    le50 = 100.0 * cumulative[bounds.index(0.05)] / count if count > 0 else math.nan
    print(f"count={count:.0f} mean_ms={mean * 1000:.2f} "
          f"p50_ms={quantile(0.50, bounds, cumulative) * 1000:.2f} "
          f"p99_ms={quantile(0.99, bounds, cumulative) * 1000:.2f} "
          f"le50ms_pct={le50:.2f}")


if __name__ == "__main__":
    main()
