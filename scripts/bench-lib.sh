# Sourced by the bench scripts: run a command under /usr/bin/time -v and read
# wall seconds, CPU seconds (user + sys) and peak RSS (KiB) from it.
#   timed OUTFILE cmd...   (stdout of cmd to OUTFILE; "-" keeps it)
# sets T_WALL, T_CPU, T_RSS_KB, T_STATUS.
timed() {
  local out=$1; shift
  local tf; tf=$(mktemp)
  T_STATUS=0
  if [ -x /usr/bin/time ]; then
    if [ "$out" = - ]; then /usr/bin/time -v -o "$tf" "$@" || T_STATUS=$?
    else /usr/bin/time -v -o "$tf" "$@" > "$out" || T_STATUS=$?; fi
    T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.3f", s }' "$tf")
    T_CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.3f", u + s }' "$tf")
    T_RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
  else
    local t0 t1; t0=$(date +%s.%N)
    if [ "$out" = - ]; then "$@" || T_STATUS=$?; else "$@" > "$out" || T_STATUS=$?; fi
    t1=$(date +%s.%N)
    T_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'); T_CPU=$T_WALL; T_RSS_KB=0
  fi
  rm -f "$tf"
}

# Writes NAME=VALUE lines for bench-all.sh when BENCH_RESULTS is a directory.
result() { # result FILE NAME=VALUE...
  local file=$1; shift
  [ -n "${BENCH_RESULTS:-}" ] || return 0
  printf '%s\n' "$@" >> "$BENCH_RESULTS/$file"
}

# Ed25519 sign and verify rates of `openssl speed` on one core (sets OSSL_SIGN, OSSL_VERIFY).
openssl_ed25519() {
  local line
  line=$(openssl speed -mr -seconds "${OSSL_SECONDS:-3}" ed25519 2>/dev/null | awk -F: '/^\+F6:/ { print; exit }')
  # OpenSSL 3: +F6:<n>:253:Ed25519:<sign/s>:<verify/s>
  OSSL_SIGN=$(printf '%s' "$line" | awk -F: '{ printf "%.0f", $5 }')
  OSSL_VERIFY=$(printf '%s' "$line" | awk -F: '{ printf "%.0f", $6 }')
  case "$OSSL_SIGN" in ''|0) OSSL_SIGN= ;; esac
  if [ -z "$OSSL_SIGN" ]; then
    line=$(openssl speed -seconds "${OSSL_SECONDS:-3}" ed25519 2>/dev/null | awk '/^ *253 bits EdDSA \(Ed25519\)/ { print; exit }')
    OSSL_SIGN=$(printf '%s' "$line" | awk '{ print $(NF-1) }')
    OSSL_VERIFY=$(printf '%s' "$line" | awk '{ print $NF }')
  fi
}

# What all `cores` together reach right now with OpenSSL's own processes
# (`openssl speed -multi`), for sign or verify.
openssl_multi() { # openssl_multi sign|verify CORES
  openssl speed -seconds "${OSSL_SECONDS:-3}" -multi "$2" ed25519 2>/dev/null |
    awk -v op="$1" '/^ *253 bits EdDSA \(Ed25519\)/ { v = (op == "sign" ? $(NF-1) : $NF) } END { printf "%.0f", v + 0 }'
}

# Rounds of OpenSSL on one core, the measured command, then OpenSSL on every
# core: on this shared host the rate drifts by 10% and more within a minute,
# so each ratio compares rates taken seconds apart, and the median of the
# rounds (ROUNDS, default 3) is the figure.
#   paired_rounds sign|verify COUNT OUTFILE cmd...
# Prints a row per round; sets P_RATIO (median ratio to OpenSSL's one-core
# rate x cores), P_MULTI (median ratio to -multi), P_WALL, P_CPU and P_OSSL
# (the median round's), P_RSS_KB (largest), P_STATUS (first non-zero).
paired_rounds() {
  local op=$1 count=$2 out=$3; shift 3
  local rounds=${ROUNDS:-3} cores one multi rows="" i
  cores=$(nproc)
  P_STATUS=0; P_RSS_KB=0
  for i in $(seq 1 "$rounds"); do
    OSSL_SECONDS=2 openssl_ed25519
    if [ "$op" = sign ]; then one=$OSSL_SIGN; else one=$OSSL_VERIFY; fi
    timed "$out" "$@"
    if [ "$T_STATUS" != 0 ] && [ "$P_STATUS" = 0 ]; then P_STATUS=$T_STATUS; fi
    if [ "${T_RSS_KB:-0}" -gt "$P_RSS_KB" ]; then P_RSS_KB=$T_RSS_KB; fi
    multi=$(OSSL_SECONDS=2 openssl_multi "$op" "$cores")
    rows+="$T_WALL $T_CPU $one $multi"$'\n'
  done
  printf '%s' "$rows" | awk -v n="$count" -v k="$cores" -v op="$op" '{
    printf "  round %d: %7.2f s, %6.0f /s; openssl %s %6.0f /s x %d cores = %6.0f, -multi %d %6.0f; ratio %.3f, to -multi %.3f\n",
      NR, $1, n / $1, op, $3, k, $3 * k, k, $4, n / $1 / ($3 * k), ($4 > 0 ? n / $1 / $4 : 0) }'
  read -r P_RATIO P_MULTI P_WALL P_CPU P_OSSL <<< "$(printf '%s' "$rows" | awk -v n="$count" -v k="$cores" '
    { r[NR] = n / $1 / ($3 * k); m[NR] = ($4 > 0 ? n / $1 / $4 : 0); w[NR] = $1; c[NR] = $2; o[NR] = $3; ir[NR] = NR; im[NR] = NR }
    END {
      for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) {
        if (r[ir[j]] < r[ir[i]]) { t = ir[i]; ir[i] = ir[j]; ir[j] = t }
        if (m[im[j]] < m[im[i]]) { t = im[i]; im[i] = im[j]; im[j] = t }
      }
      a = ir[int((NR + 1) / 2)]; b = im[int((NR + 1) / 2)]
      printf "%.3f %.3f %s %s %s\n", r[a], m[b], w[a], c[a], o[a] }')"
}

# The bench chains' readings on stdout: 500 devices, 100 patients (device d
# watches patient d % 100), a reading per device per 10 s, kinds in rotation.
bench_readings() { # bench_readings N
  awk -v n="$1" 'BEGIN {
    srand(11); base = 1767225600
    for (k = 0; k < n; k++) {
      d = k % 500; t = base + int(k / 500) * 10; s = int(k / 500) + 1
      ts = strftime("%Y-%m-%dT%H:%M:%S", t, 1) ".000Z"
      kind = int(k / 500) % 4
      if (kind == 0) { kk = "heart_rate"; u = "/min"; v = 60 + int(rand() * 30) }
      else if (kind == 1) { kk = "spo2"; u = "%"; v = 94 + int(rand() * 6) }
      else if (kind == 2) { kk = "resp_rate"; u = "/min"; v = 12 + int(rand() * 8) }
      else { kk = "temperature"; u = "Cel"; v = sprintf("%.1f", 36.2 + rand() * 1.5) }
      printf "{\"device\":\"dev%d\",\"patient\":\"P-%04d\",\"seq\":%d,\"ts\":\"%s\",\"kind\":\"%s\",\"value\":%s,\"unit\":\"%s\"}\n", d, d % 100, s, ts, kk, v, u
    }
  }'
}

# The reading chain every chain-size bench shares (query, index, state,
# verify memory), generated once with the tools themselves (ehx-keygen,
# ehx-sign --key, ehx-mine) at the easiest target and cached in DIR
# (.bench/chain-N by convention): TXS readings from 500 devices watching 100
# patients (device d watches patient d % 100), one reading per device every
# 10 s from 2026-01-01T00:00:00Z, kinds in rotation, after a clinician reader
# with an X25519 key and a read policy (so ehx-sign --seal can start). DIR
# keeps the keys, a pseudonym key, and in DIR/complete the seconds making it
# took. An interrupted generation resumes where it stopped. Needs $BIN.
bench_chain() { # bench_chain DIR TXS LABEL
  [ -s "$1/chain.jsonl" ] && [ -e "$1/complete" ] && return 0
  local t0 done=0; t0=$(date +%s)
  if [ -s "$1/chain.jsonl" ] && [ "$(cat "$1/generating" 2>/dev/null)" = "$2" ]; then
    # An interrupted generation resumes: readings and signatures are
    # deterministic and ehx-mine appends whole blocks in input order, so the
    # readings on the chain are a prefix of the stream.
    # A torn last line (a block cut short by the kill) is cut first, as
    # ehx-mine would, so its readings are not counted as mined.
    if [ "$(tail -c 1 "$1/chain.jsonl" | od -An -tx1 | tr -d ' ')" != 0a ]; then
      truncate -s $(( $(stat -c %s "$1/chain.jsonl") - $(tail -n 1 "$1/chain.jsonl" | wc -c) )) "$1/chain.jsonl"
    fi
    done=$(grep -o '"type":"reading"' "$1/chain.jsonl" | wc -l)
    # The interrupted run ended when the chain was last written.
    echo $(( $(cat "$1/seconds") + $(stat -c %Y "$1/chain.jsonl") - $(cat "$1/started") )) > "$1/seconds"
    echo "$3: resuming $1 after $done of $2 transactions" >&2
  else
    rm -rf "$1"; mkdir -p "$1"
    echo "$3: generating $2 transactions in $1 (once)" >&2
    echo "$2" > "$1/generating"; echo 0 > "$1/seconds"
    for r in authority gateway miner; do "$BIN/ehx-keygen" key --role "$r" -o "$1/$r" >/dev/null; done
    "$BIN/ehx-keygen" pseudonym -o "$1/pseudonym.key" >/dev/null
    "$BIN/ehx-keygen" key --role clinician --enc -o "$1/reader" >/dev/null
    "$BIN/ehx-keygen" genesis --authority "$1/authority.key" --bits 207fffff --name bench \
        --max-block-txs 5000 --grant gateway="$1/gateway.pub" --grant miner="$1/miner.pub" \
        --bind "$1/gateway.pub=$(seq -f 'dev%g' -s , 0 499),bench-extra" -o "$1/chain.jsonl" >/dev/null
    "$BIN/ehx-keygen" grant --role clinician --key "$1/reader.pub" --enc "$1/reader.enc.pub" \
      | "$BIN/ehx-sign" -q --type key --key "$1/authority.key" \
      | "$BIN/ehx-mine" -q --chain "$1/chain.jsonl" --key "$1/miner.key" >/dev/null
    echo '{"read":{"clinician":["*"]}}' | "$BIN/ehx-sign" -q --type policy --key "$1/authority.key" \
      | "$BIN/ehx-mine" -q --chain "$1/chain.jsonl" --key "$1/miner.key" >/dev/null
  fi
  echo "$t0" > "$1/started"
  bench_readings "$2" | tail -n +"$((done + 1))" | "$BIN/ehx-sign" -q --key "$1/gateway.key" \
     | "$BIN/ehx-mine" -q --chain "$1/chain.jsonl" --key "$1/miner.key" --max-txs 4000 >/dev/null
  echo $(( $(cat "$1/seconds" 2>/dev/null || echo 0) + $(date +%s) - t0 )) > "$1/complete"
}

# The floor (scripts/ed25519-floor.c): what jansson and Ed25519 alone reach
# per CPU-second against `openssl speed`'s loop on the same transactions, in
# one process, in blocks a few milliseconds apart. No implementation that
# reads its JSON with jansson can do better; the gap between it and 0.9 is
# all that is left for everything else. Sets F_RATIO ("" when there is no C
# compiler or headers) and prints its line.
floor_ratio() { # floor_ratio sign|verify TXS.jsonl
  local exe=${TMPDIR:-/tmp}/ehx-ed25519-floor.$$ compiler c
  F_RATIO=
  # Swift's toolchain brings clang where no cc is installed.
  compiler=${CC:-}
  if [ -z "$compiler" ]; then
    for c in cc clang gcc; do command -v "$c" >/dev/null 2>&1 && { compiler=$c; break; }; done
  fi
  if [ -z "$compiler" ] || ! "$compiler" -O2 "$(dirname "${BASH_SOURCE[0]}")/ed25519-floor.c" -o "$exe" -lcrypto -ljansson 2>/dev/null; then
    echo "  floor: not measured (no C compiler, or no OpenSSL or jansson headers)" >&2
    return 0
  fi
  local line; line=$("$exe" "$1" "$2" "${FLOOR_ROUNDS:-5}") || { rm -f "$exe"; return 0; }
  rm -f "$exe"
  F_RATIO=$(printf '%s' "$line" | awk '{ print $3 }')
  echo "  $line"
}
