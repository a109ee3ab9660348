#!/usr/bin/env bash
# What a run costs against the size of the chain, with the chain-state
# snapshot (CHAIN.state, man ehx.7 CHAIN STATE):
#   scripts/bench-state.sh                 (SIZES="100000 1000000", BIN=.build/release)
#   SIZES="100000 1000000 10000000" scripts/bench-state.sh
# For each size, a chain of that many readings (with a read policy, so
# ehx-sign --seal can start) is generated once with the tools themselves and
# cached in .bench/chain-N/ (bench_chain in bench-lib.sh) and cut back to
# its length afterwards. Then, each under /usr/bin/time (wall seconds
# and peak RSS):
#   build     ehx-mine building the snapshot from the whole chain (once)
#   rehash    ehx-verify --append of nothing after a touch of the chain: the
#             snapshot's lines digest checked against the file (no replay)
#   noop      ehx-mine --spool with nothing to mine (the cron run)
#   mine1     ehx-mine --spool mining one block of one transaction
#   seal      ehx-sign --seal signing one reading, start included
#   append    ehx-verify --append of one block onto a copy of the chain
#             (whose own snapshot an empty pull made first)
#   index     ehx-query index, extending it by that one block
#   report    ehx-query report --patient through the index
#   fhir      ehx-query fhir --patient through the index
#   headers   ehx-query headers through the index (each block's head read
#             where its row puts it)
#   block     ehx-query block of the tip, found by its hash through the index
# and prints one row per measure, one column per size, so the growth shows.
# Exit 1 when a run failed (its cell says so). Do not run the 10^6 size on a
# shared machine: generating it takes tens of minutes.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
SIZES=${SIZES:-100000 1000000}
BIN=${BIN:-.build/release}
PATIENT=${PATIENT:-P-0042}

if [ ! -x "$BIN/ehx-mine" ]; then
  echo "bench-state: building release tools into $BIN" >&2
  swift build -c release --scratch-path "${BIN%/release}" >&2
fi

declare -A CELL
FAILED=0
# Runs that change nothing (the cron run, a sealer's start, the queries) are
# timed REPEAT times (default 3) and the fastest kept, as a shared machine's
# neighbours and a cold page cache only ever add time; peak RSS is the
# largest seen, a failed run shows its status.
REPEAT=${REPEAT:-3}
best() {
  local wall="" rss=0 status=0 i
  for i in $(seq "$REPEAT"); do
    timed "$@"
    [ "$T_STATUS" = 0 ] || status=$T_STATUS
    if [ -z "$wall" ] || awk -v a="$T_WALL" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$T_WALL; fi
    [ "${T_RSS_KB:-0}" -gt "$rss" ] && rss=$T_RSS_KB
  done
  T_WALL=$wall; T_RSS_KB=$rss; T_STATUS=$status
}

for n in $SIZES; do
  dir=.bench/chain-$n
  bench_chain "$dir" "$n" bench-state
  chain=$dir/chain.jsonl
  # The runs below append blocks; the shared cached chain is cut back after.
  orig_bytes=$(stat -c %s "$chain")
  trap 'truncate -s "$orig_bytes" "$chain"; rm -rf "$chain.state" "$chain.state.keys" "$chain".index.sqlite*' EXIT
  rm -rf "$dir/spool" "$chain.state" "$chain.state.keys" "$dir/peer.jsonl" "$dir/peer.jsonl.state" "$dir/peer.jsonl.state.keys"
  mkdir -p "$dir/spool/new" "$dir/spool/tmp"
  cell() { # a run that failed shows its status instead of a time that means nothing
    if [ "$T_STATUS" != 0 ]; then CELL[$1,$n]="failed ($T_STATUS)"; FAILED=1
    else CELL[$1,$n]=$(awk -v w="$T_WALL" -v r="$T_RSS_KB" 'BEGIN { printf "%7.2f s %5d MB", w, r / 1024 }'); fi
    # Also on stderr at once: at 10^7 a run may have to be stopped before
    # the table, and what it measured so far should not go with it.
    echo "bench-state: $n: $1 ${CELL[$1,$n]}" >&2
  }

  timed /dev/null "$BIN/ehx-mine" -q --spool "$dir/spool" --chain "$chain" --key "$dir/miner.key"; cell build
  # A file written behind the snapshot's back (here only its ctime moves):
  # the covered lines are hashed again before the snapshot is trusted.
  touch "$chain"
  timed /dev/null "$BIN/ehx-verify" -q --append "$chain" /dev/null; cell rehash
  # A copy of the chain with its snapshot and the snapshot's key runs.
  cp "$chain" "$dir/peer.jsonl"; cp "$chain.state" "$dir/peer.jsonl.state"; cp -r "$chain.state.keys" "$dir/peer.jsonl.state.keys"
  best /dev/null "$BIN/ehx-mine" -q --spool "$dir/spool" --chain "$chain" --key "$dir/miner.key" --deadline 50; cell noop
  seq=$(date +%s)
  printf '{"device":"bench-extra","patient":"%s","seq":%s,"ts":"2026-12-01T00:00:00.000Z","kind":"heart_rate","value":70,"unit":"/min"}\n' "$PATIENT" "$seq" \
    | "$BIN/ehx-sign" -q --key "$dir/gateway.key" --spool "$dir/spool" >/dev/null
  timed /dev/null "$BIN/ehx-mine" -q --spool "$dir/spool" --chain "$chain" --key "$dir/miner.key" --deadline 50; cell mine1
  printf '{"device":"bench-extra","patient":"%s","seq":%s,"ts":"2026-12-01T00:00:01.000Z","kind":"heart_rate","value":71,"unit":"/min"}\n' "$PATIENT" "$((seq + 1))" \
    > "$dir/one.jsonl"
  genesis=$("$BIN/ehx-query" --chain "$chain" block 0 --hash)
  best /dev/null "$BIN/ehx-sign" -q --seal --chain "$chain" --genesis "$genesis" --pseudonym-key "$dir/pseudonym.key" --key "$dir/gateway.key" "$dir/one.jsonl"; cell seal
  best /dev/null "$BIN/ehx-query" -q --chain "$chain" firmware --model bench-model --all; cell firmware
  best /dev/null "$BIN/ehx-query" --chain "$chain" tip; cell tip
  peer_tip=$("$BIN/ehx-query" --chain "$dir/peer.jsonl" tip --hash)
  "$BIN/ehx-query" --chain "$chain" blocks --since "$peer_tip" > "$dir/new-blocks.jsonl"
  # A replica keeps its own snapshot (saved by its last --append); the copied
  # one names the original file, so one empty pull hashes the copy's lines
  # once and saves it, as the first pull into a restored replica would.
  "$BIN/ehx-verify" -q --append "$dir/peer.jsonl" /dev/null
  timed /dev/null "$BIN/ehx-verify" -q --append "$dir/peer.jsonl" "$dir/new-blocks.jsonl"; cell append
  if [ ! -s "$chain.index.sqlite" ]; then
    echo "bench-state: indexing $chain (once)" >&2
    "$BIN/ehx-query" --chain "$chain" index -q >/dev/null
  fi
  timed /dev/null "$BIN/ehx-query" --chain "$chain" index -q; cell index
  best /dev/null "$BIN/ehx-query" --chain "$chain" report --patient "$PATIENT" -o "$dir/report.html" 2>/dev/null; cell report
  best /dev/null "$BIN/ehx-query" --chain "$chain" fhir --patient "$PATIENT"; cell fhir
  best /dev/null "$BIN/ehx-query" --chain "$chain" headers; cell headers
  best /dev/null "$BIN/ehx-query" --chain "$chain" block "$("$BIN/ehx-query" --chain "$chain" tip --hash)"; cell block
  truncate -s "$orig_bytes" "$chain"; rm -rf "$chain.state" "$chain.state.keys" "$chain".index.sqlite*; trap - EXIT
done

printf '%-34s' "run \\ transactions"
for n in $SIZES; do printf '  %17s' "$n"; done
printf '  %s\n' "target"
for m in "build:snapshot built from the whole chain:(once)" "rehash:stamp changed, lines hashed again:" "noop:ehx-mine --spool, nothing to mine:< 1 s" \
         "mine1:ehx-mine --spool, one block:< 2 s + nonce" "seal:ehx-sign --seal, one reading:< 1 s" \
         "firmware:ehx-query firmware (snapshot):< 1 s" "tip:ehx-query tip (snapshot):< 1 s" "append:ehx-verify --append, one block:< 1 s" "index:ehx-query index, one new block:" \
         "report:report --patient (index):< 1 s" "fhir:fhir --patient (index):< 1 s" \
         "headers:ehx-query headers (index):" "block:ehx-query block TIP-HASH (index):< 1 s"; do
  key=${m%%:*}; rest=${m#*:}; label=${rest%%:*}; target=${rest#*:}
  printf '%-34s' "$label"
  for n in $SIZES; do printf '  %17s' "${CELL[$key,$n]}"; done
  printf '  %s\n' "$target"
done
echo "(memory target: <= 64 MB + what the new blocks need)"
[ "$FAILED" = 0 ]
