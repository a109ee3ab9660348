"""One forged chain per block and transaction rule of ehx.7 THE RULES.

Each starts from an honest chain (genesis and two blocks) and appends, as
block 3 on line 4, a block that breaks exactly one rule; everything else
about it (hash, merkle root, proof of work, stamp) is made consistent, so
the rule named is the only one ehx-verify may report. ehx-mine must refuse
to extend each chain (it is given one honest transaction to mine, so an
ehx-mine that accepted the chain would exit 0)."""
import json

from .. import tx as txs
from ..chain import Chain, iso, reading
from ..corpus import problem
from ..header import Header


def generate(c, w):
    honest = w.honest()
    line, height = 4, 3

    # One honest transaction for ehx-mine to put on top of each chain.
    t = honest.next_time() + 600
    fresh = txs.sign("reading", reading("bed-9", 1, t - 30), w.gateway, ts=iso(t - 20))
    c.write("fresh-tx.jsonl", txs.leaf(fresh) + b"\n")

    def case(name, rule, lines, problems=None, exact=True, mine=True, args=()):
        path = c.write(f"{name}.jsonl", lines)
        c.add(name, rule, list(args) + [path], 1,
              problems if problems is not None else [problem(line, height, rule)], exact=exact,
              mine={"args": w.mine_args(path, "fresh-tx.jsonl"), "status": 65, "rule": rule} if mine else None)

    def tip_case(name, rule, edit, **kw):
        chain = honest.copy()
        block = chain.block(w.miner, [txs.sign("reading", reading("bed-2", 1, chain.next_time() - 30), w.gateway,
                                                ts=iso(chain.next_time() - 20))])
        edit(chain, block)
        case(name, rule, chain.lines(), **kw)

    # truncated: the last line has no LF. ehx-mine cuts a torn tail by design.
    lines = honest.lines()
    lines[-1] = lines[-1][:-1]
    case("truncated-last-line-without-lf", "truncated", lines, [problem(3, 2, "truncated")], mine=False)

    # json: a line that is not JSON.
    case("json-line-not-json", "json", honest.lines() + [b'{"hash":"00",\n'])

    # One damaged line is one problem: block 1 (line 2) unreadable in a
    # chain whose times make the median of the later blocks rise if the lost
    # time were simply left out (block 5 at +155 is after the true median +150).
    timed = Chain(w.authority, grants=w.grants())
    t0 = timed.tip["header"]["time"]
    for seq, offset in enumerate([100, 200, 150, 160, 155], start=1):
        timed.block(w.miner, [txs.sign("reading", reading("bed-1", seq, t0), w.gateway, ts=iso(t0))], time=t0 + offset)
    lines = timed.lines()
    lines[1] = b'{"damaged":\n'
    case("json-damaged-line-reported-once", "json", lines, [problem(2, 1, "json")])

    # canonical: the block with whitespace and members out of order.
    chain = honest.copy()
    block = chain.block(w.miner)
    lines = chain.lines()
    lines[-1] = json.dumps(block, indent=None, separators=(", ", ": ")).encode() + b"\n"
    case("canonical-block-not-jcs", "canonical", lines)

    # schema: an unknown member in the block object.
    tip_case("schema-unknown-block-member", "schema", lambda ch, b: b.update({"extra": 1}))

    def second_genesis(ch, b):
        b["txs"].append(txs.sign("genesis", ch.rules, w.authority))
        Chain.seal(b)
    tip_case("genesis-second-genesis-transaction", "genesis", second_genesis)

    def wrong_height(ch, b):
        b["height"] = 4
        b["txs"][0] = ch.stamp(w.miner, 4, time=b["header"]["time"])
        Chain.seal(b)
    tip_case("height-skips-one", "height", wrong_height, problems=[problem(line, 4, "height")])

    def wrong_prev(ch, b):
        b["header"]["prev"] = "11" * 32
        Chain.seal(b, merkle=False)
    tip_case("prev-not-the-block-before", "prev", wrong_prev)

    def wrong_hash(ch, b):
        b["hash"] = "00" + b["hash"][2:] if not b["hash"].startswith("00") else "ff" + b["hash"][2:]
    tip_case("hash-not-the-header-hash", "hash", wrong_hash)

    def no_work(ch, b):
        header = Header.from_json(b["header"]).unmine()
        b["header"] = header.json()
        b["hash"] = header.hash[::-1].hex()
    tip_case("pow-hash-above-target", "pow", no_work)

    def harder_bits(ch, b):
        b["header"]["bits"] = "207ffffe"
        Chain.seal(b, merkle=False)
    tip_case("bits-not-the-required-bits", "bits", harder_bits)

    def version_two(ch, b):
        b["header"]["version"] = 2
        Chain.seal(b, merkle=False)
    tip_case("version-header-version-2", "version", version_two)

    def median_time(ch, b):
        # Blocks 0..2 are 600 s apart: the median of the three is block 1's time.
        b["header"]["time"] = ch.blocks[1]["header"]["time"]
        Chain.seal(b, merkle=False)
    tip_case("time-median-not-after-median", "time-median", median_time)

    def future(ch, b):
        b["header"]["time"] = 4_100_000_000
        Chain.seal(b, merkle=False)
    tip_case("time-future-year-2099", "time-future", future)

    def wrong_merkle(ch, b):
        b["header"]["merkle"] = "22" * 32
        Chain.seal(b, merkle=False)
    tip_case("merkle-root-not-the-transactions", "merkle", wrong_merkle)

    def no_stamp(ch, b):
        del b["txs"][0]
        Chain.seal(b)
    tip_case("stamp-missing", "stamp", no_stamp)

    def two_stamps(ch, b):
        b["txs"].append(ch.stamp(w.miner, 3, extranonce=1, time=b["header"]["time"]))
        Chain.seal(b)
    tip_case("stamp-second-in-block", "stamp", two_stamps)

    def stamp_height(ch, b):
        b["txs"][0] = ch.stamp(w.miner, 7, time=b["header"]["time"])
        Chain.seal(b)
    tip_case("stamp-wrong-height", "stamp", stamp_height)

    def stamp_size(ch, b):
        b["txs"][0] = ch.stamp(w.miner, 3, time=b["header"]["time"], extra={"txs": len(b["txs"]) + 1})
        Chain.seal(b)
    tip_case("stamp-states-wrong-size", "stamp", stamp_size)

    # Transaction rules: the bad transaction in block 3, and alone as input
    # to ehx-mine over the honest chain (which must refuse it, exit 65).
    def tx_case(name, rule, bad):
        tip_case(name, rule, lambda ch, b: (b["txs"].append(bad), Chain.seal(b)))
        honest_path = c.write(f"{name}.base.jsonl", honest.lines())
        c.write(f"{name}.tx.jsonl", txs.leaf(bad) + b"\n")
        c.cases[-1]["mine_input"] = {"args": w.mine_args(honest_path, f"{name}.tx.jsonl"), "status": 65, "rule": rule}

    t = honest.next_time()
    forged_sig = txs.sign("reading", reading("bed-3", 1, t - 30), w.gateway, ts=iso(t - 20))
    forged_sig["body"]["value"] = 180  # changed after signing
    tx_case("signature-body-changed-after-signing", "signature", forged_sig)

    tx_case("role-reading-by-key-without-role", "role",
            txs.sign("reading", reading("bed-3", 1, t - 30), w.forger, ts=iso(t - 20)))

    tx_case("role-stamp-role-cannot-sign-key", "role",
            txs.sign("key", {"action": "grant", "role": "gateway", "key": w.forger.public_b64}, w.miner, ts=iso(t - 20)))

    tx_case("replay-seq-not-above-last", "replay",
            txs.sign("reading", reading("bed-1", 2, t - 30), w.gateway, ts=iso(t - 10)))

    # duplicate-txid: one key grant twice (a reading twice would also be a replay).
    grant = txs.sign("key", {"action": "grant", "role": "clinician", "key": w.forger.public_b64}, w.authority,
                     ts=iso(t - 20))
    name = "duplicate-txid-transaction-twice-in-block"
    tip_case(name, "duplicate-txid", lambda ch, b: (b["txs"].extend([grant, grant]), Chain.seal(b)))
    honest_path = c.write(f"{name}.base.jsonl", honest.lines())
    c.write(f"{name}.tx.jsonl", (txs.leaf(grant) + b"\n") * 2)
    c.cases[-1]["mine_input"] = {"args": w.mine_args(honest_path, f"{name}.tx.jsonl"), "status": 65,
                                 "rule": "duplicate-txid"}

    # block-size: one transaction over max_block_txs, and one byte over max_block_bytes.
    small = w.honest(max_block_txs=2, blocks=1)
    over = small.copy()
    t = over.next_time()
    over.block(w.miner, [txs.sign("reading", reading(f"bed-{i}", 1, t - 30), w.gateway, ts=iso(t - 20))
                         for i in (4, 5)])
    path = c.write("block-size-too-many-transactions.jsonl", over.lines())
    c.add("block-size-too-many-transactions", "block-size", [path], 1, [problem(3, 2, "block-size")],
          mine={"args": w.mine_args(path, "fresh-tx.jsonl"), "status": 65, "rule": "block-size"})

    from .limits import sized_block
    tight = w.honest(max_block_bytes=1024, blocks=1)
    block = sized_block(tight, w, 1025)
    path = c.write("block-size-line-one-byte-over.jsonl", tight.lines())
    c.add("block-size-line-one-byte-over", "block-size", [path], 1, [problem(3, 2, "block-size")],
          mine={"args": w.mine_args(path, "fresh-tx.jsonl"), "status": 65, "rule": "block-size"})
    assert len(Chain.line(block)) == 1025
