#!/usr/bin/env bash
# Verification memory against chain length (issue #19): peak RSS of
# `ehx-verify -q` (under /usr/bin/time -v, at nice 10) on the shared bench
# chains .bench/chain-N (scripts/bench-lib.sh bench_chain: N readings of 500
# devices on a rules-2 chain, 4,000 per block), beside the target
# 64 MB + 16 bytes a transaction. Prints one row per size: transactions,
# seconds, peak RSS, bytes a transaction above the 64 MB base, the target,
# and how long making the chain took (DIR/complete).
#
# A chain another run is still making (its directory without `complete`)
# is waited for, up to MEM_WAIT seconds (default 3 h), never regenerated;
# a missing one is made here with $BIN's tools (10^7: about 4 GB).
#
# MEM_TRUST=1 checks signatures only in the last block (--checkpoint at the
# tip, --from-height the tip): every other rule still runs and every key is
# still entered, so the state and its memory are the same, in a fraction
# of the time on a loaded machine. Such rows are marked "(trusted sigs)".
#
#   MEM_SIZES="100000 1000000 10000000" BIN=.build/release bash scripts/bench-memory.sh
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
. scripts/bench-lib.sh
SIZES=${MEM_SIZES:-${SIZES:-100000 1000000 10000000}}
THREADS=${THREADS:-$(nproc)}
MEM_WAIT=${MEM_WAIT:-10800}
BASE_MB=64
PER_TX=16
mkdir -p .bench

fmt="%-10s %11s %9s %10s %12s %14s %6s %13s\n"
printf "verify memory (ehx-verify -q, %s threads; target %s MB + %s B/tx)\n" "$THREADS" "$BASE_MB" "$PER_TX"
printf "$fmt" "readings" "txs" "seconds" "peak RSS" "B/tx > 64MB" "target RSS" "" "generated in"
for n in $SIZES; do
  dir=.bench/chain-$n
  waited=0
  while [ -d "$dir" ] && [ ! -e "$dir/complete" ] && [ "$waited" -lt "$MEM_WAIT" ]; do
    [ "$waited" = 0 ] && echo "bench-memory: waiting for $dir (being generated)" >&2
    sleep 30; waited=$((waited + 30))
  done
  if [ -d "$dir" ] && [ ! -e "$dir/complete" ]; then
    printf "$fmt" "$n" "-" "-" "-" "-" "-" "" "not ready"
    continue
  fi
  bench_chain "$dir" "$n" "bench-memory"
  chain=$dir/chain.jsonl
  blocks=$(wc -l < "$chain")
  ntx=$(( n + blocks + 2 ))   # readings, a stamp per block but genesis, genesis, the grant, the policy
  trust=(); note=""
  if [ -n "${MEM_TRUST:-}" ]; then
    tip=$(tail -n 1 "$chain" | sed -n 's/^{"hash":"\([0-9a-f]\{64\}\)".*/\1/p')
    trust=(--checkpoint "$((blocks - 1)):$tip" --from-height "$((blocks - 1))"); note=" (trusted sigs)"
  fi
  timed /dev/null nice -n 10 "$BIN/ehx-verify" -q --threads "$THREADS" "${trust[@]}" "$chain"
  if [ "$T_STATUS" != 0 ]; then echo "bench-memory: ehx-verify exited $T_STATUS on $chain" >&2; fi
  awk -v n="$n" -v tx="$ntx" -v s="$T_WALL" -v rss="$T_RSS_KB" -v base="$BASE_MB" -v per="$PER_TX" \
      -v gen="$(cat "$dir/complete")" -v fmt="$fmt" -v note="$note" 'BEGIN {
    bytes = rss * 1024; target = base * 1048576 + per * tx
    above = (bytes - base * 1048576) / tx
    printf fmt, n, tx, sprintf("%.1f", s), sprintf("%.1f MB", bytes / 1048576), (above < 0 ? "under" : sprintf("%.1f", above)),
      sprintf("%.1f MB", target / 1048576), (bytes <= target ? "ok" : "OVER"), gen " s" note
  }'
  result "memory.env" "MEM_${n}_TXS=$ntx" "MEM_${n}_RSS_KB=$T_RSS_KB" "MEM_${n}_SECONDS=$T_WALL" "MEM_${n}_GEN_SECONDS=$(cat "$dir/complete")"
done
