"""Markov attribution over 1,000,000 journeys (target under 10 s), and against ChannelAttribution.

.venv/bin/python bench/markov.py [CA_PYTHON]
(CA_PYTHON: a venv made with pip install ChannelAttribution pandas matplotlib)

The journeys are the 88,387 journeys of ../shared/datasets/channelattribution-paths (10,000
distinct paths with their conversion and null counts), drawn with replacement to 1,000,000
single journeys, each converting or not. With CA_PYTHON (a Python that has the ChannelAttribution
package; it is installed only there, never in Tandem's environment) the same aggregated paths and
the same 1,000,000 journeys go through its markov_model too, and the removal effects are compared.
"""

import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.insights import attribution as A  # noqa: E402

DATA = next(
    p / "channelattribution-paths" / "Data.csv"
    for p in (ROOT.parent / "shared" / "datasets", Path("/work/shared/datasets"))
    if (p / "channelattribution-paths").exists()
)
RUNS = 5

CA_SCRIPT = """
import sys, json, time
import pandas as pd
from ChannelAttribution import markov_model
df = pd.read_csv(sys.argv[1], sep=";")
null = "total_null" if "total_null" in df.columns else None
start = time.perf_counter()
res = markov_model(df, "path", "total_conversions", var_null=null, out_more=True, verbose=0, seed=1)
took = time.perf_counter() - start
r = res["removal_effects"]
out = res["result"]
print(json.dumps({
    "seconds": took,
    "removal": dict(zip(r["channel_name"], r["removal_effect"])),
    "conversions": dict(zip(out["channel_name"], out["total_conversions"])),
}))
"""


def load():
    with open(DATA, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    names: dict[str, int] = {}
    paths = [[names.setdefault(c.strip(), len(names)) for c in r["path"].split(">")] for r in rows]
    conv = [float(r["total_conversions"]) for r in rows]
    null = [float(r["total_null"]) for r in rows]
    value = [float(r["total_conversion_value"]) for r in rows]
    return names, paths, conv, null, value


def million(paths, conv, null, n=1_000_000, seed=1):
    """n single journeys drawn from the aggregated paths in proportion to their journeys."""
    rng = np.random.default_rng(seed)
    weights = np.array(conv) + np.array(null)
    picks = rng.choice(len(paths), size=n, p=weights / weights.sum())
    converted = rng.random(n) < (np.array(conv) / weights)[picks]
    chosen = [paths[i] for i in picks]
    return chosen, converted


def timed(fn, runs=RUNS):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def channel_attribution(ca_python: str, path: Path) -> dict:
    done = subprocess.run(
        [ca_python, "-c", CA_SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    names, paths, conv, null, value = load()
    inv = {v: k for k, v in names.items()}
    agg = A.build(paths, conv, null, value)
    t_agg, (c_agg, _, eff_agg) = timed(lambda: A.markov(agg))
    print(
        f"aggregated paths: {len(paths):,} paths, {int(sum(conv) + sum(null)):,} journeys, "
        f"{len(names)} channels: Tandem {t_agg * 1000:.1f} ms (median of {RUNS})"
    )
    chosen, converted = million(paths, conv, null)
    t_build, big = timed(
        lambda: A.build(
            chosen, converted.astype(float), (~converted).astype(float), converted.astype(float)
        ),
        runs=3,
    )
    t_big, (c_big, _, eff_big) = timed(lambda: A.markov(big))
    print(
        f"1,000,000 journeys ({len(big.states):,} touches, {int(converted.sum()):,} converting): "
        f"Markov {t_big:.2f} s, building the arrays {t_build:.2f} s (median of {RUNS})"
    )
    t_rules, _ = timed(lambda: [A.rule_based(big, m) for m in A.MODELS[:5]], runs=3)
    print(f"  the five rule-based models together on the same journeys: {t_rules:.2f} s")
    if len(sys.argv) < 2:
        print("(pass a Python with ChannelAttribution installed to compare)")
        return
    ca = channel_attribution(sys.argv[1], DATA)
    print(
        f"\nChannelAttribution markov_model on the aggregated paths: {ca['seconds'] * 1000:.0f} ms "
        f"(ratio {ca['seconds'] / t_agg:.1f}x)"
    )
    share = {inv[i]: eff_agg[i] / eff_agg.sum() for i in range(len(inv))}
    theirs = {k: v / sum(ca["removal"].values()) for k, v in ca["removal"].items()}
    worst = max(abs(share[k] - theirs[k]) for k in theirs)
    print(f"{'channel':<10}{'Tandem RE':>11}{'CA RE':>9}{'Tandem conv':>13}{'CA conv':>10}")
    for k in sorted(theirs, key=lambda k: -theirs[k]):
        i = names[k]
        print(
            f"{k:<10}{eff_agg[i]:>11.4f}{ca['removal'][k]:>9.4f}{c_agg[i]:>13.1f}{ca['conversions'][k]:>10.1f}"
        )
    print(f"largest difference in normalized removal effect: {worst * 100:.2f} percentage points")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write("path;total_conversions;total_null\n")
        for p, c in zip(chosen, converted, strict=True):
            handle.write(" > ".join(inv[s] for s in p) + f";{int(c)};{int(not c)}\n")
    ca_big = channel_attribution(sys.argv[1], Path(handle.name))
    Path(handle.name).unlink()
    big_share = {inv[i]: eff_big[i] / eff_big.sum() for i in range(len(inv))}
    ca_share = {k: v / sum(ca_big["removal"].values()) for k, v in ca_big["removal"].items()}
    worst_big = max(abs(big_share[k] - ca_share[k]) for k in ca_share)
    print(
        f"\n1,000,000 journeys: ChannelAttribution {ca_big['seconds']:.2f} s, Tandem {t_big:.2f} s "
        f"(ratio {ca_big['seconds'] / t_big:.1f}x); largest difference in normalized removal "
        f"effect {worst_big * 100:.2f} percentage points"
    )


if __name__ == "__main__":
    main()
