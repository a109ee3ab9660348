"""RFC 6962 Merkle tree hash and audit paths (ehx.7 BLOCKS)."""
import hashlib


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_of_hashes(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(root_of_hashes(hashes[:k]), root_of_hashes(hashes[k:]))


def root(leaves: list[bytes]) -> bytes:
    return root_of_hashes([leaf_hash(x) for x in leaves])


def path(index: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 6962 2.1.1, leaf side first."""
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return path(index, hashes[:k]) + [root_of_hashes(hashes[k:])]
    return path(index - k, hashes[k:]) + [root_of_hashes(hashes[:k])]
