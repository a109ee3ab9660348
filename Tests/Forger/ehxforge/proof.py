"""Inclusion proofs and header lines as ehx-query prints them (ehx.7
INCLUSION PROOFS)."""
from . import tx as txs
from .header import Header
from .merkle import leaf_hash, path


def inclusion(block: dict, index: int, with_stamp: bool = True) -> dict:
    leaves = [leaf_hash(txs.leaf(t)) for t in block["txs"]]
    header = Header.from_json(block["header"])
    proof = {
        "format": "ehx-inclusion-proof-v1",
        "txid": txs.txid(block["txs"][index]),
        "tx": block["txs"][index],
        "leaf_index": index,
        "tree_size": len(leaves),
        "path": [h.hex() for h in path(index, leaves)],
        "height": block["height"],
        "block": block["hash"],
        "header": block["header"],
        "header_hex": header.serialize().hex(),
    }
    if with_stamp and index != 0:
        # The stamp (leaf 0) says how many transactions the block holds, so
        # the proof's tree_size is the block's and not the forger's choice.
        proof["stamp"] = block["txs"][0]
        proof["stamp_path"] = [h.hex() for h in path(0, leaves)]
    return proof


def header_line(block: dict, with_genesis: bool = True) -> dict:
    line = {"height": block["height"], "hash": block["hash"],
            "header": Header.from_json(block["header"]).serialize().hex()}
    if with_genesis and block["height"] == 0:
        line["genesis"] = block["txs"][0]
    return line
