#!/usr/bin/env python3
"""Writes the clinical scenario suite: one CSV per simulated patient (one row a
minute, as a bedside monitor exports it) and expected.json, the alerts each
scenario must (or must not) raise. The expectations come from the RCP NEWS2
chart (2017) and its escalation table, scored here independently of ehx: a
value is charted at the chart's resolution (whole numbers; temperature 0.1),
a value halfway between two charted values takes the worse score.

Run it again only to change the suite; the CSVs and expected.json it writes
are committed, so the tests and `make clinical` never depend on it.
"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1795680000  # 2026-11-26T08:00:00Z (the demo ward's morning)
COLS = ["ts", "patient", "device", "hr", "pulse", "resp", "spo2", "sys", "dia", "temperature", "consciousness", "oxygen"]

# The chart's bands as printed (inclusive whole-number or 0.1 limits).
RR = [(None, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, None, 3)]
SPO2_1 = [(None, 91, 3), (92, 93, 2), (94, 95, 1), (96, None, 0)]
SBP = [(None, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, None, 3)]
PULSE = [(None, 40, 3), (41, 50, 1), (51, 90, 0), (91, 110, 1), (111, 130, 2), (131, None, 3)]


def charted(bands, v, step=1.0):
    def score(c):
        for lo, hi, s in bands:
            if (lo is None or c >= lo - 1e-9) and (hi is None or c <= hi + 1e-9):
                return s
        raise ValueError(c)
    x = v / step
    lo = math.floor(x + 1e-9)
    if abs(x - lo - 0.5) < 1e-9:  # halfway: the worse neighbour
        return max(score(lo * step), score((lo + 1) * step))
    return score(round(x) * step)


def ts(minute):
    import datetime
    return datetime.datetime.fromtimestamp(T0 + 60 * minute, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wobble(minute, amplitude, phase=0.0):
    """Deterministic monitor jitter, |x| <= amplitude, one decimal."""
    return round(amplitude * math.sin(0.7 * minute + phase), 1)


def normal(minute, patient, hr=75.0, resp=16.0, spo2=97.0, jitter=True):
    j = jitter
    row = {"ts": ts(minute), "patient": patient, "device": "mon-" + patient.lower(),
           "hr": round(hr + (wobble(minute, 1.0) if j else 0), 1),
           "pulse": "", "resp": round(resp + (wobble(minute, 0.5, 1.0) if j else 0), 1),
           "spo2": round(min(100, spo2 + (wobble(minute, 0.4, 2.0) if j else 0)), 1),
           "sys": "", "dia": "", "temperature": "", "consciousness": "", "oxygen": ""}
    if minute % 15 == 0:  # the cuff cycles every 15 minutes
        row["sys"], row["dia"] = 125, 75
    if minute == 0:  # entered by staff on the admission round, held until changed
        row["temperature"], row["consciousness"], row["oxygen"] = 37.0, "A", "air"
    return row


def write(name, rows, cols=COLS):
    with open(os.path.join(HERE, name + ".csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(str(r.get(c, "")) for c in cols) + "\n")


scenarios = []


def scenario(name, patient, story, checks, rows, cols=COLS):
    write(name, rows, cols)
    scenarios.append({"name": name, "file": name + ".csv", "patient": patient, "story": story, "checks": checks})


# 1. Heart rate ramp 70 -> 129.5 over two hours.
rows = [normal(m, "P-RAMP-HR", hr=70 + 0.5 * m, jitter=False) for m in range(120)]
due = [m for m in range(120) if charted(PULSE, 70 + 0.5 * m) >= 1]
scenario("hr-ramp", "P-RAMP-HR", "heart rate rising 0.5/min from 70 to 129.5 over two hours, other vitals normal",
         [{"detect": {"kind": "heart_rate", "by": due[0]}},
          {"count": {"kind": "heart_rate", "rule": "news2", "min": len(due)}}], rows)

# 2. SpO2 drift 97 -> 92 over two hours (scale 1).
vals = [round(97 - 5 * m / 119, 1) for m in range(120)]
rows = [dict(normal(m, "P-DRIFT-SPO2", jitter=False), spo2=vals[m]) for m in range(120)]
due = [m for m in range(120) if charted(SPO2_1, vals[m]) >= 1]
scenario("spo2-drift", "P-DRIFT-SPO2", "SpO2 drifting from 97 to 92 % over two hours on air",
         [{"detect": {"kind": "spo2", "by": due[0]}},
          {"count": {"kind": "spo2", "rule": "news2", "min": len(due)}}], rows)

# 3. Respiration drift 16 -> 24 over two hours.
vals = [round(16 + 8 * m / 119, 1) for m in range(120)]
rows = [dict(normal(m, "P-DRIFT-RR", jitter=False), resp=vals[m]) for m in range(120)]
due = [m for m in range(120) if charted(RR, vals[m]) >= 1]
scenario("rr-drift", "P-DRIFT-RR", "respiration rate drifting from 16 to 24 /min over two hours",
         [{"detect": {"kind": "resp_rate", "by": due[0]}},
          {"count": {"kind": "resp_rate", "rule": "news2", "min": len(due)}}], rows)

# 4. Step changes: heart rate 75 -> 118 (scores 2), cuff systolic 125 -> 88 (scores 3).
rows = [normal(m, "P-STEP", hr=75 if m < 60 else 118) for m in range(120)]
for r, m in zip(rows, range(120)):
    if m >= 60 and r["sys"] != "":
        r["sys"], r["dia"] = 88, 55
scenario("steps", "P-STEP", "heart rate steps from 75 to 118 /min at minute 60; cuff systolic from 125 to 88 at the same round",
         [{"detect": {"kind": "heart_rate", "from": 60, "by": 60}},
          {"detect": {"kind": "blood_pressure", "from": 60, "by": 60, "level": "low-medium"}}], rows)

# 5. Staff-entered ACVPU and oxygen held for hours, scale 2 on oxygen:
# oxygen 2 + SpO2 94 on oxygen (scale 2: 1) + respiration 21 (2) = 5, medium.
rows = []
for m in range(300):
    r = normal(m, "P-O2-HELD", resp=21.3, spo2=94.0, jitter=False)
    if m == 0:
        r["oxygen"] = "oxygen"
    rows.append(r)
scenario("oxygen-held", "P-O2-HELD", "on oxygen (scale 2) with ACVPU and oxygen entered once on the admission round; aggregate 5 for five hours",
         [{"level": {"minute": m, "level": "medium", "partial": False, "score": 5}} for m in (1, 16, 60, 180, 299)], rows)

# 6. Scale 2 over-oxygenated: SpO2 98 on oxygen scores 3 on scale 2 (0 on scale 1).
rows = []
for m in range(60):
    r = normal(m, "P-O2-HIGH", spo2=98.0, jitter=False)
    if m == 0:
        r["oxygen"] = "oxygen"
    rows.append(r)
scenario("scale2-oxygen", "P-O2-HIGH", "hypercapnic patient on scale 2 given too much oxygen: SpO2 98 % on oxygen",
         [{"detect": {"kind": "spo2", "by": 1, "level": "medium"}},
          {"level": {"minute": 30, "level": "medium", "partial": False, "score": 5}}], rows)

# 7. Leads off: heart rate, respiration and SpO2 all 0 for 20 minutes, with
# one lone heart rate of 11.5 in the middle (as in the MIMIC-II recording).
rows = []
for m in range(120):
    r = normal(m, "P-LEADS", hr=58, resp=13, spo2=97)
    r["pulse"] = round(r["hr"] - 0.6, 1)
    if 60 <= m < 80:
        r["hr"], r["pulse"], r["resp"], r["spo2"] = (11.5 if m == 70 else 0), 0, 0, 0
    rows.append(r)
scenario("leads-off", "P-LEADS", "ECG leads and SpO2 probe off for 20 minutes (all 0), one lone heart rate of 11.5 in the middle",
         [{"artefact": {"from": 60, "to": 79, "require": 70}},
          {"absent": {"min": 59}}], rows)

# 8. Artefact spike: a lone respiration of 2.0 between 9.0 and 7.7; 7.7 is real bradypnoea.
rr = {55: 9.4, 56: 9.6, 57: 8.8, 58: 9.3, 59: 9.0, 60: 2.0, 61: 7.7, 62: 8.7, 63: 8.8}
rows = []
for m in range(90):
    r = normal(m, "P-SPIKE", hr=54, resp=12)
    if m in rr:
        r["resp"] = rr[m]
    rows.append(r)
scenario("rr-spike", "P-SPIKE", "a lone respiration of 2.0 /min between 9.0 and 7.7",
         [{"artefact": {"from": 60, "to": 60, "require": 60}},
          {"unmarked": {"minute": 61, "kind": "resp_rate", "level": "low-medium"}},
          {"detect": {"kind": "resp_rate", "from": 61, "by": 61, "real": True}}], rows)

# 9. Bradypnoea at 8.x: fourteen readings of 8.1-8.4 chart as 8 and score 3.
brady = [8.1, 8.2, 8.4, 8.3, 8.1, 8.4, 8.2, 8.3, 8.1, 8.2, 8.4, 8.3, 8.2, 8.1]
rows = []
for m in range(90):
    r = normal(m, "P-BRADY", hr=60, resp=12)
    if 30 <= m < 30 + len(brady):
        r["resp"] = brady[m - 30]
    rows.append(r)
assert all(charted(RR, v) == 3 for v in brady)
scenario("bradypnoea-8x", "P-BRADY", "fourteen respiration readings of 8.1-8.4 /min",
         [{"detect": {"kind": "resp_rate", "from": 30, "by": 30, "level": "low-medium", "real": True}},
          {"count": {"kind": "resp_rate", "rule": "news2", "min": len(brady), "score": 3}}], rows)

# 10. Apnoea reported as 0 while the pulse and SpO2 still read.
rows = []
for m in range(60):
    r = normal(m, "P-APNOEA", hr=88, resp=14, spo2=96)
    if 30 <= m < 33:
        r["resp"] = 0
    rows.append(r)
scenario("apnoea", "P-APNOEA", "respiration 0 for three minutes while heart rate and SpO2 still read",
         [{"detect": {"kind": "resp_rate", "from": 30, "by": 30, "level": "low-medium", "real": True}}], rows)

# 11. One parameter of seven: the aggregate is partial, never a bare low.
cols = ["ts", "patient", "device", "hr"]
rows = [{"ts": ts(m), "patient": "P-PARTIAL", "device": "mon-p-partial", "hr": 95} for m in range(30)]
scenario("partial", "P-PARTIAL", "only a heart rate of 95 /min, six of seven NEWS2 parameters missing",
         [{"detect": {"kind": "heart_rate", "by": 0}}, {"partial_all": True}], rows, cols)

# 12. ECG double-counting: heart rate 150 while the pleth pulse reads 75.
rows = []
for m in range(60):
    r = normal(m, "P-PLETH", hr=75)
    r["pulse"] = round(r["hr"] - 0.4, 1)
    if 30 <= m < 33:
        r["hr"] = 150
    rows.append(r)
scenario("pleth-mismatch", "P-PLETH", "ECG heart rate 150 /min for three minutes while the pulse oximeter counts 75",
         [{"artefact": {"from": 30, "to": 32, "require": 30}}], rows)

# 13. A stable patient for three hours: nothing to say.
rows = [normal(m, "P-STABLE") for m in range(180)]
scenario("stable", "P-STABLE", "all vitals normal with monitor jitter for three hours",
         [{"max_alerts": 0}], rows)

with open(os.path.join(HERE, "rules.json"), "w") as f:
    json.dump({"v": 1, "comment": "The scenario suite's rules: the two oxygen patients are scored on SpO2 scale 2.",
               "patients": {"P-O2-HELD": {"spo2_scale": 2}, "P-O2-HIGH": {"spo2_scale": 2}}}, f, indent=1)
    f.write("\n")
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"t0": ts(0), "scenarios": scenarios}, f, indent=1)
    f.write("\n")
