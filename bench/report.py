#!/usr/bin/python3
"""report.py — turn one bench/run.sh run into the table, the JSON and the plot.

  report.py RUNDIR OUTBASE [--plot]

Reads RUNDIR/rows.tsv (scenario, pmd, hare, kernel, unit, note per line, as
run.sh's `row` writes them), RUNDIR/meta.json and RUNDIR/raw/*.json (every
client's own output). Writes OUTBASE.json (everything), prints the table,
and with --plot writes OUTBASE.png and OUTBASE.svg through gnuplot: one
horizontal bar per row, hare / kernel on a log axis centred on 1 (the
kernel), the issue's target ratio as a mark.
"""
import glob
import json
import os
import subprocess
import sys

# What the issue asks of each scenario, as hare / kernel.
TARGET_RATIO = {"http_keepalive": 2, "http_close": 2, "echo_64B": 2, "echo_1KiB": 2,
                "nokernel_keepalive": 50, "nokernel_close": 45}
TARGET_COST = 1500


def num(s):
    try:
        return float(s) if s not in ("", None) else None
    except ValueError:
        return None


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "Gbit/s":
        return f"{v:.2f}"
    return f"{v:,.0f}"


def load(rundir):
    rows = []
    with open(os.path.join(rundir, "rows.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 6:
                continue
            scen, pmd, hare, kern, unit, note = parts[:6]
            h, k = num(hare), num(kern)
            r = {"scenario": scen, "pmd": pmd, "hare": h, "kernel": k, "unit": unit,
                 "ratio": round(h / k, 3) if h and k else None, "note": note}
            base = scen if not scen.startswith("bulk") else "bulk"
            if base in TARGET_RATIO or base == "bulk":
                r["target_ratio"] = TARGET_RATIO.get(base, 2)
            if scen == "cost_per_request":
                r["target"] = TARGET_COST
            rows.append(r)
    with open(os.path.join(rundir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    rawd = {}
    for p in sorted(glob.glob(os.path.join(rundir, "raw", "*.json"))):
        try:
            with open(p, encoding="utf-8") as f:
                rawd[os.path.basename(p)[:-5]] = json.load(f)
        except (OSError, ValueError) as e:
            rawd[os.path.basename(p)[:-5]] = {"unreadable": str(e)}
    return rows, meta, rawd


def table(rows, meta):
    out = [f"{'scenario':<22} {'pmd':<10} {'hare':>12} {'kernel':>12} {'ratio':>8}  unit"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        out.append(f"{r['scenario']:<22} {r['pmd']:<10} {fmt(r['hare'], r['unit']):>12} "
                   f"{fmt(r['kernel'], r['unit']):>12} {ratio:>8}  {r['unit']}")
        if r["note"]:
            out.append(f"{'':<22} ^ {r['note']}")
    out.append(f"({meta.get('cpu_model')}, {meta.get('cpus')} CPUs, kernel {meta.get('kernel')}, "
               f"DPDK {meta.get('dpdk')}, {meta.get('duration_s')} s per measurement, "
               f"server core {meta.get('server_core')}, client core {meta.get('client_core')})")
    return "\n".join(out)


def plot(rows, meta, rawd, base):
    bars = [r for r in rows if r["ratio"] is not None]
    if not bars:
        print("report: nothing to plot (no row has both figures)", file=sys.stderr)
        return
    dat = base + ".plot.dat"
    with open(dat, "w", encoding="utf-8") as f:
        for i, r in enumerate(reversed(bars)):
            label = f"{r['scenario']} ({r['pmd']})"
            color = 0x2e8b57 if r["ratio"] >= 1 else 0xc0392b
            f.write(f'{i} {r["ratio"]} {r.get("target_ratio", 0)} {color} "{label}" '
                    f'"{r["ratio"]:.2f}x  ({fmt(r["hare"], r["unit"])} vs '
                    f'{fmt(r["kernel"], r["unit"])} {r["unit"]})"\n')
    lo = min(0.5, min(r["ratio"] for r in bars) / 1.5)
    hi = max(10, max(max(r["ratio"], r.get("target_ratio", 0)) for r in bars) * 14)
    cost = rawd.get("cost.hare", {})
    sub = (f"{meta.get('cpu_model')} x{meta.get('cpus')}, kernel {meta.get('kernel')}, "
           f"DPDK {meta.get('dpdk')}; server core {meta.get('server_core')}, client core "
           f"{meta.get('client_core')}; {meta.get('duration_s')} s each")
    if "instructions_per_request" in cost:
        lay = ", ".join(f"{k} {v:.0f}" for k, v in cost.get("layers", {}).items()
                        if not k.startswith("timer"))
        sub += (f"\\nhare-httpd: {cost['instructions_per_request']:.0f} instructions per "
                f"keep-alive request (target <= {TARGET_COST}): {lay}")
    n = len(bars)
    for term, ext in (("pngcairo size 1100,%d font 'sans,10'" % (160 + 42 * n), "png"),
                      ("svg size 1100,%d dynamic font 'sans,10'" % (160 + 42 * n), "svg")):
        script = f"""
set terminal {term}
set output '{base}.{ext}'
set title "hare / Linux kernel, same client, same cores (bar right of 1 = hare faster)\\n{{/*0.8 {sub}}}"
set logscale x
set xrange [{lo}:{hi}]
set yrange [-0.7:{n - 0.3}]
set ytics nomirror noenhanced
set xtics nomirror
set grid xtics
set xlabel 'ratio hare / kernel (log scale; 1 = kernel; dot = the target ratio of issue 6)'
unset key
set style fill solid 0.85 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb '#333333'
plot '{dat}' using (sqrt($2)):1:(1 < $2 ? 1 : $2):(1 < $2 ? $2 : 1):($1-0.32):($1+0.32):4:ytic(5) \\
       with boxxyerror lc rgb variable notitle, \\
     '' using ($3 > 0 ? $3 : 1/0):1 with points pt 7 ps 1.3 lc rgb '#1f3a93' title "target ratio (issue 6)", \\
     '' using (($2 > $3 ? ($2 > 1 ? $2 : 1) : $3) * 1.15):1:6 with labels left font ',10' noenhanced notitle
"""
        try:
            p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, check=False)
        except OSError:
            print("report: gnuplot missing: apt-get install gnuplot-nox (no plot written)",
                  file=sys.stderr)
            return
        if p.returncode != 0:
            print(f"report: gnuplot failed for {ext}: {p.stderr.strip()[:400]}", file=sys.stderr)


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: report.py RUNDIR OUTBASE [--plot]")
    rundir, base = sys.argv[1], sys.argv[2]
    rows, meta, rawd = load(rundir)
    doc = {"meta": meta, "rows": rows, "raw": rawd,
           "logs": os.path.relpath(rundir, os.path.dirname(base) or ".")}
    with open(base + ".json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(table(rows, meta))
    if "--plot" in sys.argv[3:]:
        plot(rows, meta, rawd, base)
    here = os.getcwd()
    print(f"results: {os.path.relpath(base, here)}.json" +
          (f", plot: {os.path.relpath(base, here)}.png / .svg"
           if "--plot" in sys.argv[3:] and os.path.exists(base + ".png") else ""))


if __name__ == "__main__":
    main()
