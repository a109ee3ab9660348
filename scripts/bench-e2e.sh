#!/usr/bin/env bash
# End to end: readings per second from raw JSON lines to a verified chain,
# and the time of each stage, on one set of READINGS raw readings:
#
#   ehx-sign --psk   devices attach their MACs
#   ehx-ingest --psk the gateway checks MACs, seqs, times and ranges, scores
#                    NEWS2 (alerts go into the same stream, as enveloped bodies)
#   ehx-sign --key   the gateway signs readings and alerts as transactions
#   ehx-mine         the miner puts them into blocks (easiest target)
#   ehx-verify       an auditor checks the chain, pinned at its genesis
#
#   scripts/bench-e2e.sh            (BIN=.build/release, READINGS=1000000)
#
# The stages run one after another through files, each on all cores, so
# each one's time is its own; the figure is READINGS / the sum of the five.
# Keys, PSKs and the raw readings are cached in $WORK; the chain is made
# afresh each run (in $WORK/run, removed afterwards).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
READINGS=${READINGS:-1000000}
WORK=${WORK:-.bench/e2e-$READINGS}
. scripts/bench-lib.sh

for t in ehx-keygen ehx-ingest ehx-sign ehx-mine ehx-verify ehx-query; do
  [ -x "$BIN/$t" ] || { echo "bench-e2e: $BIN/$t missing (swift build -c release, or set BIN)" >&2; exit 66; }
done
if [ ! -f "$WORK/done" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK"
  echo "bench-e2e: generating $READINGS raw readings and 500 device PSKs in $WORK (once)" >&2
  for r in authority gateway miner; do "$BIN/ehx-keygen" key --role "$r" -o "$WORK/$r" >/dev/null; done
  for i in $(seq 0 499); do "$BIN/ehx-keygen" psk --device "dev$i" --psk "$WORK/devices.psk" >/dev/null; done
  bench_readings "$READINGS" > "$WORK/raw.jsonl"
  touch "$WORK/done"
fi

RUN=$WORK/run
rm -rf "$RUN"; mkdir -p "$RUN"
trap 'rm -rf "$RUN"' EXIT
"$BIN/ehx-keygen" genesis --authority "$WORK/authority.key" --bits 207fffff --name bench-e2e \
  --max-block-txs 5000 --grant gateway="$WORK/gateway.pub" --grant miner="$WORK/miner.pub" \
  --bind "$WORK/gateway.pub=@$WORK/devices.psk" -o "$RUN/chain.jsonl" >/dev/null

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$WORK/last-run.err"
stage() { # stage NAME OUT cmd...
  local name=$1 out=$2; shift 2
  echo "bench-e2e: $name ..." >&2
  # A stage's stderr (ehx-ingest's alert lines) goes to $WORK/last-run.err.
  timed "$out" "$@" 2>> "$WORK/last-run.err"
  [ "$T_STATUS" = 0 ] || echo "bench-e2e: $name exited $T_STATUS" >&2
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$T_WALL" "$T_CPU" "$T_RSS_KB" "$T_STATUS" >> "$RUN/stages"
}
stage "ehx-sign --psk" "$RUN/maced.jsonl" "$BIN/ehx-sign" -q --psk "$WORK/devices.psk" "$WORK/raw.jsonl"
stage "ehx-ingest --psk" "$RUN/accepted.jsonl" "$BIN/ehx-ingest" -q --psk "$WORK/devices.psk" "$RUN/maced.jsonl"
stage "ehx-sign --key" "$RUN/txs.jsonl" "$BIN/ehx-sign" -q --key "$WORK/gateway.key" "$RUN/accepted.jsonl"
stage "ehx-mine" /dev/null "$BIN/ehx-mine" -q --chain "$RUN/chain.jsonl" --key "$WORK/miner.key" --max-txs 4000 "$RUN/txs.jsonl"
GENESIS=$("$BIN/ehx-query" --chain "$RUN/chain.jsonl" block 0 --hash)
stage "ehx-verify" - "$BIN/ehx-verify" -q --genesis "$GENESIS" "$RUN/chain.jsonl"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ACCEPTED=$(wc -l < "$RUN/accepted.jsonl")
TXS=$(wc -l < "$RUN/txs.jsonl")
BLOCKS=$(wc -l < "$RUN/chain.jsonl")
result e2e.env "E2E_READINGS=$READINGS" "E2E_TOTAL=$(awk -F'\t' '{ s += $2 } END { printf "%.3f", s }' "$RUN/stages")" \
  "E2E_TXS=$TXS" "E2E_BLOCKS=$BLOCKS"
awk -F'\t' -v n="$READINGS" -v acc="$ACCEPTED" -v txs="$TXS" -v blocks="$BLOCKS" -v cores="$(nproc)" \
    -v lb="$load_before" -v la="$load_after" '
{ name[NR] = $1; wall[NR] = $2; cpu[NR] = $3; rss[NR] = $4; status[NR] = $5; total += $2; bad += ($5 != 0) }
END {
  printf "bench-e2e: %d raw readings to a verified chain (%d lines out of ingest, %d transactions, %d blocks), %d cores\n", n, acc, txs, blocks, cores
  printf "  %-18s %9s %8s %12s %9s\n", "stage", "seconds", "share", "readings/s", "peak RSS"
  for (i = 1; i <= NR; i++)
    printf "  %-18s %9.2f %7.0f%% %12.0f %6.0f MB%s\n", name[i], wall[i], 100 * wall[i] / total, n / wall[i], rss[i] / 1024, status[i] != 0 ? "  (exit " status[i] ")" : ""
  printf "  %-18s %9.2f %7s %12.0f\n", "end to end", total, "100%", n / total
  printf "  load average %s before, %s after%s\n", lb, la, bad ? "; A STAGE FAILED" : ""
}' "$RUN/stages"
