"""Ed25519 keys as ehx.7 KEYS describes them."""
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .encoding import b64url


class Key:
    def __init__(self, private: Ed25519PrivateKey | None = None):
        self.private = private or Ed25519PrivateKey.generate()
        self.raw_public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return b64url(self.raw_public)

    @property
    def id(self) -> str:
        """Lowercase hex SHA-256 of the raw public key."""
        return hashlib.sha256(self.raw_public).hexdigest()

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def write(self, directory: str, name: str) -> tuple[str, str]:
        """NAME.key (PKCS#8 PEM, 0600) and NAME.pub (SPKI PEM, 0644)."""
        key_path = os.path.join(directory, name + ".key")
        pub_path = os.path.join(directory, name + ".pub")
        pem = self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.chmod(key_path, 0o600)
        with open(pub_path, "wb") as f:
            f.write(self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
        return key_path, pub_path
