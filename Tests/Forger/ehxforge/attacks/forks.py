"""Competing branches offered to ehx-verify --append (rule fork). Nothing
is ever appended from one; what matters is the work it is credited with,
which counts only headers that pass the one header check from the fork
point: a branch at bits easier than the chain's limit weighs nothing."""
from .. import tx as txs
from ..chain import iso, reading
from ..corpus import problem


def generate(c, w):
    real = w.honest(bits="1f00ffff")

    def branch(name, bits, blocks, detail):
        fork = real.copy()
        del fork.blocks[2:]
        for i in range(blocks):
            t = fork.next_time()
            fork.block(w.miner, [txs.sign("reading", reading("bed-1", 50 + i, t - 30), w.gateway, ts=iso(t - 20))],
                       bits=bits)
        local = c.write(f"{name}.local.jsonl", real.lines())
        incoming = c.write(f"{name}.incoming.jsonl", fork.lines()[2:])
        c.add(name, "fork", ["--append", local, incoming], 1,
              [dict(problem(1, 2, "fork"), detail=detail)])

    branch("fork-branch-easier-than-the-limit-weighs-nothing", 0x207FFFFF, 3, "incoming 0 blocks, work " + "0" * 64 + ";")
    branch("fork-branch-at-the-chain-bits", 0x1F00FFFF, 2, "incoming 2 blocks, work " + "%064x" % 0x20002 + ";")
