#!/usr/bin/env bash
# make fuzz: libFuzzer over the reading, transaction and block-line parsers,
# the gateway's own reading path against the value path, and the JCS
# canonical form.
#
#   scripts/fuzz.sh [TARGET...]      (default: reading gateway transaction block jcs)
#
# Builds one fuzzer executable outside SwiftPM: swiftc -sanitize=fuzzer,address
# over Sources/EHXShared/**/*.swift + Tests/Fuzz/FuzzMain.swift, linked with
# libcrypto, jansson and the CSHA256d C kernel (compiled by clang with the
# same sanitizers). EHX_FUZZ_TARGET selects the parser at run time.
# Each target runs FUZZ_SECONDS (default 60) from the committed seed corpus
# Tests/Fuzz/corpus/<target>/ (new inputs go to .fuzz/corpus/<target>/, not
# committed). A crash leaves crash-* in .fuzz/artifacts/<target>/ and the
# script exits 1; turn it into a regression test (Tests/EHXSharedTests) and
# add the input to the seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(reading gateway transaction block jcs)
OUT=.fuzz
BIN=$OUT/ehx-fuzz
mkdir -p "$OUT/include/CSHA256d"

SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-$(dirname "$(readlink -f "$(command -v "$SWIFTC")")")/clang}
[ -x "$CLANG" ] || CLANG=clang

sources=$(find Sources/EHXShared -name '*.swift' | sort)
newest=$(ls -t $sources Tests/Fuzz/FuzzMain.swift Sources/CSHA256d/sha256d.c scripts/fuzz.sh | sed -n 1p)
if [ ! -x "$BIN" ] || [ "$newest" -nt "$BIN" ]; then
  echo "fuzz: building $BIN (swiftc -sanitize=fuzzer,address) ..." >&2
  cat > "$OUT/include/CSHA256d/module.modulemap" <<MAP
module CSHA256d {
    header "$PWD/Sources/CSHA256d/include/csha256d.h"
    export *
}
MAP
  "$CLANG" -c -O1 -fsanitize=fuzzer-no-link,address -I Sources/CSHA256d/include \
    Sources/CSHA256d/sha256d.c -o "$OUT/sha256d.o"
  # shellcheck disable=SC2086
  "$SWIFTC" -O -g -sanitize=fuzzer,address -parse-as-library -module-name EHXShared \
    -I Sources/COpenSSL -I Sources/CJansson -I Sources/CSQLite -I Sources/CPostgres -I "$OUT/include/CSHA256d" \
    $(pkg-config --cflags-only-I libcrypto jansson sqlite3 libpq | sed 's/-I/-Xcc -I/g') \
    $sources Tests/Fuzz/FuzzMain.swift "$OUT/sha256d.o" \
    $(pkg-config --libs libcrypto jansson sqlite3 libpq) -o "$BIN"
fi

status=0
for t in "${TARGETS[@]}"; do
  seeds=Tests/Fuzz/corpus/$t
  [ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 66; }
  mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
  echo "fuzz: $t for ${SECONDS_EACH}s from $seeds ..." >&2
  if ! EHX_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0 "$BIN" \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" \
      "$OUT/corpus/$t" "$seeds" 2> "$OUT/$t.log"; then
    status=1
    echo "fuzz: $t FOUND A CRASH; see $OUT/$t.log and $OUT/artifacts/$t/" >&2
    grep -m5 -E 'ERROR|Fatal|SUMMARY' "$OUT/$t.log" >&2 || true
  else
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1)
    echo "fuzz: $t: ${runs:-?} runs, ${cov:-cov ?}, no crash" >&2
  fi
done
exit $status
