"""Chains that obey every rule but are not the chain the auditor pinned
(ehx.7 TRUST MODEL, the pin table): each pin must refuse them (rule pin).
ehx-mine takes no pins, so these are for ehx-verify alone."""
from .. import tx as txs
from ..chain import Chain, iso, reading
from ..corpus import problem


def generate(c, w):
    real = w.honest()
    real_path = c.write("real.jsonl", real.lines())
    genesis = real.genesis_hash()

    # --authority: a genesis that lists the real authority beside the
    # forger's key, signed by the forger, granting the forger every role.
    forged = Chain(w.forger, bits="207fffff", authorities=[w.authority, w.forger],
                   grants=[("gateway", w.forger), ("miner", w.forger)])
    t = forged.next_time()
    forged.block(w.forger, [txs.sign("reading", reading("bed-1", 99, t - 30), w.forger, ts=iso(t - 20))])
    path = c.write("pin-authority-cosigned-genesis.jsonl", forged.lines())
    c.add("pin-authority-cosigned-genesis", "pin", ["--authority", c.pub_file("authority"), path], 1,
          [problem(1, 0, "pin")])

    # --authority given as a raw base64url key: the same forgery.
    c.add("pin-authority-raw-key-cosigned-genesis", "pin", ["--authority", w.authority.public_b64, path], 1,
          [problem(1, 0, "pin")])

    # --genesis: a self-consistent chain from another genesis.
    other = Chain(w.forger, grants=[("gateway", w.forger), ("miner", w.forger)])
    other.block(w.forger)
    path = c.write("pin-genesis-other-chain.jsonl", other.lines())
    c.add("pin-genesis-other-chain", "pin", ["--genesis", genesis, path], 1, [problem(1, 0, "pin")])

    # --checkpoint: block 2 rewritten by a miner-key holder.
    rewritten = real.copy()
    rewritten.blocks.pop()
    t = rewritten.next_time() + 1
    rewritten.block(w.miner, [txs.sign("reading", reading("bed-1", 2, t - 30, value=40), w.gateway, ts=iso(t - 20))],
                    time=t)
    path = c.write("pin-checkpoint-rewritten-block.jsonl", rewritten.lines())
    c.add("pin-checkpoint-rewritten-block", "pin", ["--checkpoint", f"2:{real.blocks[2]['hash']}", path], 1,
          [problem(3, 2, "pin")])

    # --checkpoint beyond the end, --expect-tip: the real chain cut short.
    short = real.copy()
    short.blocks.pop()
    path = c.write("pin-checkpoint-chain-cut-short.jsonl", short.lines())
    c.add("pin-checkpoint-chain-cut-short", "pin", ["--checkpoint", f"2:{real.blocks[2]['hash']}", path], 1,
          [problem(2, 1, "pin")])
    c.add("pin-expect-tip-chain-cut-short", "pin", ["--expect-tip", real.blocks[2]["hash"], path], 1,
          [problem(2, 1, "pin")])

    # The honest chain passes every pin at once.
    c.add("valid-every-pin", "", ["--genesis", genesis, "--authority", c.pub_file("authority"),
                                  "--checkpoint", f"1:{real.blocks[1]['hash']}",
                                  "--expect-tip", real.blocks[2]["hash"], real_path], 0, [])
