#!/usr/bin/env bash
# ehx-sign --key throughput against OpenSSL's Ed25519 sign rate, and ehx-mine
# assembling those transactions into blocks (the easiest target, so the time
# is parsing, checking, Merkle trees and appends, not the nonce search).
#
#   scripts/bench-sign.sh             (BIN=.build/release, TXS=200000)
#
# ehx-sign signs on all cores (--threads), so the table gives its rate against
# OpenSSL x cores (the issue's target) and per core.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
TXS=${TXS:-200000}
WORK=${WORK:-.bench/sign-$TXS}
. scripts/bench-lib.sh

for t in ehx-keygen ehx-sign ehx-mine; do
  [ -x "$BIN/$t" ] || { echo "bench-sign: $BIN/$t missing (swift build -c release, or set BIN)" >&2; exit 66; }
done
if [ ! -f "$WORK/done" ]; then
  rm -rf "$WORK"; mkdir -p "$WORK"
  for role in authority gateway miner; do
    "$BIN/ehx-keygen" key --role "$role" -o "$WORK/$role" >/dev/null
  done
  awk -v n="$TXS" 'BEGIN {
    for (i = 0; i < n; i++) {
      d = i % 64; s = int(i / 64); ms = i * 37
      printf "{\"device\":\"bed%02d-hr\",\"patient\":\"P-%04d\",\"seq\":%d,\"ts\":\"2026-11-26T%02d:%02d:%02d.%03dZ\",\"kind\":\"heart_rate\",\"value\":%d,\"unit\":\"/min\"}\n",
        d, d, s, int(ms / 3600000) % 24, int(ms / 60000) % 60, int(ms / 1000) % 60, ms % 1000, 50 + i % 60
    }}' > "$WORK/readings.jsonl"
  touch "$WORK/done"
fi

echo "bench-sign: ehx-sign --key on $TXS readings, ${ROUNDS:-3} rounds beside openssl speed ..." >&2
paired_rounds sign "$TXS" "$WORK/txs.jsonl" "$BIN/ehx-sign" --key "$WORK/gateway.key" -q "$WORK/readings.jsonl"
SIGN_WALL=$P_WALL; SIGN_CPU=$P_CPU; SIGN_RSS=$P_RSS_KB; SIGN_STATUS=$P_STATUS
floor_ratio sign "$WORK/txs.jsonl"; SIGN_FLOOR=$F_RATIO

echo "bench-sign: ehx-mine of those $TXS transactions (2000 a block, target 207fffff) ..." >&2
rm -rf "$WORK/chain.jsonl" "$WORK/chain.jsonl.state" "$WORK/chain.jsonl.state.keys"
"$BIN/ehx-keygen" genesis --authority "$WORK/authority.key" --bits 207fffff --name bench \
  --grant gateway="$WORK/gateway.pub" --grant miner="$WORK/miner.pub" \
  --bind "$WORK/gateway.pub=$(seq -f 'bed%02g-hr' -s , 0 63)" \
  --max-block-txs 100000 --max-block-bytes 67108864 -o "$WORK/chain.jsonl" >/dev/null
timed /dev/null "$BIN/ehx-mine" --chain "$WORK/chain.jsonl" --key "$WORK/miner.key" --max-txs 2000 -q "$WORK/txs.jsonl"
MINE_WALL=$T_WALL; MINE_CPU=$T_CPU; MINE_RSS=$T_RSS_KB; MINE_STATUS=$T_STATUS
rm -rf "$WORK/txs.jsonl" "$WORK/chain.jsonl" "$WORK/chain.jsonl.state" "$WORK/chain.jsonl.state.keys"

CORES=$(nproc)
result sign.env "SIGN_TXS=$TXS" "SIGN_WALL=$SIGN_WALL" "SIGN_CPU=$SIGN_CPU" "SIGN_RSS_KB=$SIGN_RSS" "SIGN_STATUS=$SIGN_STATUS" \
  "SIGN_RATIO=$P_RATIO" "SIGN_RATIO_MULTI=$P_MULTI" \
  "MINE_TXS=$TXS" "MINE_WALL=$MINE_WALL" "MINE_CPU=$MINE_CPU" "MINE_RSS_KB=$MINE_RSS" "MINE_STATUS=$MINE_STATUS" \
  "OSSL_SIGN=$P_OSSL" "CORES=$CORES" "SIGN_FLOOR=$SIGN_FLOOR"
awk -v n="$TXS" -v w="$SIGN_WALL" -v c="$SIGN_CPU" -v r="$SIGN_RSS" -v o="$P_OSSL" -v k="$CORES" \
    -v ratio="$P_RATIO" -v multi="$P_MULTI" -v mw="$MINE_WALL" -v mr="$MINE_RSS" -v floor="$SIGN_FLOOR" 'BEGIN {
  printf "bench-sign: %d readings (the median round)\n", n
  printf "  ehx-sign --key   %7.2f s  %8.0f tx/s  (%.0f per CPU-second), peak RSS %.1f MB\n", w, n / w, n / c, r / 1024
  printf "  openssl sign     %8.0f /s per core x %d cores = %.0f /s\n", o, k, o * k
  printf "  ratio            %.3f of OpenSSL x cores (target >= 0.90), median of the rounds; %.3f of openssl -multi %d\n", ratio, multi, k
  printf "  per CPU-second   %.3f of one core (the cost per signature, whatever the other core does)\n", n / c / o
  if (floor != "") printf "  floor            %.3f per CPU-second: jansson and Ed25519 alone (scripts/ed25519-floor.c)\n", floor
  printf "  ehx-mine         %7.2f s  %8.0f tx/s into blocks of 2000, peak RSS %.1f MB\n", mw, n / mw, mr / 1024
}'
