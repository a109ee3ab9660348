#!/usr/bin/env bash
# Regenerates completions/ (bash, zsh, fish) from the tools' argument parsers
# (swift-argument-parser's --generate-completion-script).
#
#   scripts/gen-completions.sh       (make completions)
#
# Builds the tools in SCRATCH (default .build-man, as scripts/gen-man.sh) unless
# BIN names a directory that already holds them; gen-man.sh calls this with its
# own build. Each script is written beside its final name and renamed into
# place, so an interrupted run leaves the old one whole.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-man}
TOOLS=${TOOLS:-"ehx-keygen ehx-ingest ehx-sign ehx-mine ehx-verify ehx-query"}
if [ -z "${BIN:-}" ]; then
  swift build --scratch-path "$SCRATCH" >&2
  BIN=$SCRATCH/debug
fi

mkdir -p completions
for tool in $TOOLS; do
  for shell in bash zsh fish; do
    case $shell in
      bash) out=completions/$tool.bash ;;
      zsh) out=completions/_$tool ;;
      fish) out=completions/$tool.fish ;;
    esac
    "$BIN/$tool" --generate-completion-script "$shell" > "$out.tmp"
    mv "$out.tmp" "$out"
  done
done
echo "gen-completions: completions/ (bash, zsh, fish)" >&2
