#!/usr/bin/env python3
"""Write a deterministic ward simulation for ehx: examples/readings.jsonl.

Sensor readings in the DESIGN.md format, without "mac" (the demo attaches
MACs with `ehx-sign --psk`). Python 3 standard library only; the same seed
always gives the same bytes.

    python3 examples/simulate.py              # writes examples/readings.jsonl
                                              # and examples/devices.txt
    python3 examples/simulate.py -o - --seed 7 > /tmp/other.jsonl

Ward: 3 patients, 4 devices, 08:00-10:00 UTC on 2026-11-26.

  bed12-mon   P-0001  bedside monitor: heart_rate, spo2 every 30 s,
                      resp_rate every 60 s, temperature and blood_pressure
                      every 15 min
  bed14-mon   P-0002  bedside monitor, same schedule
  rehab3-emg  P-0003  physio armband: emg and heart_rate every 30 s
  ward3-obs   all     nurse observation tablet: consciousness and oxygen for
                      every patient, plus spo2, resp_rate, temperature and
                      blood_pressure for P-0003, at the hourly rounds

Values are mean-reverting random walks kept inside NEWS2's score-0 bands, so
only the injected ABNORMAL readings below should raise alerts. BAD lines are
inserted at fixed line numbers (1-based, see BAD_AT) so tests can name them.
"""

import argparse
import json
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 26, 8, 0, 0, tzinfo=timezone.utc)
HOURS = 2
TICK_S = 30

# device -> first seq (devices have been running for a while before 08:00)
DEVICES = {
    "bed12-mon": 48210,
    "bed14-mon": 51877,
    "rehab3-emg": 1302,
    "ward3-obs": 9040,
}
PATIENTS = {"bed12-mon": "P-0001", "bed14-mon": "P-0002", "rehab3-emg": "P-0003"}
UNITS = {
    "heart_rate": "/min",
    "temperature": "Cel",
    "spo2": "%",
    "resp_rate": "/min",
    "blood_pressure": "mm[Hg]",
    "emg": "mV",
    "consciousness": "1",
    "oxygen": "1",
}
KIND_ORDER = list(UNITS)

# (device, patient, kind, minute offset from START, second, value): replaces the
# walk's value at that instant or adds a reading there. Each should raise an
# alert under NEWS2 (score 3 in one parameter, or temperature >= 39.1).
ABNORMAL = [
    ("rehab3-emg", "P-0003", "heart_rate", 20, 0, 132),       # exertion on the armband
    ("bed14-mon", "P-0002", "heart_rate", 42, 30, 135),       # tachycardia
    ("ward3-obs", "P-0003", "blood_pressure", 71, 10, {"systolic": 85, "diastolic": 52}),
    ("bed14-mon", "P-0002", "spo2", 70, 0, 88),               # desaturation
    ("bed12-mon", "P-0001", "temperature", 90, 0, 39.4),      # fever
    ("bed12-mon", "P-0001", "resp_rate", 91, 0, 27),          # tachypnoea
    ("ward3-obs", "P-0001", "consciousness", 95, 10, "C"),    # new confusion
]
# Not an alert on its own (NEWS2 scores it 2): P-0002 goes on oxygen after the
# desaturation, and stays on it.
OXYGEN_ON = ("P-0002", 72)  # patient, minute

# 1-based line numbers in the output file -> kind of bad line
BAD_AT = {
    200: "not_json",
    500: "missing_value",
    800: "unknown_kind",
    1100: "impossible_value",
    1400: "replay",
}
REPLAY_OF = 1350  # line 1400 repeats line 1350 byte for byte (same device, same seq)


def iso(ms):
    t = START + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (t.microsecond // 1000)


class Walk:
    """Mean-reverting random walk clamped to [lo, hi]."""

    def __init__(self, rng, mean, sd, lo, hi, pull=0.08):
        self.rng, self.mean, self.sd, self.lo, self.hi, self.pull = rng, mean, sd, lo, hi, pull
        self.x = mean + rng.gauss(0, sd)

    def step(self):
        self.x += self.pull * (self.mean - self.x) + self.rng.gauss(0, self.sd)
        self.x = min(self.hi, max(self.lo, self.x))
        return self.x


def simulate(seed):
    rng = random.Random(seed)
    events = []  # (ms, device, patient, kind, value, extra)

    def add(ms, device, patient, kind, value, extra=None):
        events.append((ms, device, patient, kind, value, extra))

    ticks = HOURS * 3600 // TICK_S
    for device in ("bed12-mon", "bed14-mon"):
        patient = PATIENTS[device]
        base_hr = 74 if device == "bed12-mon" else 68
        hr = Walk(rng, base_hr, 1.6, 56, 88)
        sp = Walk(rng, 97.6, 0.5, 96, 99.4)
        rr = Walk(rng, 16, 0.7, 13, 19.4)
        tc = Walk(rng, 36.8, 0.08, 36.3, 37.6, pull=0.1)
        sbp = Walk(rng, 124, 3.0, 112, 150)
        for i in range(ticks):
            ms = i * TICK_S * 1000 + rng.randint(0, 1500)
            add(ms, device, patient, "heart_rate", round(hr.step()))
            add(ms + rng.randint(3, 40), device, patient, "spo2", round(sp.step()))
            if i % 2 == 0:
                add(ms + rng.randint(41, 90), device, patient, "resp_rate", round(rr.step()))
            if i % 30 == 0:
                add(ms + rng.randint(91, 140), device, patient, "temperature", round(tc.step(), 1))
                s = round(sbp.step())
                d = round(s * 0.62 + rng.gauss(0, 3))
                add(ms + 25000 + rng.randint(0, 3000), device, patient, "blood_pressure",
                    {"systolic": s, "diastolic": d})

    device, patient = "rehab3-emg", PATIENTS["rehab3-emg"]
    hr = Walk(rng, 82, 2.0, 60, 89)
    for i in range(ticks):
        ms = i * TICK_S * 1000 + 10000 + rng.randint(0, 1500)
        add(ms, device, patient, "heart_rate", round(hr.step()))
        # physio session 08:15-08:45: contractions raise the RMS
        minute = i * TICK_S / 60
        active = 15 <= minute < 45 and i % 4 != 3
        sd = rng.uniform(0.18, 0.42) if active else rng.uniform(0.025, 0.06)
        if i % 4 == 0:
            samples = []
            for _ in range(8):
                v = round(rng.gauss(0, sd), 3)
                samples.append(v if v != 0 else 0.001)
            rms = round(math.sqrt(sum(v * v for v in samples) / len(samples)), 3)
            add(ms + 5, device, patient, "emg", max(rms, 0.001), {"samples": samples})
        else:
            add(ms + 5, device, patient, "emg", round(sd, 3))

    # hourly rounds on the observation tablet
    p3 = {
        "spo2": Walk(rng, 97, 0.6, 96, 99),
        "resp_rate": Walk(rng, 15, 0.8, 13, 19),
        "temperature": Walk(rng, 36.7, 0.1, 36.3, 37.4),
        "sbp": Walk(rng, 128, 4, 112, 150),
    }
    for hour in range(HOURS):
        for j, patient in enumerate(("P-0001", "P-0002", "P-0003")):
            ms = (hour * 60 + 5 + 3 * j) * 60000 + rng.randint(0, 20000)
            on_o2 = patient == OXYGEN_ON[0] and hour * 60 + 5 >= OXYGEN_ON[1]
            add(ms, "ward3-obs", patient, "consciousness", "A")
            add(ms + 1200, "ward3-obs", patient, "oxygen", on_o2)
            if patient == "P-0003":
                add(ms + 2400, "ward3-obs", patient, "spo2", round(p3["spo2"].step()))
                add(ms + 3600, "ward3-obs", patient, "resp_rate", round(p3["resp_rate"].step()))
                add(ms + 4800, "ward3-obs", patient, "temperature", round(p3["temperature"].step(), 1))
                s = round(p3["sbp"].step())
                add(ms + 6000, "ward3-obs", patient, "blood_pressure",
                    {"systolic": s, "diastolic": round(s * 0.6 + rng.gauss(0, 3))})
    add(OXYGEN_ON[1] * 60000 + 4321, "ward3-obs", OXYGEN_ON[0], "oxygen", True)

    # abnormal readings: replace the device's reading of that kind nearest in
    # time, or add one when the device has none within 5 minutes
    for device, patient, kind, minute, second, value in ABNORMAL:
        at = (minute * 60 + second) * 1000
        best = None
        for k, e in enumerate(events):
            if e[1] == device and e[2] == patient and e[3] == kind and abs(e[0] - at) < 300000:
                if best is None or abs(e[0] - at) < abs(events[best][0] - at):
                    best = k
        if best is None:
            add(at + 123, device, patient, kind, value)
        else:
            e = events[best]
            events[best] = (e[0], device, patient, kind, value, None)

    events.sort(key=lambda e: (e[0], e[1], KIND_ORDER.index(e[3])))
    return events


def render(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def reading(device, patient, seq, ms, kind, value, extra=None, unit=None):
    r = {"device": device, "patient": patient, "seq": seq, "ts": iso(ms), "kind": kind}
    if value is not None:
        r["value"] = value
    r["unit"] = unit or UNITS[kind]
    if extra:
        r.update(extra)
    return r


def build_lines(seed):
    events = simulate(seed)
    seqs = dict(DEVICES)
    lines, bad = [], []
    it = iter(events)
    last_ms = 0

    def next_seq(device):
        s = seqs[device]
        seqs[device] = s + 1
        return s

    while True:
        n = len(lines) + 1
        what = BAD_AT.get(n)
        if what is not None:
            ms = last_ms
            if what == "not_json":
                line = '{"device":"bed14-mon","patient":"P-0002","seq":'  # torn write
            elif what == "missing_value":
                line = render(reading("bed12-mon", "P-0001", next_seq("bed12-mon"), ms,
                                      "heart_rate", None))
            elif what == "unknown_kind":
                line = render(reading("bed14-mon", "P-0002", next_seq("bed14-mon"), ms,
                                      "blood_glucose", 6.1, unit="mmol/L"))
            elif what == "impossible_value":
                line = render(reading("bed12-mon", "P-0001", next_seq("bed12-mon"), ms,
                                      "heart_rate", 400))
            elif what == "replay":
                line = lines[REPLAY_OF - 1]
            lines.append(line)
            bad.append((n, what))
            continue
        e = next(it, None)
        if e is None:
            break
        ms, device, patient, kind, value, extra = e
        last_ms = ms
        lines.append(render(reading(device, patient, next_seq(device), ms, kind, value, extra)))
    missing = [n for n in BAD_AT if n > len(lines)]
    if missing:
        sys.exit("simulate.py: too few readings for bad lines at %s" % missing)
    return events, lines, bad


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=os.path.join(here, "readings.jsonl"),
                    help="output file, - for stdout (default: examples/readings.jsonl)")
    ap.add_argument("--devices", default=os.path.join(here, "devices.txt"),
                    help="device list, one per line (default: examples/devices.txt; '' to skip)")
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()

    events, lines, bad = build_lines(args.seed)
    data = "".join(line + "\n" for line in lines)
    if args.output == "-":
        sys.stdout.write(data)
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
    if args.devices:
        with open(args.devices, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(d + "\n" for d in sorted(DEVICES)))

    kinds = sorted({e[3] for e in events})
    shown = args.output if args.output == "-" else os.path.relpath(args.output)
    print("simulate.py: %d lines -> %s: %d readings (%d devices, %d patients, %d kinds, "
          "%s..%s), %d abnormal, %d bad at lines %s"
          % (len(lines), shown, len(events), len(DEVICES), len(set(PATIENTS.values())),
             len(kinds), iso(events[0][0]), iso(events[-1][0]), len(ABNORMAL), len(bad),
             ",".join("%d:%s" % b for b in bad)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
