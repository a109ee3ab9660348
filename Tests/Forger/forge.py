#!/usr/bin/env python3
"""Writes the forger corpus: `forge.py OUTDIR [FAMILY...]`.

Needs `cryptography` and `rfc8785` (make test-deps puts them in
.deps/python). Exit 0 with OUTDIR/manifest.json written; 2 when a module
is missing, so the caller can skip."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import cryptography  # noqa: F401
    import rfc8785  # noqa: F401
except ImportError as e:
    print(f"forge.py: {e}: run make test-deps", file=sys.stderr)
    sys.exit(2)

from ehxforge.attacks import families  # noqa: E402
from ehxforge.corpus import Corpus  # noqa: E402
from ehxforge.world import World  # noqa: E402


def main(argv):
    if len(argv) < 2:
        print("usage: forge.py OUTDIR [FAMILY...]", file=sys.stderr)
        return 64
    corpus = Corpus(argv[1])
    world = World(corpus)
    wanted = set(argv[2:])
    for name, module in families():
        if wanted and name not in wanted:
            continue
        corpus.family = name
        module.generate(corpus, world)
    corpus.save()
    print(f"forge.py: {len(corpus.cases)} cases in {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
