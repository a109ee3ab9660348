"""The case registry and the manifest (`manifest.json`) the Swift end-to-end
test reads. Every case is one generated chain or proof, named after the
rule it breaks (or `valid-...` for an edge case both tools must accept),
with what ehx-verify must say about it and whether ehx-mine must refuse.

Manifest, one object per case under "cases":
  name        unique; starts with the rule's name
  rule        the rule of ehx.7 THE RULES it breaks ("" for valid cases)
  family      the attacks module that made it
  verify      {"args": [...] (run in the corpus directory),
               "status": expected exit status,
               "problems": [{"line", "height", "rule"[, "detail"]}] that must
                           be reported (chains, --json output; "detail" a
                           substring of the problem's detail); for proofs
                           [{"rule"}],
               "stderr": optional, a substring of the verdict line,
               "exact": true when no other problem may be reported}
  mine        null, or {"args": [...], "status": expected exit status,
               "rule": a rule name its stderr must name}
  known_issue null, or the issue item that still has to fix it
"""
import json
import os

from .keys import Key


class Corpus:
    def __init__(self, outdir: str):
        self.outdir = outdir
        self.cases: list[dict] = []
        self.family = ""
        os.makedirs(outdir, exist_ok=True)
        self._keys: dict[str, tuple[Key, str, str]] = {}

    def key(self, name: str) -> Key:
        """A named key, its files written once as keys/NAME.key and .pub."""
        if name not in self._keys:
            k = Key()
            os.makedirs(os.path.join(self.outdir, "keys"), exist_ok=True)
            priv, pub = k.write(os.path.join(self.outdir, "keys"), name)
            self._keys[name] = (k, "keys/" + name + ".key", "keys/" + name + ".pub")
        return self._keys[name][0]

    def key_file(self, name: str) -> str:
        self.key(name)
        return self._keys[name][1]

    def pub_file(self, name: str) -> str:
        self.key(name)
        return self._keys[name][2]

    def write(self, filename: str, data: bytes | list[bytes] | str) -> str:
        if isinstance(data, list):
            data = b"".join(data)
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(self.outdir, filename), "wb") as f:
            f.write(data)
        return filename

    def add(self, name: str, rule: str, verify_args: list[str], status: int, problems: list[dict],
            exact: bool = True, mine: dict | None = None, known_issue: str | None = None):
        if any(c["name"] == name for c in self.cases):
            raise ValueError(f"two cases named {name}")
        if rule and not name.startswith(rule):
            raise ValueError(f"case {name} must be named after its rule {rule}")
        self.cases.append({"name": name, "rule": rule, "family": self.family,
                           "verify": {"args": verify_args, "status": status, "problems": problems, "exact": exact},
                           "mine": mine, "known_issue": known_issue})

    def save(self):
        with open(os.path.join(self.outdir, "manifest.json"), "w") as f:
            json.dump({"cases": self.cases}, f, indent=1, sort_keys=True)


def problem(line: int, height: int, rule: str) -> dict:
    return {"line": line, "height": height, "rule": rule}
