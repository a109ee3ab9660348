#!/usr/bin/env bash
# make bench: one command, one run, one machine. Builds the release tools,
# then measures each tool against its reference in the same run and prints
# one table; writes bench/results.json.
#
#   mine    scripts/bench.sh         ehx-mine --bench vs the SHA-256 compression
#                                    ceiling of openssl speed (and cpuminer if on PATH)
#   ingest  scripts/bench-ingest.sh  ehx-ingest vs jq -c . on the same 1 M-line file
#   sign    scripts/bench-sign.sh    ehx-sign --key (all cores) on 200 k readings vs openssl
#                                    speed ed25519 sign x cores; ehx-mine of them
#   verify  scripts/bench-verify.sh  ehx-verify on a 200 k-tx chain vs openssl
#                                    verify x cores; then 10^4, 10^5, 10^6 txs
#                                    for growth of time and peak RSS
#   state   scripts/bench-state.sh   cron, seal, append, report and fhir runs against
#                                    chain size (STATE_SIZES, default 10^5 and 10^6)
#   e2e     scripts/bench-e2e.sh     raw readings to a verified chain (E2E_READINGS,
#                                    default 10^6): readings/s and each stage's time
#   memory  scripts/bench-memory.sh  ehx-verify's peak RSS at 10^5, 10^6, 10^7 txs vs
#                                    64 MB + 16 B/tx (MEM_SIZES)
#
# Generated inputs are cached under .bench/ (gitignored), so only the first
# run pays for them. Environment: SCRATCH (SwiftPM scratch path, default
# .build), NO_BUILD=1, INGEST_LINES, SIGN_TXS, VERIFY_TXS, VERIFY_SIZES
# ("10000 100000 1000000"), BENCH_SECONDS (mining, per run), THREADS.
# The sub-scripts also run on their own (see each one's header).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
export BIN=${BIN:-$SCRATCH/release}
INGEST_LINES=${INGEST_LINES:-1000000}
SIGN_TXS=${SIGN_TXS:-200000}
VERIFY_TXS=${VERIFY_TXS:-200000}
VERIFY_SIZES=${VERIFY_SIZES:-10000 100000 1000000}
STATE_SIZES=${STATE_SIZES:-100000 1000000}

if [ -z "${NO_BUILD:-}" ]; then
  echo "bench: swift build -c release --scratch-path $SCRATCH" >&2
  swift build -c release --scratch-path "$SCRATCH" >&2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time for peak RSS" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y time >&2 || echo "bench: no /usr/bin/time; RSS will read 0" >&2
fi
command -v jq >/dev/null || { echo "bench: installing jq" >&2; if [ "$(id -u)" = 0 ]; then apt-get install -y jq >&2; else sudo apt-get install -y jq >&2; fi; }

export BENCH_RESULTS; BENCH_RESULTS=$(mktemp -d)
trap 'rm -rf "$BENCH_RESULTS"' EXIT
mkdir -p bench .bench
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

MINE_OUT=$BENCH_RESULTS/mine.json bash scripts/bench.sh | tee "$BENCH_RESULTS/mine.txt" >&2
LINES=$INGEST_LINES bash scripts/bench-ingest.sh >&2
TXS=$SIGN_TXS bash scripts/bench-sign.sh >&2
TXS=$VERIFY_TXS bash scripts/bench-verify.sh >&2
for n in $VERIFY_SIZES; do
  [ "$n" = "$VERIFY_TXS" ] && [ -f "$BENCH_RESULTS/verify-$n.env" ] && continue
  SKIP_OPENSSL=1 TXS=$n bash scripts/bench-verify.sh >&2
done
# Cost of each run against the chain's size with the chain-state snapshot.
SIZES="$STATE_SIZES" bash scripts/bench-state.sh > "$BENCH_RESULTS/state.txt" || echo "bench: a chain-state run failed (see the table)" >&2
# Raw readings to a verified chain, the time of each stage.
READINGS=${E2E_READINGS:-1000000} bash scripts/bench-e2e.sh > "$BENCH_RESULTS/e2e.txt" || echo "bench: the end-to-end run failed" >&2
# Verification memory against chain length (64 MB + 16 B/tx).
bash scripts/bench-memory.sh > "$BENCH_RESULTS/memory.txt" || echo "bench: a verify-memory run failed (see the table)" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Collect NAME=VALUE results.
. "$BENCH_RESULTS/ingest.env"
. "$BENCH_RESULTS/sign.env"
for n in $VERIFY_TXS $VERIFY_SIZES; do
  while IFS='=' read -r k v; do printf -v "V${n}_$k" '%s' "$v"; done < "$BENCH_RESULTS/verify-$n.env"
done
jfield() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$BENCH_RESULTS/mine.json" | sed -n 1p; }
CEILING=$(jfield ceiling_sha256d_per_core)
M1=$(jfield ehx_one_thread_per_cpu_second)
MN=$(jfield ehx_all_threads_per_cpu_second)
M1W=$(sed -n 's/.*"ehx_one_thread": {[^}]*"hashes_per_second":\([0-9.]*\).*/\1/p' "$BENCH_RESULTS/mine.json")
MNW=$(sed -n 's/.*"ehx_all_threads": {[^}]*"hashes_per_second":\([0-9.]*\).*/\1/p' "$BENCH_RESULTS/mine.json")
THREADS=${THREADS:-$(nproc)}
vname() { eval "printf '%s' \"\${V$1_$2:-0}\""; }
VT=$VERIFY_TXS

TABLE=$(awk -v cores="$CORES" -v threads="$THREADS" \
  -v il="$INGEST_LINES" -v iw="$INGEST_WALL" -v ic="$INGEST_CPU" -v ir="$INGEST_RSS_KB" -v i1="$INGEST_ONE_WALL" \
  -v jw="$JQ_WALL" -v jr="$JQ_RSS_KB" \
  -v sn="$SIGN_TXS" -v sw="$SIGN_WALL" -v sr="$SIGN_RSS_KB" -v os="$OSSL_SIGN" -v ov="$(vname "$VERIFY_TXS" OSSL)" \
  -v sratio="$SIGN_RATIO" -v smulti="$SIGN_RATIO_MULTI" -v vratio="$(vname "$VERIFY_TXS" RATIO)" -v vmulti="$(vname "$VERIFY_TXS" RATIO_MULTI)" \
  -v mn="$MINE_TXS" -v mw="$MINE_WALL" -v mr="$MINE_RSS_KB" -v sfloor="${SIGN_FLOOR:-}" -v vfloor="$(vname "$VERIFY_TXS" FLOOR)" \
  -v vt="$(vname "$VT" NTX)" -v vw="$(vname "$VT" WALL)" -v vr="$(vname "$VT" RSS_KB)" \
  -v ceil="$CEILING" -v m1="$M1" -v mN="$MN" -v m1w="$M1W" -v mNw="$MNW" \
  -v sizes="$VERIFY_SIZES" -v scal="$(for n in $VERIFY_SIZES; do printf '%s:%s:%s:%s:%s ' "$n" "$(vname "$n" NTX)" "$(vname "$n" WALL)" "$(vname "$n" RSS_KB)" "$(vname "$n" GEN_SECONDS)"; done)" '
function ok(x, t) { return x >= t ? "ok" : "BELOW" }
BEGIN {
  fmt = "%-34s %13s %13s %7s  %-22s %9s\n"
  printf fmt, "measure", "ehx", "reference", "ratio", "target", "peak RSS"
  printf fmt, "-------", "---", "---------", "-----", "------", "--------"
  irate = il / iw; jrate = il / jw
  printf fmt, "ingest lines/s (vs jq -c .)", sprintf("%.0f", irate), sprintf("%.0f", jrate), sprintf("%.2f", irate / jrate), ">= 1x jq: " ok(irate / jrate, 1), sprintf("%.0f MB", ir / 1024)
  printf fmt, "ingest lines/s, 1 thread (1 core)", sprintf("%.0f", il / i1), "250000", sprintf("%.2f", il / i1 / 250000), ">= 250k/s/core: " ok(il / i1, 250000), "jq " sprintf("%.0f MB", jr / 1024)
  printf fmt, "ingest lines/s per CPU-s, " threads " thr", sprintf("%.0f", il / ic), "250000", sprintf("%.2f", il / ic / 250000), "(per core) " ok(il / ic, 250000), ""
  srate = sn / sw
  printf fmt, "sign tx/s (vs openssl x " cores ")", sprintf("%.0f", srate), sprintf("%.0f", os * cores), sprintf("%.3f", sratio), ">= 0.90: " ok(sratio, 0.9), sprintf("%.0f MB", sr / 1024)
  printf fmt, "sign, ratio to openssl -multi " cores, "", "", sprintf("%.3f", smulti), "(median of rounds)", ""
  if (sfloor != "" && sfloor > 0) printf fmt, "sign floor: jansson + Ed25519, /CPU-s", "", "", sprintf("%.3f", sfloor), "(the most possible)", ""
  vrate = vt / vw
  printf fmt, "verify tx/s, " vt " txs (x " cores ")", sprintf("%.0f", vrate), sprintf("%.0f", ov * cores), sprintf("%.3f", vratio), ">= 0.90: " ok(vratio, 0.9), sprintf("%.0f MB", vr / 1024)
  printf fmt, "verify, ratio to openssl -multi " cores, "", "", sprintf("%.3f", vmulti), "(median of rounds)", ""
  if (vfloor != "" && vfloor > 0) printf fmt, "verify floor: jansson+SHA+Ed, /CPU-s", "", "", sprintf("%.3f", vfloor), "(the most possible)", ""
  printf fmt, "mine sha256d/s, 1 thread, /CPU-s", sprintf("%.0f", m1), sprintf("%.0f", ceil), sprintf("%.2f", m1 / ceil), ">= 0.80: " ok(m1 / ceil, 0.8), ""
  printf fmt, "mine sha256d/s, " threads " threads, /CPU-s", sprintf("%.0f", mN), sprintf("%.0f", ceil), sprintf("%.2f", mN / ceil), "(per core) " ok(mN / ceil, 0.8), ""
  printf fmt, "mine sha256d/s wall, 1 thread", sprintf("%.0f", m1w), sprintf("%.0f", ceil), sprintf("%.2f", m1w / ceil), "(wall clock)", ""
  printf fmt, "mine sha256d/s wall, " threads " threads", sprintf("%.0f", mNw), sprintf("%.0f", threads * ceil), sprintf("%.2f", mNw / (threads * ceil)), "(vs " threads " x ceiling)", ""
  printf fmt, "mine: " mn " txs into blocks, tx/s", sprintf("%.0f", mn / mw), "", "", "", sprintf("%.0f MB", mr / 1024)
  printf "\nverify growth (%s threads)   %10s %9s %10s %10s %12s\n", threads, "txs", "seconds", "tx/s", "peak RSS", "generated in"
  n = split(scal, rows, " "); first_rss = 0; last_rss = 0
  for (i = 1; i <= n; i++) {
    split(rows[i], c, ":")
    printf "  %-9s readings%10s %10d %9.2f %10.0f %8.0f MB %10d s\n", c[1], "", c[2], c[3], c[2] / c[3], c[4] / 1024, c[5]
    if (i == 1) { first_rss = c[4]; first_n = c[2] } ; last_rss = c[4]; last_n = c[2]
  }
  if (first_rss > 0) printf "  memory: %.1fx the RSS for %.0fx the transactions (target: flat): %s\n", last_rss / first_rss, last_n / first_n, (last_rss / first_rss <= 2 ? "ok" : "GROWS")
}')
echo
echo "$TABLE"
printf '\nmachine: %s, %s cores; load average %s before, %s after; %d s in all\n' \
  "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(nproc)" "$load_before" "$load_after" $(( $(date +%s) - started ))

{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"nproc\": $(nproc),"
  echo "  \"cpu\": \"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | tr -d '"')\","
  echo "  \"loadavg_before\": \"$load_before\", \"loadavg_after\": \"$load_after\","
  echo "  \"ingest\": {\"lines\": $INGEST_LINES, \"bytes\": $INGEST_BYTES, \"seconds\": $INGEST_WALL, \"cpu_seconds\": $INGEST_CPU, \"one_thread_seconds\": $INGEST_ONE_WALL, \"peak_rss_kb\": $INGEST_RSS_KB, \"status\": $INGEST_STATUS,"
  echo "             \"jq_seconds\": $JQ_WALL, \"jq_peak_rss_kb\": $JQ_RSS_KB, \"targets\": \">= 1x jq and >= 250000 lines/s/core\"},"
  echo "  \"sign\": {\"txs\": $SIGN_TXS, \"seconds\": $SIGN_WALL, \"cpu_seconds\": $SIGN_CPU, \"peak_rss_kb\": $SIGN_RSS_KB, \"status\": $SIGN_STATUS,"
  echo "           \"openssl_sign_per_core\": $OSSL_SIGN, \"cores\": $CORES, \"ratio\": $SIGN_RATIO, \"ratio_to_multi\": $SIGN_RATIO_MULTI, \"floor\": ${SIGN_FLOOR:-null}, \"target\": \">= 0.90 of openssl x cores (median of paired rounds)\"},"
  echo "  \"mine_blocks\": {\"txs\": $MINE_TXS, \"seconds\": $MINE_WALL, \"peak_rss_kb\": $MINE_RSS_KB, \"status\": $MINE_STATUS},"
  echo "  \"verify\": {\"openssl_verify_per_core\": $(vname "$VERIFY_TXS" OSSL), \"ratio\": $(vname "$VERIFY_TXS" RATIO), \"ratio_to_multi\": $(vname "$VERIFY_TXS" RATIO_MULTI), \"floor\": $(vname "$VERIFY_TXS" FLOOR), \"target\": \">= 0.90 of openssl x cores (median of paired rounds); memory flat in chain length\", \"runs\": ["
  sep=""
  for n in $(printf '%s\n' $VERIFY_TXS $VERIFY_SIZES | sort -nu); do
    printf '%s    {"readings": %s, "txs": %s, "blocks": %s, "bytes": %s, "seconds": %s, "cpu_seconds": %s, "peak_rss_kb": %s, "status": %s, "threads": %s, "generated_in_seconds": %s}' \
      "$sep" "$n" "$(vname "$n" NTX)" "$(vname "$n" BLOCKS)" "$(vname "$n" BYTES)" "$(vname "$n" WALL)" "$(vname "$n" CPU)" "$(vname "$n" RSS_KB)" "$(vname "$n" STATUS)" "$(vname "$n" THREADS)" "$(vname "$n" GEN_SECONDS)"
    sep=$',\n'
  done
  echo; echo "  ]},"
  printf '  "mine": '; sed 's/^/  /' "$BENCH_RESULTS/mine.json" | sed '1s/^  //'
  echo "}"
} > bench/results.json
printf '\ncost of a run against chain size (chain-state snapshot)\n'; cat "$BENCH_RESULTS/state.txt"
echo; cat "$BENCH_RESULTS/e2e.txt" 2>/dev/null || true
printf '\n'; cat "$BENCH_RESULTS/memory.txt"
{ echo "$TABLE"; printf '\ncost of a run against chain size (chain-state snapshot)\n'; cat "$BENCH_RESULTS/state.txt"
  echo; cat "$BENCH_RESULTS/e2e.txt" 2>/dev/null || true
  printf '\n'; cat "$BENCH_RESULTS/memory.txt"; } > bench/table.txt
echo "bench: wrote bench/results.json and bench/table.txt" >&2
