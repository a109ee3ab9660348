"""weak-key (ehx.7 KEYS, THE RULES): the authority's own grant of a public
key of small order. The identity point (y = 1) verifies R = identity,
S = 0 for every message, so a chain that let it hold a role would accept
any reading "signed" by it. The grant must take no effect and be reported;
ehx-mine must refuse to extend the chain."""
from .. import tx as txs
from ..chain import iso, reading
from ..corpus import problem
from ..encoding import b64url

# Ed25519 encodings of small-order points: the identity (y = 1) and the
# point of order 2 (y = -1, i.e. p - 1 little-endian).
IDENTITY = bytes([1]) + bytes(31)
ORDER_TWO = bytes([0xEC]) + bytes([0xFF]) * 30 + bytes([0x7F])


def generate(c, w):
    honest = w.honest(blocks=1)
    t = honest.next_time() + 600
    fresh = txs.sign("reading", reading("bed-9", 1, t - 30), w.gateway, ts=iso(t - 20))
    c.write("weak-key-fresh-tx.jsonl", txs.leaf(fresh) + b"\n")
    for name, point in (("weak-key-identity-point-granted", IDENTITY), ("weak-key-order-two-point-granted", ORDER_TWO)):
        chain = honest.copy()
        t = chain.next_time()
        grant = {"action": "grant", "role": "gateway", "key": b64url(point)}
        chain.block(w.miner, [txs.sign("key", grant, w.authority, ts=iso(t - 20))])
        path = c.write(f"{name}.jsonl", chain.lines())
        c.add(name, "weak-key", [path], 1, [problem(3, 2, "weak-key")],
              mine={"args": w.mine_args(path, "weak-key-fresh-tx.jsonl"), "status": 65, "rule": "weak-key"})
