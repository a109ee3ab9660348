#!/usr/bin/env python3
"""`make clinical`: the real MIMIC-II recording and the scenario suite through
ehx-ingest in the fixed mode (NEWS2 and thresholds only: every baseline off)
and the adaptive mode (the defaults: baselines and drift on), printed as one
table: alerts by kind and rule, sensitivity on the scenario suite, and false
alarms on the real recording.

A false alarm on the recording is an alert the RCP chart does not back (no
NEWS2 score of its own and no rise of the aggregate: baseline or drift rules
alone), or one the gateway marks as a suspected artefact. The recording has
no clinical outcome, so this counts noise, not missed deterioration; missed
deterioration is what the scenario suite measures, against expectations
written from the chart (Tests/Scenarios/expected.json).

Usage: scripts/clinical.py [--bin DIR] [--data FILE]
"""
import argparse, collections, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCEN = os.path.join(ROOT, "Tests", "Scenarios")
KINDS = ["heart_rate", "temperature", "spo2", "resp_rate", "blood_pressure", "emg", "consciousness", "oxygen"]
LEVELS = ["low", "low-medium", "medium", "high"]
CHART_RULES = {"news2", "news2-risk"}


def ingest(binary, path, rules, extra):
    cmd = [os.path.join(binary, "ehx-ingest"), "--from", "csv", "-q", "--rules", rules, "--archive"] + extra + [path]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode not in (0, 65):
        sys.exit("clinical: %s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
    alerts, absent, readings = [], 0, 0
    for line in r.stdout.decode().splitlines():
        o = json.loads(line)
        if o.get("type") == "alert":
            alerts.append(o["body"])
        else:
            readings += 1
            absent += "absent" in o
    return alerts, readings, absent


def rules_file(directory, base, fixed):
    rules = json.load(open(base)) if base else {"v": 1}
    if fixed:
        rules["kinds"] = {k: {"baseline": False} for k in KINDS}
    path = os.path.join(directory, ("fixed-" if fixed else "adaptive-") + os.path.basename(base or "rules.json"))
    json.dump(rules, open(path, "w"))
    return path


def minute(alert, t0):
    import datetime
    ts = datetime.datetime.strptime(alert["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    return int((ts - t0) // 60)


def check(alerts, absent, checks, t0):
    """(passed, total) of a scenario's checks; the meaning of each is in
    Tests/EHXSharedTests/Gateway/ClinicalScenarioTests.swift."""
    order = lambda level: LEVELS.index(level) if level in LEVELS else -1
    marked = lambda a: a.get("artefact") is True
    ok = 0
    for c in checks:
        kind, spec = next(iter(c.items()))
        if kind == "detect":
            good = any(a["kind"] == spec["kind"] and spec.get("from", 0) <= minute(a, t0) <= spec["by"]
                       and order(a["level"]) >= order(spec.get("level", "low")) and not (spec.get("real") and marked(a)) for a in alerts)
        elif kind == "count":
            n = sum(1 for a in alerts if a["kind"] == spec["kind"] and any(
                r.get("rule") == spec["rule"] and ("score" not in spec or r.get("score") == spec["score"]) for r in a.get("rules", [])))
            good = n >= spec["min"]
        elif kind == "level":
            at = [a for a in alerts if minute(a, t0) == spec["minute"]]
            good = bool(at) and all(a["level"] == spec["level"] and a.get("partial") == spec["partial"]
                                    and a.get("news2", {}).get("score") == spec["score"] for a in at)
        elif kind == "artefact":
            inside = [a for a in alerts if spec["from"] <= minute(a, t0) <= spec["to"]]
            good = all(marked(a) for a in inside) and any(minute(a, t0) == spec["require"] for a in inside)
        elif kind == "unmarked":
            good = any(minute(a, t0) == spec["minute"] and a["kind"] == spec["kind"] and not marked(a)
                       and order(a["level"]) >= order(spec.get("level", "low")) for a in alerts)
        elif kind == "absent":
            good = absent >= spec["min"]
        elif kind == "partial_all":
            good = bool(alerts) and all(a.get("partial") is True for a in alerts)
        elif kind == "max_alerts":
            good = len(alerts) <= spec
        else:
            sys.exit("clinical: unknown check " + kind)
        ok += bool(good)
    return ok, len(checks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    shared = os.environ.get("EHX_SHARED_DIR") or next((d for d in (os.path.join(ROOT, "..", "shared"), os.path.join(ROOT, "..", "..", "shared"))
                                                         if os.path.isdir(d)), os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--data", default=os.path.join(shared, "data", "s00001-2896-10-10-00-31n.csv"))
    args = ap.parse_args()
    expected = json.load(open(os.path.join(SCEN, "expected.json")))
    import datetime
    t0 = datetime.datetime.strptime(expected["t0"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    modes = ["fixed", "adaptive"]
    real, scen = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            fixed = mode == "fixed"
            if os.path.exists(args.data):
                real[mode] = ingest(args.bin, args.data, rules_file(tmp, None, fixed), ["--device", "mimic2-s00001", "--patient", "s00001"])
            passed = total = detected = detects = 0
            first = {}
            for s in expected["scenarios"]:
                alerts, _, absent = ingest(args.bin, os.path.join(SCEN, s["file"]), rules_file(tmp, os.path.join(SCEN, "rules.json"), fixed), [])
                ok, n = check(alerts, absent, s["checks"], t0)
                passed += ok; total += n
                for c in s["checks"]:
                    if "detect" in c:
                        detects += 1
                        detected += check(alerts, absent, [c], t0)[0]
                if s["name"] in ("hr-ramp", "spo2-drift", "rr-drift"):
                    k = {"hr-ramp": "heart_rate", "spo2-drift": "spo2", "rr-drift": "resp_rate"}[s["name"]]
                    times = [minute(a, t0) for a in alerts if a["kind"] == k]
                    first[s["name"]] = min(times) if times else None
            scen[mode] = (passed, total, detected, detects, first)

    rows = []
    def row(label, *cells): rows.append((label,) + tuple(str(c) for c in cells))
    if real:
        row("MIMIC-II s00001 (32 h, 1 row/min)", *modes)
        row("  readings written (absent)", *["%d (%d)" % (real[m][1], real[m][2]) for m in modes])
        row("  alerts", *[len(real[m][0]) for m in modes])
        for level in LEVELS:
            row("    level %s" % level, *[sum(1 for a in real[m][0] if a["level"] == level) for m in modes])
        row("    labelled partial", *[sum(1 for a in real[m][0] if a.get("partial")) for m in modes])
        kinds = sorted({a["kind"] for m in modes for a in real[m][0]})
        for k in kinds:
            row("    kind %s" % k, *[sum(1 for a in real[m][0] if a["kind"] == k) for m in modes])
        names = sorted({r["rule"] for m in modes for a in real[m][0] for r in a.get("rules", [])})
        for n in names:
            row("    reason %s" % n, *[sum(1 for a in real[m][0] if any(r["rule"] == n for r in a.get("rules", []))) for m in modes])
        false = {m: [a for a in real[m][0] if a.get("artefact") or not any(r["rule"] in CHART_RULES for r in a.get("rules", []))] for m in modes}
        row("  false alarms (not chart-backed, or artefact)", *[len(false[m]) for m in modes])
        row("    of which marked suspected artefact", *[sum(1 for a in real[m][0] if a.get("artefact")) for m in modes])
        row("    of which baseline/drift alone", *[sum(1 for a in false[m] if not a.get("artefact")) for m in modes])
    else:
        row("MIMIC-II recording", "not found: " + args.data, "")
    row("Scenario suite (%d scenarios)" % len(expected["scenarios"]), *modes)
    row("  sensitivity: detections in time", *["%d/%d" % (scen[m][2], scen[m][3]) for m in modes])
    row("  all checks met", *["%d/%d" % (scen[m][0], scen[m][1]) for m in modes])
    for name in ("hr-ramp", "spo2-drift", "rr-drift"):
        row("  first alert, %s (minute)" % name, *[scen[m][4].get(name) for m in modes])
    width = max(len(r[0]) for r in rows)
    for r in rows:
        print(r[0].ljust(width) + "".join(c.rjust(12) for c in r[1:]))


if __name__ == "__main__":
    main()
