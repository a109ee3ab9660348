"""Transactions (ehx.7 TRANSACTIONS): sig is Ed25519 over "ehx-tx-v1\\n" ||
JCS(transaction without sig); txid is SHA-256 of the same JCS; the Merkle
leaf is JCS of the whole transaction."""
import hashlib

from .encoding import b64url
from .jcs import canonical

DOMAIN = b"ehx-tx-v1\n"


def unsigned(tx: dict) -> dict:
    return {k: v for k, v in tx.items() if k != "sig"}


def sign(tx_type: str, body, key, ts: str = "2026-11-26T10:00:00.000Z", signer=None) -> dict:
    """A transaction signed by `key`; `signer` (a Key) overrides the signer
    field, for a signature that does not verify."""
    tx = {"v": 1, "type": tx_type, "ts": ts, "signer": (signer or key).public_b64, "body": body}
    tx["sig"] = b64url(key.sign(DOMAIN + canonical(tx)))
    return tx


def txid(tx: dict) -> str:
    return hashlib.sha256(canonical(unsigned(tx))).hexdigest()


def leaf(tx: dict) -> bytes:
    return canonical(tx)
