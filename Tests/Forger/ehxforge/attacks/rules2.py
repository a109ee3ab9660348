"""Rules 2 (a genesis with "rules":2; ehx.7 DEVICE BINDING, THE RULES):
device binding, a reading's time, alert references and repeats, sealed
bodies bound to type and signer and wrapped only for readers at their
block; and identity by bytes on every chain.

Each attack is a key holder's: the gateway (bound to bed-1, the NFC
device and the NFD one), a second gateway the authority granted without
devices (the forger), a miner that mines whatever it is given. The honest
chain is genesis and two blocks; each attack appends block 3 on line 4,
well mined, so only the rule named may be reported. ehx-mine is given one
honest reading to put on top and must refuse to extend the chain."""
import hashlib
import os

from .. import tx as txs
from ..chain import Chain, iso, reading
from ..corpus import problem
from ..encoding import b64url
from ..jcs import canonical

NFC = "bed-\u00e9"
NFD = "bed-e\u0301"
# The device pseudonym of the sealed readings (the chain cannot tell whose).
PSEUDONYM = "bb" * 32
BOUND = ["bed-1", NFC, NFD, PSEUDONYM]
MAX_SEQ = 2 ** 53


def generate(c, w):
    reader = c.key("reader")
    outsider = c.key("outsider")
    reader_enc = os.urandom(32)  # an X25519 public key's bytes; the chain never uses it

    def rules2_chain():
        grants = [
            {"role": "gateway", "key": w.gateway.public_b64, "devices": BOUND},
            {"role": "gateway", "key": w.forger.public_b64},
            {"role": "miner", "key": w.miner.public_b64},
            {"role": "clinician", "key": reader.public_b64},
            {"role": "clinician", "key": outsider.public_b64},
        ]
        chain = Chain(w.authority, extra_rules={"rules": 2, "grants": grants})
        # Block 1: the reader's X25519 key and a policy that lets clinicians read.
        t = chain.next_time()
        chain.block(w.miner, [
            txs.sign("key", {"action": "grant", "role": "clinician", "key": reader.public_b64,
                             "enc": b64url(reader_enc)}, w.authority, ts=iso(t - 20)),
            txs.sign("policy", {"read": {"clinician": ["*"]}}, w.authority, ts=iso(t - 20)),
        ])
        # Block 2: one honest reading of bed-1.
        t = chain.next_time()
        chain.block(w.miner, [txs.sign("reading", reading("bed-1", 1, t - 30), w.gateway, ts=iso(t - 20))])
        return chain

    honest = rules2_chain()
    first = honest.blocks[2]["txs"][1]["body"]
    line, height = 4, 3
    t = honest.next_time() + 600
    fresh = txs.sign("reading", reading("bed-1", 2, t - 30), w.gateway, ts=iso(t - 20))
    c.write("rules2-fresh-tx.jsonl", txs.leaf(fresh) + b"\n")

    def case(name, rule, chain, problems=None, mine=True):
        path = c.write(f"{name}.jsonl", chain.lines())
        c.add(name, rule, [path], 1 if rule else 0,
              problems if problems is not None else ([problem(line, height, rule)] if rule else []),
              mine={"args": w.mine_args(path, "rules2-fresh-tx.jsonl"), "status": 65 if rule else 0, "rule": rule}
              if mine else None)

    def tip(name, rule, make, **kw):
        chain = honest.copy()
        t = chain.next_time()
        chain.block(w.miner, make(t))
        case(name, rule, chain, **kw)

    def signed(kind, body, key, t):
        return txs.sign(kind, body, key, ts=iso(t - 20))

    # -- device binding (issue 15 item 5) -----------------------------------
    tip("device-binding-unbound-gateway-locks-out-bed-1", "device-binding",
        lambda t: [signed("reading", reading("bed-1", MAX_SEQ, t - 30), w.forger, t)])
    tip("device-binding-bound-gateway-other-device", "device-binding",
        lambda t: [signed("reading", reading("bed-2", 1, t - 30), w.gateway, t)])
    tip("device-binding-alert-from-unbound-gateway", "device-binding",
        lambda t: [signed("alert", alert(first, "news2", t), w.forger, t)])

    # -- a reading's time ---------------------------------------------------
    tip("reading-time-year-9000", "reading-time",
        lambda t: [signed("reading", dict(reading("bed-1", 2, t), ts="9000-01-01T00:00:00.000Z"), w.gateway, t)])
    tip("reading-time-eleven-minutes-ahead", "reading-time",
        lambda t: [signed("reading", reading("bed-1", 2, t + 660), w.gateway, t)])

    # -- alerts (item 6) ----------------------------------------------------
    tip("alert-ref-unknown-reading", "alert-ref",
        lambda t: [signed("alert", dict(alert(first, "news2", t), ref="ab" * 32), w.gateway, t)])
    tip("alert-ref-missing", "alert-ref",
        lambda t: [signed("alert", without(alert(first, "news2", t), "ref"), w.gateway, t)])
    tip("alert-ref-reading-after-its-alert", "alert-ref",
        lambda t: [signed("alert", alert(reading("bed-1", 2, t - 30), "news2", t), w.gateway, t),
                   signed("reading", reading("bed-1", 2, t - 30), w.gateway, t)])

    def repeated(t):
        r = reading("bed-1", 2, t - 30)
        a = alert(r, "news2", t)
        return [signed("reading", r, w.gateway, t), signed("alert", a, w.gateway, t),
                txs.sign("alert", a, w.gateway, ts=iso(t - 19))]
    tip("alert-repeat-same-reading-and-rule", "alert-repeat", repeated)

    # -- sealed bodies (item 7) ---------------------------------------------
    tip("seal-binding-no-aad", "seal-binding",
        lambda t: [signed("reading", sealed(t, [reader.id], aad=False), w.gateway, t)])
    tip("sealed-reader-not-a-reader", "sealed-reader",
        lambda t: [signed("reading", sealed(t, [outsider.id]), w.gateway, t)])

    def revoked():
        chain = honest.copy()
        t = chain.next_time()
        body = sealed(t + 600, [reader.id])  # sealed while the reader could read
        chain.block(w.miner, [signed("key", {"action": "revoke", "role": "clinician", "key": reader.public_b64},
                                     w.authority, t)])
        t = chain.next_time()
        chain.block(w.miner, [signed("reading", body, w.gateway, t)])
        return chain
    case("sealed-reader-revoked-before-its-block", "sealed-reader", revoked(), [problem(5, 4, "sealed-reader")])

    # -- edge cases both tools accept ----------------------------------------
    tip("valid-rules2-nfc-and-nfd-devices-side-by-side", "",
        lambda t: [signed("reading", reading(NFC, 1, t - 30), w.gateway, t),
                   signed("reading", reading(NFD, 1, t - 30), w.gateway, t)])
    # (ehx-mine's fresh reading, bed-1 seq 2, would then be a replay: not offered.)
    tip("valid-seq-at-2-53", "",
        lambda t: [signed("reading", reading("bed-1", MAX_SEQ, t - 30), w.gateway, t)], mine=False)
    tip("valid-reading-ten-minutes-ahead", "",
        lambda t: [signed("reading", reading(NFC, 1, t + 600), w.gateway, t)])

    def reset():
        chain = honest.copy()
        t = chain.next_time()
        chain.block(w.miner, [signed("reading", reading("bed-1", MAX_SEQ, t - 30), w.gateway, t),
                              signed("key", {"action": "grant", "role": "gateway", "key": w.gateway.public_b64,
                                             "devices": ["bed-1"], "seq": 1}, w.authority, t)])
        t = chain.next_time()
        chain.block(w.miner, [signed("reading", reading("bed-1", 2, t - 30), w.gateway, t)])
        return chain
    # ehx-mine's fresh reading (bed-1 seq 2) is then a replay: not offered.
    case("valid-authority-resets-a-forged-seq", "", reset(), mine=False)

    def alerts_per_rule(t):
        r = reading("bed-1", 2, t - 30)
        return [signed("reading", r, w.gateway, t), signed("alert", alert(r, "news2", t), w.gateway, t),
                signed("alert", alert(r, "baseline", t), w.gateway, t)]
    tip("valid-two-rules-two-alerts", "", alerts_per_rule, mine=False)

    # Rules 1: the same forgeries verify as they always did.
    legacy = Chain(w.authority, grants=w.grants())
    t = legacy.next_time()
    r = reading(NFD, 1, t - 30)
    legacy.block(w.miner, [signed("reading", reading(NFC, 1, t - 30), w.gateway, t),
                           signed("reading", r, w.gateway, t),
                           signed("reading", dict(reading("anyone", MAX_SEQ, t), ts="9000-01-01T00:00:00.000Z"),
                                  w.gateway, t),
                           signed("alert", without(alert(r, "news2", t), "ref"), w.gateway, t),
                           txs.sign("alert", without(alert(r, "news2", t), "ref"), w.gateway, ts=iso(t - 19))])
    case("valid-rules-1-chain-keeps-rules-1", "", legacy, mine=False)


def alert(r: dict, rule: str, t: int) -> dict:
    """An alert about reading body `r` under `rule`, naming it by ref."""
    return {"device": r["device"], "patient": r["patient"], "seq": r["seq"], "ts": r["ts"], "kind": r["kind"],
            "value": r["value"], "level": "low-medium", "reasons": [f"{r['kind']} scores 3 on NEWS2"],
            "rules": [{"rule": rule, "kind": r["kind"], "value": r["value"], "score": 3}],
            "ref": hashlib.sha256(canonical(r)).hexdigest()}


def without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def sealed(t: int, kids: list[str], aad: bool = True) -> dict:
    """A sealed reading body of the bound pseudonym. The chain judges the
    shape and the kids and never decrypts, so random bytes serve."""
    body = {"kind": "heart_rate", "ts": iso(t - 30), "seq": 1, "patient": "aa" * 32, "device": PSEUDONYM,
            "sealed": {"suite": "hpke-base-x25519-hkdf-sha256-chacha20poly1305",
                       "full": {"ct": b64url(os.urandom(40)),
                                "to": [{"kid": k, "enc": b64url(os.urandom(32)), "key": b64url(os.urandom(48))}
                                       for k in kids]}}}
    if aad:
        body["sealed"]["aad"] = "ehx-seal-v2"
    return body

