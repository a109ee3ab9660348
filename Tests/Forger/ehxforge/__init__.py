"""ehxforge: an independent forger for ehx chains and proofs.

Written from the format reference (man/ehx.7) alone, with `cryptography`
(Ed25519) and `rfc8785` (JCS); it imports and runs none of ehx's code, so a
mistake shared by ehx and its own tests cannot hide here.

Modules:
  encoding  base64url, hex, byte-reversed display hex
  jcs       canonical bytes (RFC 8785), integers up to 2^53
  keys      Ed25519 keys, ids, PEM files
  tx        signed transactions, txid, Merkle leaf
  merkle    RFC 6962 tree hash and audit paths
  header    the 80-byte header, compact targets, proof of work, mining
  chain     a chain builder: genesis, blocks, lines
  proof     inclusion proofs and header lines (ehx-query proof / headers)
  corpus    the case registry and the manifest the Swift test reads
  attacks/  one module per attack family; each registers its cases
"""
