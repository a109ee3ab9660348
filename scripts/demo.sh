#!/usr/bin/env bash
# ehx end-to-end demo: keys, PSKs, genesis, device MACs, ingest, sign, mine,
# verify, query. Everything goes into a fresh ./demo/ (gitignored).
#   BIN=.build/release scripts/demo.sh      (what `make demo` runs)
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
for t in keygen ingest sign mine verify query; do
  if [ ! -x "$BIN/ehx-$t" ]; then
    echo "demo: $BIN/ehx-$t not found; run 'make build' or set BIN" >&2
    exit 66
  fi
done
PATH="$(cd "$BIN" && pwd):$PATH"

step() { printf '\n== %s\n' "$*"; }
count() { if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }

# Run a tool whose exit 65 means "some input lines were rejected" (they are in
# its --rejects file). Exit 0 or 65 goes on; anything else stops the demo.
tolerate65() {
  local rc=0
  "$@" || rc=$?
  case $rc in
    0) ;;
    65) echo "   $1 exited 65: some lines were rejected (expected here)" >&2 ;;
    *) echo "demo: $1 failed with exit $rc" >&2; exit "$rc" ;;
  esac
}

# "  3  reason" per distinct reason in a rejects file; raw lines if it has none.
reasons() {
  [ -s "$1" ] || return 0
  local re='"reason":"([^"\\]|\\.)*"'
  if grep -Eq "$re" "$1"; then
    grep -Eo "$re" "$1" | sed 's/^"reason":"//; s/"$//; s/\\"/"/g' | sort | uniq -c | sed 's/^/     /'
  else
    cut -c1-120 "$1" | sed 's/^/     /'
  fi
}

rm -rf demo
mkdir demo

step "keys: authority (the CSP), gateway, miner"
ehx-keygen key --role authority -o demo/authority
ehx-keygen key --role gateway   -o demo/gateway
ehx-keygen key --role miner     -o demo/miner

step "device PSKs for: $(tr '\n' ' ' < examples/devices.txt)"
while read -r dev; do
  [ -n "$dev" ] || continue
  ehx-keygen psk --device "$dev" --psk demo/devices.psk < /dev/null
done < examples/devices.txt

step "genesis block: chain demo-ward, bits 1f00ffff, grants gateway (bound to the PSK file's devices) and miner"
ehx-keygen genesis --authority demo/authority.key --bits 1f00ffff --name demo-ward \
  --grant gateway=demo/gateway.pub --grant miner=demo/miner.pub \
  --bind demo/gateway.pub=@demo/devices.psk -o demo/chain.jsonl

step "devices attach MACs (ehx-sign --psk); lines that are not JSON are rejected"
tolerate65 ehx-sign --psk demo/devices.psk --rejects demo/device-rejects.jsonl \
  examples/readings.jsonl > demo/readings.jsonl

step "gateway checks MACs, seqs, times, kinds and ranges; scores NEWS2; raises alerts (ehx-ingest)"
tolerate65 ehx-ingest --psk demo/devices.psk --state demo/ingest-state.json --rejects demo/rejects.jsonl \
  --alerts demo/alerts.jsonl demo/readings.jsonl > demo/accepted.jsonl
echo "   state file demo/ingest-state.json: $(grep -o '"seq":[0-9]*' demo/ingest-state.json | wc -l | tr -d ' ') devices, baselines per patient"
echo "   first NEWS2 alert:"
grep -m1 '"news2"' demo/alerts.jsonl | cut -c1-300 | sed 's/^/     /'

step "a second run over the same file: every reading is now a replay (state kept across runs)"
rc=0
ehx-ingest -q --psk demo/devices.psk --state demo/ingest-state.json --rejects demo/replays.jsonl \
  demo/readings.jsonl > /dev/null 2> /dev/null || rc=$?
echo "   exit $rc; $(count demo/replays.jsonl) lines refused (replays), nothing accepted"

step "gateway signs readings and the alerts in the same stream as transactions (ehx-sign --key)"
ehx-sign --key demo/gateway.key demo/accepted.jsonl > demo/txs.jsonl

step "miner batches $(count demo/txs.jsonl) transactions into blocks of at most 300 (ehx-mine)"
ehx-mine --chain demo/chain.jsonl --key demo/miner.key --max-txs 300 < demo/txs.jsonl

step "verify the whole chain against its genesis hash (ehx-verify)"
genesis=$(ehx-query --chain demo/chain.jsonl block 0 --hash)
if ! ehx-verify --genesis "$genesis" demo/chain.jsonl; then
  echo "demo: the chain did not verify" >&2
  exit 1
fi

step "tip (ehx-query tip)"
ehx-query --chain demo/chain.jsonl tip

step "first alerts on the chain (ehx-query txs --type alert)"
ehx-query --chain demo/chain.jsonl txs --type alert > demo/alert-txs.jsonl
head -n 3 demo/alert-txs.jsonl | cut -c1-200

step "privacy: a clinician's reader key, a read policy, five readings sealed (ehx-sign --seal) and opened"
ehx-keygen key --role clinician --enc -o demo/drlee
ehx-keygen pseudonym -o demo/pseudonym.key
{ ehx-keygen grant --role clinician --key demo/drlee.pub --enc demo/drlee.enc.pub \
    | ehx-sign -q --type key --key demo/authority.key
  # Sealed readings carry device pseudonyms: bind the gateway to those too.
  ehx-keygen grant --role gateway --key demo/gateway.pub --psk demo/devices.psk --pseudonym-key demo/pseudonym.key \
    | ehx-sign -q --type key --key demo/authority.key
  echo '{"read":{"clinician":["*"],"physio":["*"],"researcher":["*"]},"view":{"researcher":"research","auditor":"metadata"}}' \
    | ehx-sign -q --type policy --key demo/authority.key; } > demo/privacy-setup.jsonl
ehx-mine -q --chain demo/chain.jsonl --key demo/miner.key demo/privacy-setup.jsonl
grep -v '^{"body":' demo/accepted.jsonl | tail -n 5 \
  | ehx-sign -q --seal --chain demo/chain.jsonl --genesis "$genesis" --pseudonym-key demo/pseudonym.key --key demo/gateway.key > demo/sealed-txs.jsonl
ehx-mine -q --chain demo/chain.jsonl --key demo/miner.key demo/sealed-txs.jsonl
echo "   on the chain (anyone):"
ehx-query --chain demo/chain.jsonl txs --type reading | tail -n 1 | cut -c1-160
echo "   opened by the clinician, recorded in demo/spool:"
ehx-query --chain demo/chain.jsonl txs --type reading --key demo/drlee.key \
  --audit-spool demo/spool --reason "demo ward round" | grep '"opened"' | tail -n 1
cat demo/spool/new/* | ehx-mine -q --chain demo/chain.jsonl --key demo/miner.key

blocks=$(count demo/chain.jsonl)
height=$((blocks - 1))
tip=$(ehx-query --chain demo/chain.jsonl block "$height" --hash)
audit=(ehx-verify --genesis "$genesis" --expect-tip "$tip" demo/chain.jsonl)

step "audit with genesis and tip pinned"
"${audit[@]}"

step "pages for people: a patient report per patient and the audit report (open them in a browser)"
for patient in P-0001 P-0002 P-0003; do
  ehx-query --chain demo/chain.jsonl report --patient "$patient" --key demo/drlee.key -o "demo/report-$patient.html"
done
ehx-verify -q --genesis "$genesis" --expect-tip "$tip" --report demo/audit.html demo/chain.jsonl
echo "   demo/report-P-0001.html demo/report-P-0002.html demo/report-P-0003.html demo/audit.html"

step "summary"
echo "   readings in        $(count examples/readings.jsonl)   examples/readings.jsonl"
echo "   rejected by device $(count demo/device-rejects.jsonl)   demo/device-rejects.jsonl"
reasons demo/device-rejects.jsonl
echo "   accepted           $(grep -vc "^{\"body\":" demo/accepted.jsonl)   demo/accepted.jsonl (readings; plus $(grep -c "^{\"body\":" demo/accepted.jsonl) alert envelopes)"
echo "   rejected by ingest $(count demo/rejects.jsonl)   demo/rejects.jsonl"
reasons demo/rejects.jsonl
echo "   alerts             $(count demo/alerts.jsonl)   demo/alerts.jsonl ($(count demo/alert-txs.jsonl) on the chain)"
echo "   transactions       $(count demo/txs.jsonl)   demo/txs.jsonl"
echo "   blocks             $blocks   demo/chain.jsonl (genesis + $height mined)"
echo "   verified tip       height $height $tip"
echo "   expected rejects and alerts: examples/README.md"
echo
echo "An auditor reruns, offline:"
echo "   ${audit[*]}"
