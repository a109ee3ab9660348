"""Valid edge cases at the limits, accepted by ehx-verify and extended by
ehx-mine: a block of exactly max_block_txs transactions, a line of exactly
max_block_bytes, seq at 2^53, and devices whose ids differ only in Unicode
normalization (different bytes, so different devices under JCS)."""
from .. import tx as txs
from ..chain import Chain, iso, reading


def sized_block(chain, w, size: int) -> dict:
    """Appends a block whose line (LF included) is exactly `size` bytes, by
    padding one reading's patient and device ids; the nonce's digits can
    change the length, so a miss is tried again a second later."""
    t0 = chain.next_time()
    for t in range(t0, t0 + 30):
        for pad in range(1, 250):
            body = reading("bed-" + "d" * max(0, pad - 124), 1, t - 30, patient="P" * min(pad, 128))
            block = chain.block(w.miner, [txs.sign("reading", body, w.gateway, ts=iso(t - 20))], time=t, append=False)
            length = len(Chain.line(block))
            if length == size:
                chain.blocks.append(block)
                return block
            if length > size:
                break
    raise RuntimeError(f"cannot size a block to {size} bytes")


def generate(c, w):
    def valid(name, chain, mine_input=None):
        path = c.write(f"{name}.jsonl", chain.lines())
        t = chain.next_time() + 600
        fresh = txs.sign("reading", reading("bed-fresh", 1, t - 30), w.gateway, ts=iso(t - 20))
        c.write(f"{name}.tx.jsonl", txs.leaf(fresh) + b"\n")
        c.add(name, "", [path], 0, [], mine={"args": w.mine_args(path, f"{name}.tx.jsonl"), "status": 0, "rule": ""})
        return c.cases[-1]

    chain = w.honest(max_block_txs=3, blocks=1)
    t = chain.next_time()
    chain.block(w.miner, [txs.sign("reading", reading(f"bed-{i}", 1, t - 30), w.gateway, ts=iso(t - 20)) for i in (4, 5)])
    valid("valid-block-at-max-block-txs", chain)

    chain = w.honest(max_block_bytes=1024, blocks=1)
    sized_block(chain, w, 1024)
    valid("valid-block-line-at-max-block-bytes", chain)

    chain = w.honest(blocks=1)
    t = chain.next_time()
    chain.block(w.miner, [txs.sign("reading", reading("bed-max", 2**53, t - 30), w.gateway, ts=iso(t - 20))])
    valid("valid-seq-at-2-pow-53", chain)

    # ehx-mine from a file: two transactions of about 3.9 KB on a chain of
    # max_block_bytes 8192 fit one block each, never one block together.
    chain = w.honest(max_block_bytes=8192, blocks=1)
    path = c.write("valid-mine-two-large-transactions.jsonl", chain.lines())
    t = chain.next_time()
    big = []
    for i in (1, 2):
        body = reading(f"emg-{i}", 1, t - 30)
        body.update({"kind": "emg", "unit": "mV", "value": 1.5, "samples": [0.125] * 620})
        big.append(txs.leaf(txs.sign("reading", body, w.gateway, ts=iso(t - 20))) + b"\n")
    assert all(3800 < len(x) < 4090 for x in big), [len(x) for x in big]
    c.write("valid-mine-two-large-transactions.tx.jsonl", big)
    c.add("valid-mine-two-large-transactions", "", [path], 0, [],
          mine={"args": w.mine_args(path, "valid-mine-two-large-transactions.tx.jsonl"), "status": 0, "rule": ""})

    chain = w.honest(blocks=1)
    t = chain.next_time()
    nfc, nfd = "bed-\u00e9", "bed-e\u0301"
    chain.block(w.miner, [txs.sign("reading", reading(nfc, 5, t - 30), w.gateway, ts=iso(t - 20))])
    t = chain.next_time()
    chain.block(w.miner, [txs.sign("reading", reading(nfd, 1, t - 30), w.gateway, ts=iso(t - 20))])
    valid("valid-nfc-and-nfd-devices-side-by-side", chain)
