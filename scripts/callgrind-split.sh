#!/usr/bin/env bash
# Thousands of instructions per transaction by group, from two callgrind runs of
# the same binary: RUN on N transactions and START on a one-transaction input
# (genesis alone for ehx-verify, one reading for ehx-sign), subtracted as start-up.
#
#   scripts/callgrind-split.sh RUN.out START.out N LABEL
#
# Groups by inclusive cost: EVP_DigestVerify/EVP_DigestSign (the Ed25519 call),
# json_loadb + json_delete, SHA256_Update + SHA256_Final (the compression,
# wherever called), the rest; ChainAudit.check (the ordered rules) is shown
# apart and is part of the rest and SHA-256. See docs/profile-sign-verify.md.
set -euo pipefail
out=$1; start=$2; n=$3; label=$4
get() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk '
  function add(k) { v = $1; gsub(",", "", v); a[k] += v }
  /PROGRAM TOTALS/ { v = $1; gsub(",", "", v); a["total"] = v }
  / \?\?\?:EVP_DigestVerify \[/ || / \?\?\?:EVP_DigestSign \[/ { add("ed") }
  / \?\?\?:json_loadb \[/ || / \?\?\?:json_delete \[/ { add("json") }
  / \?\?\?:SHA256_Update \[/ || / \?\?\?:SHA256_Final \[/ { add("sha") }
  / \?\?\?:\$s9EHXShared10ChainAuditV5checkySayAA0C6ReportVGAA0B5BatchO8PreparedVF \[/ { add("rules") }
  END { printf "%.0f %.0f %.0f %.0f %.0f\n", a["total"], a["ed"], a["json"], a["sha"], a["rules"] }'
}
read -r T E J S R <<< "$(get "$out")"
read -r t e j s r <<< "$(get "$start")"
awk -v T="$T" -v E="$E" -v J="$J" -v S="$S" -v R="$R" -v t="$t" -v e="$e" -v j="$j" -v s="$s" -v r="$r" \
    -v n="$n" -v label="$label" 'BEGIN {
  w = T - t; ed = E - e; js = J - j; sh = S - s; ru = R - r; rest = w - ed - js - sh
  printf "%-14s Ed25519 %5.0fk  JSON %4.0fk  SHA-256 %4.0fk  rest %4.0fk (ordered rules %3.0fk)  all %5.0fk  start-up %5.1fM  ratio %.4f\n",
    label, ed / n / 1000, js / n / 1000, sh / n / 1000, rest / n / 1000, ru / n / 1000, w / n / 1000, t / 1e6, ed / w }'
