"""Encodings of ehx.7 ENCODINGS: base64url without padding, lowercase hex,
and the byte-reversed hex Bitcoin shows hashes in."""
import base64


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hexstr(raw: bytes) -> str:
    return raw.hex()


def display_hex(digest: bytes) -> str:
    """A block hash, prev or merkle as the chain file shows it."""
    return digest[::-1].hex()


def from_display_hex(text: str) -> bytes:
    return bytes.fromhex(text)[::-1]
