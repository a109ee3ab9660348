"""The 80-byte Bitcoin header (ehx.7 BLOCKS), compact targets as Bitcoin
Core decodes them, proof of work and a nonce search."""
import hashlib
import struct
from dataclasses import dataclass

from .encoding import display_hex, from_display_hex


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def target(bits: int) -> int:
    """Core's SetCompact for a valid (positive, non-overflowing) value."""
    size, word = bits >> 24, bits & 0x007FFFFF
    return word >> (8 * (3 - size)) if size <= 3 else word << (8 * (size - 3))


def bits_int(text: str) -> int:
    return int(text, 16)


def meets(digest: bytes, bits: int) -> bool:
    return int.from_bytes(digest, "little") <= target(bits)


def work(bits: int) -> int:
    """Bitcoin's block proof: 2^256 // (target + 1)."""
    return (1 << 256) // (target(bits) + 1)


@dataclass
class Header:
    version: int
    prev: bytes
    merkle: bytes
    time: int
    bits: int
    nonce: int = 0

    def serialize(self) -> bytes:
        return (struct.pack("<I", self.version) + self.prev + self.merkle
                + struct.pack("<III", self.time, self.bits, self.nonce))

    @property
    def hash(self) -> bytes:
        return sha256d(self.serialize())

    def json(self) -> dict:
        return {"version": self.version, "prev": display_hex(self.prev), "merkle": display_hex(self.merkle),
                "time": self.time, "bits": f"{self.bits:08x}", "nonce": self.nonce}

    @staticmethod
    def from_json(obj: dict) -> "Header":
        return Header(obj["version"], from_display_hex(obj["prev"]), from_display_hex(obj["merkle"]),
                      obj["time"], int(obj["bits"], 16), obj["nonce"])

    def mine(self, bits: int | None = None, start: int = 0) -> "Header":
        """The first nonce from `start` whose hash meets `bits` (default: the
        header's own bits). Raises when all 2^32 fail."""
        goal = target(self.bits if bits is None else bits)
        prefix = self.serialize()[:76]
        sha = hashlib.sha256
        for nonce in range(start, 1 << 32):
            digest = sha(sha(prefix + struct.pack("<I", nonce)).digest()).digest()
            if int.from_bytes(digest, "little") <= goal:
                self.nonce = nonce
                return self
        raise RuntimeError("no nonce meets the target")

    def unmine(self, bits: int | None = None) -> "Header":
        """A nonce whose hash does NOT meet `bits` (for pow attacks)."""
        goal = target(self.bits if bits is None else bits)
        for nonce in range(1 << 32):
            self.nonce = nonce
            if int.from_bytes(self.hash, "little") > goal:
                return self
        raise RuntimeError("every nonce meets the target")


def compact(value: int) -> int:
    """Core's GetCompact of a non-negative target."""
    size = (value.bit_length() + 7) // 8
    mantissa = value >> (8 * (size - 3)) if size > 3 else value << (8 * (3 - size))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return size << 24 | mantissa


def retarget(last_bits: int, first_time: int, last_time: int, interval: int, spacing: int, limit_bits: int) -> int:
    """The bits of the first block of a new interval (ehx.7 DIFFICULTY)."""
    span = interval * spacing
    actual = min(max(last_time - first_time, span // 4), span * 4)
    value = min(target(last_bits) * actual // span, target(limit_bits))
    return compact(value or 1)
