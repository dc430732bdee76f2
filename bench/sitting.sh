#!/usr/bin/env bash
# One side-by-side sitting (issue 17): our relay beside Prosody and the durable SQLite ceiling,
# interleaved round by round on the same machine, so that the ratios mean something even when
# the machine's speed drifts. Absolute figures from another day or machine do not compare.
#
#   bash bench/sitting.sh [ROUNDS]        # default 3 rounds; prints a table, writes JSON
#
# Each round runs, in this order: `steuntje bench` (end-to-end encrypted), Prosody, `--no-crypto`,
# the durable ceiling (FULL:batch), `--offline --no-crypto` (store, then drain), `--rate 1000`.
# The workload is the anchors' everywhere: 50 pairs x 200 envelopes of 200 B, 8 in flight.
#
# The reference relays are optional: they come from the anchors folder beside the checkout
# (ANCHORS, default ../shared/anchors/ next to the repository), which installs what it needs
# (Prosody from apt, a harness venv) into ~/.cache/steuntje-anchors. Without that folder the
# sitting runs our relay only, says so, and prints no ratios.
#
# Environment: ROUNDS, ANCHORS, OUT (the JSON file; default sitting-<UTC time>.json in
# $TMPDIR), PYTHON (default .venv/bin/python of this checkout).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-${ROUNDS:-3}}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
ANCHORS=${ANCHORS:-$REPO/../shared/anchors/}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/steuntje-sitting-$STAMP-XXXX")
OUT=${OUT:-$WORK/sitting.json}
PAIRS=50 MSGS=200 INFLIGHT=8
export RUNS=1 PAIRS MSGS INFLIGHT  # read by the anchors' scripts: one run per call, per round

if [ -d "$ANCHORS/peers" ]; then
  ANCHORS=$(cd "$ANCHORS" && pwd)
  STATE=${ANCHORS_STATE:-$HOME/.cache/steuntje-anchors}
  echo "sitting: $ROUNDS rounds, ours interleaved with Prosody and the durable ceiling" >&2
else
  ANCHORS=""
  echo "sitting: $ROUNDS rounds of ours only: no anchors folder, so no Prosody or ceiling" \
    "to compare with (they are optional; set ANCHORS=DIR)" >&2
fi

cat /proc/loadavg > "$WORK/load-before"

ours() {  # ours ROUND NAME [bench flags...]: one `steuntje bench --json`, its last line kept
  local round=$1 name=$2; shift 2
  echo "round $round: steuntje bench $*" >&2
  (cd "$REPO" && "$PYTHON" -m steuntje_cli bench --pairs "$PAIRS" --messages "$MSGS" \
    --size 200 --inflight "$INFLIGHT" --json "$@" 2>> "$WORK/ours.log") \
    | tail -n 1 > "$WORK/r$round-$name.json"
}

anchor() {  # anchor ROUND NAME SCRIPT [VAR=value...]: one run of a reference relay
  local round=$1 name=$2 script=$3; shift 3
  local label=sitting-$STAMP-$name-r$round
  echo "round $round: $name (anchors)" >&2
  env "$@" LABEL="$label" LABEL_SUFFIX="-$label" bash "$ANCHORS/peers/$script" \
    >> "$WORK/anchors.log" 2>&1
  # prosody.sh names its results by LABEL, baseline_sqlite.sh by its variant plus LABEL_SUFFIX
  local found
  found=$(ls -d "$STATE/results/"*"$label" | head -n 1)
  cp "$found/run1-pairs.json" "$WORK/r$round-$name.json"
  cp "$found/run1-offline.json" "$WORK/r$round-$name-offline.json"
}

for round in $(seq 1 "$ROUNDS"); do
  ours "$round" e2e
  [ -n "$ANCHORS" ] && anchor "$round" prosody prosody.sh
  ours "$round" no-crypto --no-crypto
  [ -n "$ANCHORS" ] && anchor "$round" ceiling baseline_sqlite.sh VARIANTS=FULL:batch
  ours "$round" offline --offline --no-crypto
  ours "$round" rate1000 --rate 1000
done

cat /proc/loadavg > "$WORK/load-after"
"$PYTHON" "$REPO/bench/sitting_table.py" "$WORK" "$OUT"
echo "sitting: figures in $OUT, every run's JSON in $WORK" >&2
