"""A chain builder: genesis with its rules, blocks with the miner's stamp,
mined headers, canonical lines (ehx.7 BLOCKS, CHAIN FILE, THE RULES).

Blocks are plain dicts exactly as they go on a line; an attack edits a
block (or its line) after `block()` builds it and calls `seal()` to make
hash, merkle and proof of work consistent again where it wants them so."""
import copy

from . import tx as txs
from .encoding import display_hex
from .header import Header
from .jcs import canonical
from .merkle import root

START_TIME = 1_795_000_000
SPACING = 600


class Chain:
    def __init__(self, authority, bits: str = "207fffff", name: str = "forged", grants=(), authorities=None,
                 retarget=None, max_block_txs: int = 10000, max_block_bytes: int = 8388608,
                 genesis_signer=None, time: int = START_TIME, extra_rules=None, stamp_size: bool = False):
        self.bits = int(bits, 16)
        # Stamps state the block's transaction count ("txs"), which is what
        # lets an inclusion proof's tree_size be checked.
        self.stamp_size = stamp_size
        rules = {
            "chain": name,
            "authorities": [k.public_b64 for k in (authorities or [authority])],
            "bits": bits,
            "max_block_txs": max_block_txs,
            "max_block_bytes": max_block_bytes,
            "grants": [{"role": role, "key": key.public_b64} for role, key in grants],
        }
        if retarget:
            rules["retarget"] = {"interval": retarget[0], "spacing": retarget[1]}
        rules.update(extra_rules or {})
        self.rules = rules
        genesis_tx = txs.sign("genesis", rules, genesis_signer or authority, ts=_iso(time))
        self.blocks: list[dict] = []
        self.blocks.append(self.build(0, [genesis_tx], time=time, prev=bytes(32)))

    # -- building ---------------------------------------------------------

    @property
    def tip(self) -> dict:
        return self.blocks[-1]

    def tip_hash(self) -> bytes:
        return bytes.fromhex(self.tip["hash"])[::-1]

    def build(self, height: int, transactions: list[dict], time: int, prev: bytes, bits: int | None = None,
              version: int = 1, mine: bool = True) -> dict:
        header = Header(version, prev, root([txs.leaf(t) for t in transactions]), time,
                        self.bits if bits is None else bits)
        if mine:
            header.mine()
        return {"height": height, "hash": display_hex(header.hash), "header": header.json(),
                "txs": transactions}

    def stamp(self, miner, height: int, extranonce: int = 0, time: int | None = None, extra=None) -> dict:
        body = {"height": height, "extranonce": extranonce}
        body.update(extra or {})
        return txs.sign("stamp", body, miner, ts=_iso(time or self.next_time()))

    def next_time(self) -> int:
        return self.tip["header"]["time"] + SPACING

    def block(self, miner, transactions=(), time: int | None = None, bits: int | None = None,
              stamp_extra=None, append: bool = True, mine: bool = True) -> dict:
        """The next block: the miner's stamp, then `transactions`."""
        height = self.tip["height"] + 1
        time = time or self.next_time()
        extra = {"txs": len(transactions) + 1} if self.stamp_size else {}
        extra.update(stamp_extra or {})
        stamp = self.stamp(miner, height, time=time, extra=extra)
        block = self.build(height, [stamp] + list(transactions), time, self.tip_hash(), bits=bits, mine=mine)
        if append:
            self.blocks.append(block)
        return block

    @staticmethod
    def seal(block: dict, merkle: bool = True, mine: bool = True) -> dict:
        """After an edit: recompute the merkle root (unless `merkle` is False),
        mine at the header's bits and set `hash` to the header's hash."""
        header = Header.from_json(block["header"])
        if merkle:
            header.merkle = root([txs.leaf(t) for t in block["txs"]])
        if mine:
            header.mine()
        block["header"] = header.json()
        block["hash"] = display_hex(header.hash)
        return block

    def copy(self) -> "Chain":
        return copy.deepcopy(self)

    # -- output -----------------------------------------------------------

    @staticmethod
    def line(block: dict) -> bytes:
        return canonical(block) + b"\n"

    def lines(self) -> list[bytes]:
        return [self.line(b) for b in self.blocks]

    def genesis_hash(self) -> str:
        return self.blocks[0]["hash"]

    def write(self, path: str, lines: list[bytes] | None = None):
        with open(path, "wb") as f:
            f.write(b"".join(self.lines() if lines is None else lines))


def _iso(unix: int) -> str:
    import datetime
    t = datetime.datetime.fromtimestamp(unix, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


iso = _iso


def reading(device: str, seq: int, time: int, patient: str = "P-0001", value=72) -> dict:
    """A plain heart-rate reading body (no mac: optional on the chain)."""
    return {"device": device, "patient": patient, "seq": seq, "ts": _iso(time), "kind": "heart_rate",
            "value": value, "unit": "/min"}
