#!/usr/bin/python3
"""Tables of the benchmark suite from vtep-bench's JSON summaries.

    report.py rfc2544 OUT DIRECTION        rfc2544-DIRECTION-{vtepd,testpmd}.json
                                           -> rfc2544-DIRECTION.csv, .md
    report.py sweep OUT NAME               sweep-NAME.csv (written by sweeps.sh)
                                           -> sweep-NAME.md, sweep-NAME.dat

Every vtepd figure stands next to the testpmd figure of the same run; the
load average (1 min) at the start of each DUT's measurements is kept beside
it, since the machine is shared. Standard library only.
"""
import csv
import json
import os
import sys

DUTS = ("vtepd", "testpmd")


def load_of(path):
    try:
        with open(path) as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def rfc2544(out, direction):
    runs, loads = {}, {}
    for dut in DUTS:
        base = os.path.join(out, "rfc2544-%s-%s" % (direction, dut))
        if os.path.exists(base + ".json"):
            with open(base + ".json") as f:
                runs[dut] = json.load(f)
            loads[dut] = load_of(base + ".load")
    if not runs:
        sys.exit("report: no rfc2544-%s-*.json in %s" % (direction, out))
    any_run = next(iter(runs.values()))
    sizes = [r["size"] for r in any_run["results"]]
    by = {dut: {r["size"]: r for r in j["results"]} for dut, j in runs.items()}

    def cell(dut, size):
        r = by.get(dut, {}).get(size)
        if r is None:
            return None
        note = []
        if not r["found"]:
            note.append("nothing passed")
        if r["generator_limited"]:
            note.append("generator-limited")
        if not r["complete"]:
            note.append("incomplete")
        return r, ", ".join(note)

    rows = []
    for s in sizes:
        row = {"size": s}
        for dut in DUTS:
            c = cell(dut, s)
            if c is None:
                continue
            r, note = c
            row[dut + "_mpps"] = "%.4f" % (r["rate_pps"] / 1e6)
            row[dut + "_mbps"] = "%.0f" % r["mbps"]
            row[dut + "_line_pct"] = "%.2f" % r["line_pct"]
            row[dut + "_trials"] = len(r["trials"])
            row[dut + "_note"] = note
            row[dut + "_load"] = loads[dut]
        if "vtepd_mpps" in row and "testpmd_mpps" in row and float(row["testpmd_mpps"]) > 0:
            row["ratio"] = "%.3f" % (float(row["vtepd_mpps"]) / float(row["testpmd_mpps"]))
        rows.append(row)
    fields = ["size"] + ["%s_%s" % (d, k) for d in DUTS
                         for k in ("mpps", "mbps", "line_pct", "trials", "note", "load")] + ["ratio"]
    with open(os.path.join(out, "rfc2544-%s.csv" % direction), "w", newline="") as f:
        w = csv.DictWriter(f, fields)
        w.writeheader()
        for row in rows:
            w.writerow(row)
    c = any_run["config"]
    lines = ["RFC 2544 throughput, %s (%s frames), %s flows, %g s trials, "
             "loss tolerance %g %%, line %g Gbit/s; load average at start: %s"
             % (direction, c["kind"], c["flows"], any_run["trial_seconds"],
                any_run["loss_tolerance_pct"], c["line_bps"] / 1e9,
                ", ".join("%s %s" % (d, loads[d]) for d in runs)),
             "",
             "| size B | vtepd Mpps | vtepd Mbit/s | vtepd % line | testpmd Mpps | "
             "testpmd Mbit/s | vtepd/testpmd | notes |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        notes = "; ".join("%s: %s" % (d, row[d + "_note"]) for d in DUTS
                          if row.get(d + "_note"))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            row["size"], row.get("vtepd_mpps", "-"), row.get("vtepd_mbps", "-"),
            row.get("vtepd_line_pct", "-"), row.get("testpmd_mpps", "-"),
            row.get("testpmd_mbps", "-"), row.get("ratio", "-"), notes))
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out, "rfc2544-%s.md" % direction), "w") as f:
        f.write(md)
    sys.stdout.write(md)


def sweep(out, name):
    """sweep-NAME.csv rows: dut,x,offered_pps,achieved_pps,sent,received,lost,load."""
    with open(os.path.join(out, "sweep-%s.csv" % name)) as f:
        rows = list(csv.DictReader(f))
    xs = []
    table = {}
    for r in rows:
        x = float(r["x"])
        if x not in xs:
            xs.append(x)
        table[(r["dut"], x)] = r
    label = {"size": "frame size (B)", "flows": "flows", "load": "offered (Mpps)"}[name]
    # gnuplot data: x, vtepd achieved Mpps, testpmd achieved Mpps, vtepd offered, testpmd offered
    with open(os.path.join(out, "sweep-%s.dat" % name), "w") as f:
        f.write("# %s vtepd_mpps testpmd_mpps vtepd_offered_mpps testpmd_offered_mpps\n" % name)
        for x in xs:
            v = table.get(("vtepd", x))
            t = table.get(("testpmd", x))

            def m(r, k):
                return "%.4f" % (float(r[k]) / 1e6) if r else "NaN"
            f.write("%g %s %s %s %s\n" % (x, m(v, "achieved_pps"), m(t, "achieved_pps"),
                                          m(v, "offered_pps"), m(t, "offered_pps")))
    lines = ["| %s | vtepd offered Mpps | vtepd achieved Mpps | vtepd loss %% | load | "
             "testpmd offered Mpps | testpmd achieved Mpps | testpmd loss %% | load | "
             "vtepd/testpmd |" % label,
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for x in xs:
        cells = []
        ach = {}
        for dut in DUTS:
            r = table.get((dut, x))
            if r is None:
                cells += ["-"] * 4
                continue
            sent = int(r["sent"])
            loss = 100.0 * int(r["lost"]) / sent if sent else 0.0
            ach[dut] = float(r["achieved_pps"])
            cells += ["%.3f" % (float(r["offered_pps"]) / 1e6), "%.3f" % (ach[dut] / 1e6),
                      "%.3f" % loss, r["load"]]
        ratio = "%.3f" % (ach["vtepd"] / ach["testpmd"]) \
            if ach.get("testpmd") and "vtepd" in ach else "-"
        lines.append("| %g | %s | %s |" % (x, " | ".join(cells), ratio))
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out, "sweep-%s.md" % name), "w") as f:
        f.write(md)
    sys.stdout.write(md)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("rfc2544", "sweep"):
        sys.exit(__doc__)
    if sys.argv[1] == "rfc2544":
        rfc2544(sys.argv[2], sys.argv[3])
    else:
        sweep(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    main()
