"""The blob store beside a chain (ehx.7, ERASURE AND THE STORE), checked by
ehx-verify --store DIR: a stored body's blob missing, a blob whose bytes do
not hash to its name or do not belong to its transaction, and a blob the
chain's authority erased still in the store. The chains themselves are
valid (a rules-1 chain: its sealed-reader check needs no blob), so only
the store rule is reported; without --store the same chain is valid."""
import hashlib
import os

from .. import tx as txs
from ..chain import iso
from ..corpus import problem


def put(c, store: str, name: str, data: bytes):
    """Writes `data` at DIR/sha256/ab/cdef… for the hash `name` (not necessarily data's)."""
    d = os.path.join(c.outdir, store, "sha256", name[:2])
    os.makedirs(d, exist_ok=True)
    os.makedirs(os.path.join(c.outdir, store, "erased"), exist_ok=True)
    with open(os.path.join(d, name[2:]), "wb") as f:
        f.write(data)


def generate(c, w):
    blob = b'{"aad":"ehx-seal-v2","full":{"ct":"' + os.urandom(24).hex().encode() + b'","to":[]},"suite":"x"}'
    digest = hashlib.sha256(blob).hexdigest()
    chain = w.honest(blocks=1)
    t = chain.next_time()
    body = {"kind": "heart_rate", "ts": iso(t - 30), "seq": 1, "patient": "aa" * 32, "device": "bb" * 32,
            "stored": {"sha256": digest, "size": len(blob), "full": ["cc" * 32]}}
    stored_tx = txs.sign("reading", body, w.gateway, ts=iso(t - 20))
    chain.block(w.miner, [stored_tx])
    path = c.write("store-chain.jsonl", chain.lines())
    # The stored reading is on line 3 (height 2).
    c.add("valid-stored-body-without-store", "", [path], 0, [])

    os.makedirs(os.path.join(c.outdir, "store-empty", "sha256"), exist_ok=True)
    os.makedirs(os.path.join(c.outdir, "store-empty", "erased"), exist_ok=True)
    c.add("blob-missing-from-store", "blob-missing", ["--store", "store-empty", path], 1, [problem(3, 2, "blob-missing")])

    put(c, "store-flipped", digest, blob[:-1] + b"!")
    c.add("blob-corrupt-bytes-flipped", "blob-corrupt", ["--store", "store-flipped", path], 1, [problem(3, 2, "blob-corrupt")])

    # Hashes right, but is no sealed part bound to its transaction.
    put(c, "store-unbound", digest, blob)
    c.add("blob-corrupt-not-bound", "blob-corrupt", ["--store", "store-unbound", path], 1, [problem(3, 2, "blob-corrupt")])

    erased = chain.copy()
    t = erased.next_time()
    erasure = {"blobs": [digest], "request": "letter 12", "reason": "GDPR Art. 17", "patient": "aa" * 32}
    erased.block(w.miner, [txs.sign("erasure", erasure, w.authority, ts=iso(t - 20))])
    epath = c.write("store-erased-chain.jsonl", erased.lines())
    c.add("valid-erased-blob-gone", "", ["--store", "store-empty", epath], 0, [])
    c.add("erased-present-after-erasure", "erased-present", ["--store", "store-unbound", epath], 1, [problem(3, 2, "erased-present")])
    # Only the authority erases: a gateway's erasure is a role problem (line 4, height 3).
    forged = chain.copy()
    t = forged.next_time()
    forged.block(w.miner, [txs.sign("erasure", erasure, w.gateway, ts=iso(t - 20))])
    fpath = c.write("role-erasure-by-gateway.jsonl", forged.lines())
    c.add("role-erasure-by-gateway", "role", [fpath], 1, [problem(4, 3, "role")])
