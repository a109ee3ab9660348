"""The keys and honest chains the attacks start from: an authority, a
gateway, a miner, and a chain of readings they made by the rules."""
from .chain import Chain, reading


class World:
    def __init__(self, corpus):
        self.c = corpus
        self.authority = corpus.key("authority")
        self.gateway = corpus.key("gateway")
        self.miner = corpus.key("miner")
        self.forger = corpus.key("forger")

    def grants(self):
        return [("gateway", self.gateway), ("miner", self.miner)]

    def honest(self, bits: str = "207fffff", blocks: int = 2, readings: int = 1, **rules) -> Chain:
        """Genesis and `blocks` blocks, each with `readings` readings (bed-1,
        bed-1-2, ...; block i holds seq i + 1 of each)."""
        from .tx import sign
        chain = Chain(self.authority, bits=bits, grants=self.grants(), **rules)
        for i in range(blocks):
            t = chain.next_time()
            devices = ["bed-1"] + [f"bed-1-{n}" for n in range(2, readings + 1)]
            chain.block(self.miner, [sign("reading", reading(d, i + 1, t - 30), self.gateway, ts=_iso(t - 20))
                                     for d in devices])
        return chain

    def mine_args(self, chain_file: str, input_file: str | None = None) -> list[str]:
        """ehx-mine extending `chain_file` with the honest miner's key."""
        return ["--chain", chain_file, "--key", self.c.key_file("miner")] + ([input_file] if input_file else [])


def _iso(t):
    from .chain import iso
    return iso(t)
