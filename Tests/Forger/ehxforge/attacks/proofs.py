"""Forged inclusion proofs and header chains (ehx-verify --proof).

The real chain is mined at 1f00ffff (about 65,000 hashes a block), with
301 transactions in block 1 and stamps that state their block's size.
A light client holds the proof, the header chain and its pins; it must
hold each header to every rule it can check, authenticate tree_size, and
say "valid" only with an anchor at or above the proof's height."""
import json

from .. import tx as txs
from ..chain import Chain, iso, reading
from ..header import Header, work
from ..proof import header_line, inclusion


def dump(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def generate(c, w):
    real = Chain(w.authority, bits="1f00ffff", grants=w.grants(), stamp_size=True)
    t = real.next_time()
    real.block(w.miner, [txs.sign("reading", reading(f"bed-{i}", 1, t - 30), w.gateway, ts=iso(t - 20))
                         for i in range(300)])
    for seq in (2, 3):
        t = real.next_time()
        real.block(w.miner, [txs.sign("reading", reading("bed-0", seq, t - 30), w.gateway, ts=iso(t - 20))])
    genesis = real.genesis_hash()
    headers = c.write("proof-real.headers.jsonl", [dump(header_line(b)) for b in real.blocks])
    proof6 = inclusion(real.blocks[1], 6)
    proof_path = c.write("proof-real-leaf6.json", dump(proof6))
    tip = real.blocks[-1]["hash"]
    total = sum(work(int(b["header"]["bits"], 16)) for b in real.blocks)

    def add(name, rule, args, status, rules=(), stderr=None):
        c.add(name, rule, args, status, [{"rule": r} for r in rules], exact=False)
        if stderr:
            c.cases[-1]["verify"]["stderr"] = stderr

    base = ["--proof", proof_path, "--headers", headers]
    add("valid-proof-checkpoint-at-tip", "", base + ["--genesis", genesis, "--checkpoint", f"3:{tip}"], 0)
    add("valid-proof-expect-tip", "", base + ["--genesis", genesis, "--expect-tip", tip], 0)
    add("valid-proof-min-work", "", base + ["--genesis", genesis, "--min-work", f"{total:x}"], 0)
    add("pin-proof-genesis-alone-is-no-anchor", "pin", base + ["--genesis", genesis], 2, stderr="not anchored")
    add("pin-proof-checkpoint-below-the-proof", "pin", base + ["--genesis", genesis, "--checkpoint",
                                                                f"0:{genesis}"], 2, stderr="not anchored")
    add("pin-proof-alone-is-no-anchor", "pin", ["--proof", proof_path], 2, stderr="not anchored")
    add("pin-proof-min-work-not-met", "pin", base + ["--genesis", genesis, "--min-work", f"{total + 1:x}"], 1,
        ["pin"])

    # tree_size is not the block's: the stamp (leaf 0, in the same tree)
    # states 301 transactions.
    for size in (300, 302, 512):
        forged = dict(proof6, tree_size=size)
        p = c.write(f"merkle-proof-tree-size-{size}.json", dump(forged))
        add(f"merkle-proof-tree-size-{size}", "merkle",
            ["--proof", p, "--headers", headers, "--genesis", genesis, "--expect-tip", tip], 1, ["merkle"])

    # A header chain forked after genesis: block 1 at bits 207fffff (the
    # easiest target, on a 1f00ffff chain), holding a reading signed by a
    # key with no role.
    def forged_chain(bits: int, mine: bool) -> tuple[Chain, dict]:
        for dt in range(100):
            fork = real.copy()
            del fork.blocks[1:]
            t = fork.next_time() + dt
            block = fork.block(w.forger, [txs.sign("reading", reading("bed-0", 77, t - 30), w.forger, ts=iso(t - 20))],
                               bits=bits, mine=mine, time=t)
            if mine:
                return fork, block
            header = Header.from_json(block["header"])
            header.nonce = 0
            block["header"] = header.json()
            block["hash"] = header.hash[::-1].hex()
            if not header.hash[::-1].hex() <= "0000ffff":  # nonce 0 must miss the target
                return fork, block
        raise RuntimeError("nonce 0 keeps meeting the target")

    for name, rule, bits, mine in (("bits-proof-header-easier-than-genesis", "bits", 0x207FFFFF, True),
                                   ("pow-proof-header-nonce-zero", "pow", 0x1F00FFFF, False)):
        fork, block = forged_chain(bits, mine)
        h = c.write(f"{name}.headers.jsonl", [dump(header_line(b)) for b in fork.blocks])
        p = c.write(f"{name}.json", dump(inclusion(block, 1)))
        add(name, rule, ["--proof", p, "--headers", h, "--genesis", genesis, "--expect-tip", block["hash"]], 1, [rule])

    # The retarget rule: genesis sets interval 2 and spacing 600; blocks
    # 1 s apart must make block 2 harder, and a header that keeps the
    # genesis bits breaks the rule (the light client reads it from the
    # genesis transaction on the first header line).
    fast = Chain(w.authority, bits="207fffff", grants=w.grants(), retarget=(2, 600), stamp_size=True)
    t0 = fast.tip["header"]["time"]
    fast.block(w.miner, [txs.sign("reading", reading("bed-0", 1, t0), w.gateway, ts=iso(t0))], time=t0 + 1)
    block = fast.block(w.miner, [txs.sign("reading", reading("bed-0", 2, t0 + 1), w.gateway, ts=iso(t0 + 1))],
                       time=t0 + 2)
    name = "bits-proof-header-ignores-retarget"
    h = c.write(f"{name}.headers.jsonl", [dump(header_line(b)) for b in fast.blocks])
    p = c.write(f"{name}.json", dump(inclusion(block, 1)))
    add(name, "bits", ["--proof", p, "--headers", h, "--genesis", fast.genesis_hash(), "--expect-tip", block["hash"]],
        1, ["bits"])
    # ... and the same chain with block 2 at the bits the rule requires passes.
    good = fast.copy()
    good.blocks.pop()
    from ..header import retarget
    required = retarget(0x207FFFFF, t0, t0 + 1, 2, 600, 0x207FFFFF)
    block = good.block(w.miner, [txs.sign("reading", reading("bed-0", 2, t0 + 1), w.gateway, ts=iso(t0 + 1))],
                       time=t0 + 2, bits=required)
    name = "valid-proof-header-follows-retarget"
    h = c.write(f"{name}.headers.jsonl", [dump(header_line(b)) for b in good.blocks])
    p = c.write(f"{name}.json", dump(inclusion(block, 1)))
    add(name, "", ["--proof", p, "--headers", h, "--genesis", good.genesis_hash(), "--expect-tip", block["hash"]], 0)
    c.write("valid-proof-header-follows-retarget.chain.jsonl", good.lines())
    c.add("valid-chain-follows-retarget", "", ["valid-proof-header-follows-retarget.chain.jsonl"], 0, [])
