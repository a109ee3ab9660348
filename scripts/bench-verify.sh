#!/usr/bin/env bash
# ehx-verify throughput against OpenSSL's Ed25519 verify rate, in one run.
#
#   scripts/bench-verify.sh            (BIN=.build/release, TXS=200000)
#
# Generates (once, cached in $WORK) a chain of $TXS reading transactions at the
# easiest target with the tools themselves (ehx-keygen, ehx-sign, ehx-mine),
# then times `ehx-verify` on it with /usr/bin/time -v, runs
# `openssl speed -seconds 3 ed25519`, and prints:
#   verify tx/s, OpenSSL verify/s x cores, their ratio (target >= 0.90), peak RSS.
# Set BIN to the tools' directory (a release build: swift build -c release).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
TXS=${TXS:-200000}
PER_BLOCK=${PER_BLOCK:-2000}
THREADS=${THREADS:-$(nproc)}
WORK=${WORK:-.bench/verify-$TXS}
. scripts/bench-lib.sh

for t in ehx-keygen ehx-sign ehx-mine ehx-verify; do
  [ -x "$BIN/$t" ] || { echo "bench-verify: $BIN/$t missing (swift build -c release, or set BIN)" >&2; exit 66; }
done
command -v openssl >/dev/null || { echo "bench-verify: openssl not found" >&2; exit 69; }

if [ ! -s "$WORK/chain.jsonl" ] || [ ! -f "$WORK/done" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK"
  echo "bench-verify: generating a chain of $TXS transactions in $WORK ..." >&2
  gen_start=$(date +%s)
  for role in authority gateway miner; do
    "$BIN/ehx-keygen" key --role "$role" -o "$WORK/$role" >/dev/null
  done
  "$BIN/ehx-keygen" genesis --authority "$WORK/authority.key" --bits 207fffff --name bench \
    --grant gateway="$WORK/gateway.pub" --grant miner="$WORK/miner.pub" \
    --bind "$WORK/gateway.pub=$(seq -f 'bed%02g-hr' -s , 0 63)" \
    --max-block-txs 100000 --max-block-bytes 67108864 -o "$WORK/chain.jsonl" >/dev/null
  # Distinct devices and seqs; values and times vary so every tx differs.
  awk -v n="$TXS" 'BEGIN {
    for (i = 0; i < n; i++) {
      d = i % 64; s = int(i / 64); ms = i * 37
      printf "{\"device\":\"bed%02d-hr\",\"patient\":\"P-%04d\",\"seq\":%d,\"ts\":\"2026-11-26T%02d:%02d:%02d.%03dZ\",\"kind\":\"heart_rate\",\"value\":%d,\"unit\":\"/min\"}\n",
        d, d, s, int(ms / 3600000) % 24, int(ms / 60000) % 60, int(ms / 1000) % 60, ms % 1000, 50 + i % 60
    }}' > "$WORK/readings.jsonl"
  "$BIN/ehx-sign" --key "$WORK/gateway.key" -q "$WORK/readings.jsonl" > "$WORK/txs.jsonl"
  "$BIN/ehx-mine" --chain "$WORK/chain.jsonl" --key "$WORK/miner.key" --max-txs "$PER_BLOCK" -q "$WORK/txs.jsonl" >/dev/null
  rm -f "$WORK/readings.jsonl" "$WORK/txs.jsonl"
  echo $(( $(date +%s) - gen_start )) > "$WORK/done"
fi
GEN_SECONDS=$(cat "$WORK/done")

CHAIN=$WORK/chain.jsonl
BLOCKS=$(wc -l < "$CHAIN")
NTX=$(( TXS + BLOCKS ))   # readings + one stamp per block + genesis (close enough: +1)
BYTES=$(wc -c < "$CHAIN")
GEN=$("$BIN/ehx-query" --chain "$CHAIN" block 0 --hash)

if [ -n "${SKIP_OPENSSL:-}" ]; then
  timed - "$BIN/ehx-verify" --threads "$THREADS" --genesis "$GEN" -q "$CHAIN"
  SECONDS_TAKEN=$T_WALL; RSS_KB=$T_RSS_KB; VCPU=$T_CPU; STATUS=$T_STATUS
else
  echo "bench-verify: ehx-verify on $NTX transactions, ${ROUNDS:-3} rounds beside openssl speed ..." >&2
  paired_rounds verify "$NTX" - "$BIN/ehx-verify" --threads "$THREADS" --genesis "$GEN" -q "$CHAIN"
  SECONDS_TAKEN=$P_WALL; RSS_KB=$P_RSS_KB; VCPU=$P_CPU; STATUS=$P_STATUS
  "$BIN/ehx-query" --chain "$CHAIN" txs --type reading --raw 2>/dev/null | head -n 800 > "$WORK/floor.jsonl" || true
  floor_ratio verify "$WORK/floor.jsonl"; rm -f "$WORK/floor.jsonl"
fi
[ "$STATUS" = 0 ] || echo "bench-verify: ehx-verify exited $STATUS" >&2
result "verify-$TXS.env" "NTX=$NTX" "BLOCKS=$BLOCKS" "BYTES=$BYTES" "WALL=$SECONDS_TAKEN" "CPU=$VCPU" \
  "RSS_KB=$RSS_KB" "STATUS=$STATUS" "GEN_SECONDS=$GEN_SECONDS" "THREADS=$THREADS" \
  "RATIO=${P_RATIO:-}" "RATIO_MULTI=${P_MULTI:-}" "OSSL=${P_OSSL:-}" "FLOOR=${F_RATIO:-}"
if [ -n "${SKIP_OPENSSL:-}" ]; then
  awk -v tx="$NTX" -v s="$SECONDS_TAKEN" -v rss="$RSS_KB" -v blocks="$BLOCKS" 'BEGIN {
    printf "bench-verify: %d blocks, %d transactions: %.2f s, %.0f tx/s, peak RSS %.1f MB\n", blocks, tx, s, tx / s, rss / 1024 }'
  exit 0
fi

CORES=$(nproc)
awk -v tx="$NTX" -v s="$SECONDS_TAKEN" -v c="$VCPU" -v ossl="$P_OSSL" -v cores="$CORES" -v threads="$THREADS" \
    -v ratio="$P_RATIO" -v multi="$P_MULTI" -v rss="${RSS_KB:-}" -v blocks="$BLOCKS" -v bytes="$BYTES" -v floor="${F_RATIO:-}" 'BEGIN {
  rate = tx / s
  printf "chain:            %d blocks, %d transactions, %.1f MB\n", blocks, tx, bytes / 1e6
  printf "ehx-verify:       %.2f s, %.0f tx/s (--threads %d; the median round)\n", s, rate, threads
  printf "openssl verify:   %.0f /s per core x %d cores = %.0f /s\n", ossl, cores, ossl * cores
  printf "ratio:            %.3f (target >= 0.90), median of the rounds; %.3f of openssl -multi %d\n", ratio, multi, cores
  printf "per CPU-second:   %.3f of one core\n", tx / c / ossl
  if (floor != "") printf "floor:            %.3f per CPU-second: jansson, SHA-256 and Ed25519 alone (scripts/ed25519-floor.c)\n", floor
  if (rss != "") printf "peak RSS:         %.1f MB\n", rss / 1024
}'
