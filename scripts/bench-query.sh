#!/usr/bin/env bash
# Index against full scan for a query by patient, in the same run:
#   scripts/bench-query.sh                  (TXS=1000000, BIN=.build/release)
# Generates (once; cached in .bench/chain-TXS/) a chain of at least TXS
# reading transactions at the easiest target (bits 207fffff) with the tools
# themselves: ehx-keygen, ehx-sign --key, ehx-mine. Then builds the SQLite
# index (timed), and times `ehx-query txs --patient P` with the index and
# with --no-index (best of RUNS), checks both print the same bytes, and
# prints the ratio. Exit 1 when the outputs differ.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
TXS=${TXS:-1000000}
BIN=${BIN:-.build/release}
RUNS=${RUNS:-3}
DIR=.bench/chain-$TXS
PATIENT=${PATIENT:-P-0042}

if [ ! -x "$BIN/ehx-query" ]; then
  echo "bench-query: building release tools into $BIN" >&2
  swift build -c release --scratch-path "${BIN%/release}" >&2
fi

. scripts/bench-lib.sh
bench_chain "$DIR" "$TXS" bench-query
chain=$DIR/chain.jsonl
blocks=$(awk 'END { print NR }' "$chain")
echo "bench-query: $chain: $blocks blocks, $(du -h "$chain" | cut -f1)" >&2

now() { date +%s.%N; }
best() { # best wall time of RUNS runs of "$@" (stdout to $OUT)
  local b=999999 t0 t1 i
  for i in $(seq "$RUNS"); do
    t0=$(now); "$@" > "$OUT"; t1=$(now)
    b=$(echo "$t0 $t1 $b" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
  done
  echo "$b"
}

rm -f "$chain.index.sqlite" "$chain.index.sqlite-wal" "$chain.index.sqlite-shm"
t0=$(now); "$BIN/ehx-query" --chain "$chain" index -q > "$DIR/index.json"; t1=$(now)
build_s=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
ntx=$(sed -n 's/.*"transactions":\([0-9]*\).*/\1/p' "$DIR/index.json")

OUT=$DIR/indexed.out; idx_s=$(best "$BIN/ehx-query" --chain "$chain" txs --patient "$PATIENT" --format jsonl)
OUT=$DIR/scanned.out; scan_s=$(best "$BIN/ehx-query" --chain "$chain" txs --patient "$PATIENT" --format jsonl --no-index)
same=yes; cmp -s "$DIR/indexed.out" "$DIR/scanned.out" || same=no
hits=$(awk 'END { print NR }' "$DIR/indexed.out")
awk -v n="$ntx" -v b="$build_s" -v i="$idx_s" -v s="$scan_s" -v h="$hits" -v same="$same" -v p="$PATIENT" 'BEGIN {
  printf "transactions:      %d\n", n
  printf "index build:       %.2f s\n", b
  printf "query --patient %s: %d matches\n", p, h
  printf "  with index:      %.1f ms\n", i * 1000
  printf "  full scan:       %.1f ms\n", s * 1000
  printf "  ratio:           %.0fx faster with the index\n", s / i
  printf "  same output:     %s\n", same
}'
[ "$same" = yes ]
