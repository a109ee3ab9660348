#!/usr/bin/env bash
# The index in SQLite and in PostgreSQL, side by side, on one machine:
#   scripts/bench-index.sh        (SIZES="1000000 10000000", CLIENTS=8, QUERIES=25)
#   SIZES=10000 scripts/bench-index.sh                    a smoke run
#   PGURI=postgresql://bench@db/ehx scripts/bench-index.sh   an existing server
# For each size: a reading chain (generated once, cached in .bench/chain-N/,
# the one bench-query.sh uses); `ehx-query index` into a fresh SQLite file and
# a fresh PostgreSQL database (rows per second loaded: transactions over wall
# time, chain parsing included); then, on each backend in turn, CLIENTS
# concurrent clients each run QUERIES patient queries (one patient, one hour)
# and as many time-range queries (every patient, one minute), each a whole
# `ehx-query txs` process as a script would run it; p50 and p99 of those
# latencies per backend. Both backends get the same queries, and every
# answer is compared between them (exit 1 when one differs). Without PGURI
# a PostgreSQL server is started in a temporary directory (initdb, pg_ctl;
# as the postgres user when run as root) and stopped at the end; with it,
# the ehx tables in that database are dropped before each load. Prints a table; writes RESULTS (bench/index-results.json).
# The machine's 1-minute load average is recorded before each load and after
# the queries, and the loader's own CPU seconds beside its wall time: on a
# shared machine wall-clock figures are only comparable within one run.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000000 10000000"}
CLIENTS=${CLIENTS:-8}
QUERIES=${QUERIES:-25}
SCRATCH=${SCRATCH:-.build}
RESULTS=${RESULTS:-bench/index-results.json}
BIN=${BIN:-$SCRATCH/release}
. scripts/bench-lib.sh

if [ ! -x "$BIN/ehx-query" ]; then
  echo "bench-index: building release tools into $BIN" >&2
  swift build -c release --scratch-path "${BIN%/release}" >&2
fi

server_dir=
stop_server() {
  [ -n "$server_dir" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$server_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$server_dir"
}
trap stop_server EXIT
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -z "${PGURI:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PGBIN/initdb" ] || { echo "bench-index: no PostgreSQL server (apt-get install postgresql, or set PGURI)" >&2; exit 69; }
  server_dir=$(mktemp -d /tmp/ehx-bench-pg.XXXXXX)
  [ "$(id -u)" -ne 0 ] || chown postgres "$server_dir"
  as_pg "$PGBIN/initdb" -D "$server_dir/data" -U ehx -A trust -E UTF8 --locale=C >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$server_dir/data" -l "$server_dir/server.log" -w \
      -o "-k $server_dir -c listen_addresses= -c max_connections=40 -c shared_buffers=256MB" start >/dev/null
  admin="postgresql:///postgres?host=$server_dir&user=ehx"
  pg_uri() { echo "postgresql:///$1?host=$server_dir&user=ehx"; }
  psql_admin() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "$1"; }
else
  pg_uri() { psql -X -q -v ON_ERROR_STOP=1 -d "$PGURI" -c "DROP TABLE IF EXISTS txs, blocks, meta" >&2; echo "$PGURI"; }
  psql_admin() { :; }
fi

ms_now() { date +%s%N; }
percentile() { # percentile P FILE  (nearest rank)
  sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } i = int(p * NR + 0.999999); if (i < 1) i = 1; printf "%.1f", v[i] }'
}

# One client on one backend: QUERIES rounds of a patient query and a
# time-range query, latencies in ms to OUTDIR/BACKEND.KIND.ms, each answer
# kept for the comparison. The seed depends on the client only, so both
# backends get the same queries.
client() { # client N BACKEND DB CHAIN SPAN OUTDIR
  local n=$1 backend=$2 db=$3 chain=$4 span=$5 out=$6 i t0 t1 p from to base=1767225600
  RANDOM=$((n * 7919))
  for i in $(seq "$QUERIES"); do
    printf -v p 'P-%04d' $((RANDOM % 100))  # not in $(...): a subshell reseeds RANDOM
    from=$((base + (RANDOM * 32768 + RANDOM) % (span > 3600 ? span - 3600 : 1)))
    to=$((from + 3600))
    t0=$(ms_now)
    "$BIN/ehx-query" --chain "$chain" txs --db "$db" --patient "$p" --since "$from" --until "$to" --format jsonl > "$out/$backend.$n.$i.patient"
    t1=$(ms_now); echo $(( (t1 - t0) / 1000 )) | awk '{ printf "%.3f\n", $1 / 1000 }' >> "$out/$backend.patient.ms"
    from=$((base + (RANDOM * 32768 + RANDOM) % (span > 60 ? span - 60 : 1)))
    to=$((from + 60))
    t0=$(ms_now)
    "$BIN/ehx-query" --chain "$chain" txs --db "$db" --since "$from" --until "$to" --format jsonl > "$out/$backend.$n.$i.range"
    t1=$(ms_now); echo $(( (t1 - t0) / 1000 )) | awk '{ printf "%.3f\n", $1 / 1000 }' >> "$out/$backend.range.ms"
  done
}

rows=()
entries=()
status=0
for size in $SIZES; do
  dir=.bench/chain-$size
  bench_chain "$dir" "$size" bench-index
  # A private copy: other benches append to the shared chain and cut it
  # back, which would make the SQLite index stale (and its queries scans)
  # halfway through. A block being appended while we copy is cut off.
  work=$SCRATCH/bench-index
  mkdir -p "$work"
  chain=$work/chain-$size.jsonl
  cp "$dir/chain.jsonl" "$chain"
  torn=$(tail -c 1048576 "$chain" | awk '{ n = length($0) } END { print n + 0 }')
  [ -z "$(tail -c 1 "$chain" | tr -d '\n')" ] || truncate -s $(( $(stat -c %s "$chain") - torn )) "$chain"
  span=$(( size / 500 * 10 ))

  load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  sqlite=$work/chain-$size.index.sqlite
  rm -f "$sqlite" "$sqlite-wal" "$sqlite-shm"
  timed "$work/sqlite-index.json" "$BIN/ehx-query" --chain "$chain" index --db "$sqlite" -q
  sqlite_s=$T_WALL sqlite_cpu=$T_CPU
  ntx=$(sed -n 's/.*"transactions":\([0-9]*\).*/\1/p' "$work/sqlite-index.json")

  psql_admin "DROP DATABASE IF EXISTS ehx_bench_$size" >/dev/null 2>&1 || true
  psql_admin "CREATE DATABASE ehx_bench_$size"
  pg=$(pg_uri "ehx_bench_$size")
  timed "$work/pg-index.json" "$BIN/ehx-query" --chain "$chain" index --db "$pg" -q
  pg_s=$T_WALL pg_cpu=$T_CPU

  # The same load on each backend in turn: CLIENTS at once, nothing else.
  out=$(mktemp -d)
  for c in $(seq "$CLIENTS"); do client "$c" sqlite "$sqlite" "$chain" "$span" "$out" & done
  wait
  for c in $(seq "$CLIENTS"); do client "$c" pg "$pg" "$chain" "$span" "$out" & done
  wait
  load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  nq=$(cat "$out"/sqlite.patient.ms "$out"/pg.patient.ms "$out"/sqlite.range.ms "$out"/pg.range.ms | wc -l)
  [ "$nq" -eq $((4 * CLIENTS * QUERIES)) ] || { echo "bench-index: $size: $nq latencies, expected $((4 * CLIENTS * QUERIES))" >&2; status=1; }
  for f in "$out"/sqlite.*.*.*; do
    cmp -s "$f" "$out/pg.${f#"$out"/sqlite.}" || { echo "bench-index: $size: ${f##*/}: SQLite and PostgreSQL answers differ" >&2; status=1; }
  done
  line=$(awk -v n="$ntx" -v s="$sqlite_s" -v p="$pg_s" 'BEGIN { printf "%d %.0f %.0f", n, n / s, n / p }')
  set -- $line
  stats="$(percentile 0.5 "$out/sqlite.patient.ms") $(percentile 0.99 "$out/sqlite.patient.ms") $(percentile 0.5 "$out/pg.patient.ms") $(percentile 0.99 "$out/pg.patient.ms")"
  stats="$stats $(percentile 0.5 "$out/sqlite.range.ms") $(percentile 0.99 "$out/sqlite.range.ms") $(percentile 0.5 "$out/pg.range.ms") $(percentile 0.99 "$out/pg.range.ms")"
  rows+=("$1 $2 $3 $stats $sqlite_s $sqlite_cpu $pg_s $pg_cpu $load_before $load_after")
  read -r sp50 sp99 pp50 pp99 sr50 sr99 pr50 pr99 <<< "$stats"
  entries+=("{\"transactions\":$1,\"clients\":$CLIENTS,\"queries_per_client\":$QUERIES,\"load_average\":{\"before\":$load_before,\"after_queries\":$load_after},\"sqlite\":{\"load_rows_per_s\":$2,\"load_wall_s\":$sqlite_s,\"loader_cpu_s\":$sqlite_cpu,\"patient_ms\":{\"p50\":$sp50,\"p99\":$sp99},\"range_ms\":{\"p50\":$sr50,\"p99\":$sr99}},\"postgres\":{\"load_rows_per_s\":$3,\"load_wall_s\":$pg_s,\"loader_cpu_s\":$pg_cpu,\"patient_ms\":{\"p50\":$pp50,\"p99\":$pp99},\"range_ms\":{\"p50\":$pr50,\"p99\":$pr99}}}")
  rm -rf "$out" "$chain" "$sqlite" "$sqlite-wal" "$sqlite-shm"
done
json="[$(IFS=,; echo "${entries[*]}")]"

printf '%-12s %-10s %12s %16s %22s %22s\n' transactions backend "load rows/s" "wall/cpu s" "patient p50/p99 ms" "range p50/p99 ms"
for r in "${rows[@]}"; do
  set -- $r
  printf '%-12s %-10s %12s %16s %22s %22s\n' "$1" sqlite "$2" "${12} / ${13}" "$4 / $5" "$8 / $9"
  printf '%-12s %-10s %12s %16s %22s %22s\n' "" postgres "$3" "${14} / ${15}" "$6 / $7" "${10} / ${11}"
  echo "(load average ${16} before the loads, ${17} after the queries)"
done
echo "($CLIENTS concurrent clients per backend, one backend at a time, $QUERIES queries of each kind per client; a query is a whole ehx-query process;"
echo " wall/cpu: the load's wall seconds and the ehx-query loader's own CPU seconds, the PostgreSQL server's not included)"
mkdir -p "$(dirname "$RESULTS")"
printf '%s\n' "$json" > "$RESULTS"
exit "$status"
