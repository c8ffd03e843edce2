#!/usr/bin/python3
"""cg_layers.py — server instructions per request from callgrind profiles,
split by layer (driver/PMD, eth/ip, tcp, http).

  cg_layers.py [--objdir BUILD] IDLE.cg N1 RUN1.cg N2 RUN2.cg   -> JSON on stdout

The profiles come from `valgrind --tool=callgrind --toggle-collect=
hare_worker_run` on hare-httpd: IDLE with no traffic, RUN1/RUN2 after N1 and
N2 keep-alive requests (N2 ~ 2*N1, counts read from the server's own
httpd_requests counter). hare busy-polls, so most of a profile is empty
polls, whose number depends on how long the run took, not on the requests.
Their cost is exactly the same every time (same code path: an empty RX
burst, the clock read, an empty TX flush), so it is measured per loop
iteration in IDLE and subtracted: iterations = calls of
hare_worker_update_clock (once per loop), and the per-iteration idle cost is
charged to the functions that make up an empty iteration. Timer ticks (one
per millisecond, also time- not request-driven) are subtracted the same way
per call of hare_worker_timers. What remains, RUN2 minus RUN1 divided by
N2 - N1, is the steady-state cost of one request: set-up (ARP, the
handshakes) cancels in the difference.

Layers: by the source file that defines the function (from `nm` over the
build's object files, --objdir; the release build has symbols but no line
info), else by name:
  driver  DPDK's own objects (PMD rx/tx, mbuf, mempool, ring) and the
          worker's poll loop / TX flush / RX dispatch
  eth/ip  hare_eth_*, arp, hare_ipv4_*, icmp, checksums
  tcp     hare_tcp_*, tcp_*
  http    http_*, httpd_*
  libc    memcpy & co. called from any layer
"""
import glob
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

POLL_LOOP = ("hare_worker_run", "hare_worker_update_clock", "hare_worker_tx_flush")


def parse(path):
    """Self cost per function, call counts per callee, call edges, total."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    selfc = defaultdict(int)
    calls = defaultdict(int)
    edges = defaultdict(int)        # (caller, callee) -> inclusive cost
    obj_of = {}
    ob = fn = ""
    cfn = cob = ""
    pending_call = None
    total = 0
    npos = 1

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest)
        if not m:
            return rest
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?")

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                # positions first (one per "positions:" kind: line, or
                # instr and line with --dump-instr=yes), then the cost
                cost = int(parts[npos]) if len(parts) > npos else 0
                if pending_call is not None:
                    edges[(fn, pending_call)] += cost
                    pending_call = None
                    cob = ob      # cob= holds for one call only
                else:
                    selfc[fn] += cost
                continue
            if line.startswith("positions:"):
                npos = len(line.split()) - 1
                continue
            key, _, rest = line.partition("=")
            if key == "ob":
                ob = name("ob", rest)
            elif key == "fn":
                fn = name("fn", rest)
                obj_of[fn] = ob
                cob = ob
            elif key in ("fl", "fi", "fe"):
                name("fl", rest)
            elif key in ("cfi", "cfl"):
                name("fl", rest)
            elif key == "cob":
                cob = name("ob", rest)
            elif key == "cfn":
                cfn = name("fn", rest)
                obj_of.setdefault(cfn, cob)
            elif key == "calls":
                calls[cfn] += int(rest.split()[0])
                pending_call = cfn
            elif line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    return {"self": dict(selfc), "calls": dict(calls), "edges": dict(edges),
            "obj": obj_of, "total": total}


SRC_LAYER = [  # source file (basename, without the meson target prefix) -> layer
    (re.compile(r"^(eth|arp|ipv4|icmp|config|stats|boot_secret)\.c$"), "eth/ip"),
    (re.compile(r"^tcp_.*\.c$"), "tcp"),
    (re.compile(r"^(worker|hare_port|hare_eal|app_main|app_cli)\.c$"), "driver"),
    (re.compile(r"^(http|httpd).*\.c$"), "http"),
]
SYM_SRC = {}


def load_symbols(objdir):
    """Map every function symbol of the build's objects to its source file."""
    for o in glob.glob(os.path.join(objdir, "**", "*.o"), recursive=True):
        if "/tests/" in o or "/bench/" in o:
            continue
        src = os.path.basename(o)[:-2]                   # tcp_in.c / hare-httpd_main.c
        src = re.sub(r"^(hare-[a-z]+_|common_|\.\._drivers_)", "", src)
        try:
            out = subprocess.run(["nm", "--defined-only", o], capture_output=True,
                                 text=True, check=False).stdout
        except OSError:
            return
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                SYM_SRC.setdefault(parts[2], src)


def layer(fn, obj):
    src = SYM_SRC.get(fn) or SYM_SRC.get(fn.split(".")[0])
    if src:
        for rx, name in SRC_LAYER:
            if rx.match(src):
                return name
    base = obj.rsplit("/", 1)[-1]
    if base.startswith("librte_") or fn.startswith("rte_") or fn.startswith("eth_"):
        return "driver"
    if fn.startswith("hare_worker") or fn.startswith("hare_port"):
        return "driver"
    if base.startswith("libc") or base.startswith("ld-linux") or fn.startswith("__"):
        return "libc"
    if fn.startswith(("hare_tcp", "tcp_")):
        return "tcp"
    if fn.startswith(("http", "hare_http", "body_", "resp_")):
        return "http"
    if fn.startswith(("hare_eth", "hare_arp", "arp_", "hare_ipv4", "ipv4_", "hare_icmp",
                      "icmp_", "hare_raw_cksum", "hare_cksum", "cksum", "eth_")):
        return "eth/ip"
    if fn.startswith("hare_"):
        return "eth/ip"   # the rest of lib/: config lookups, stats
    return "other"


def rx_function(p):
    """The PMD's RX burst: what hare_worker_run calls in a librte_net_ object."""
    best = None
    for (caller, callee), _ in p["edges"].items():
        if caller == "hare_worker_run" and "librte_net_" in p["obj"].get(callee, ""):
            if best is None or p["calls"].get(callee, 0) > p["calls"].get(best, 0):
                best = callee
    return best


def idle_model(idle):
    """Per-iteration cost of an empty poll, per function; per-tick timer cost."""
    iters = idle["calls"].get("hare_worker_update_clock", 0)
    if iters == 0:
        raise SystemExit("cg_layers: the idle profile has no poll-loop iterations "
                         "(was it taken with --toggle-collect=hare_worker_run?)")
    rx = rx_function(idle)
    per_iter = {f: idle["self"].get(f, 0) / iters for f in POLL_LOOP}
    if rx:
        per_iter[rx] = idle["self"].get(rx, 0) / iters
    ticks = idle["calls"].get("hare_worker_timers", 0)
    tick_cost = 0.0
    if ticks:
        tick_cost = sum(c for (a, b), c in idle["edges"].items()
                        if a == "hare_worker_run" and b == "hare_worker_timers") / ticks
    return {"iterations": iters, "per_iteration": per_iter, "rx_fn": rx,
            "ticks": ticks, "per_tick": tick_cost}


def work(p, model):
    """Self cost per function with the idle polls and idle ticks removed."""
    iters = p["calls"].get("hare_worker_update_clock", 0)
    ticks = p["calls"].get("hare_worker_timers", 0)
    selfc = dict(p["self"])
    for f, c in model["per_iteration"].items():
        selfc[f] = selfc.get(f, 0) - c * iters
    return selfc, iters, ticks


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--objdir":
        load_symbols(sys.argv[2])
        del sys.argv[1:3]
    if len(sys.argv) != 6:
        raise SystemExit("usage: cg_layers.py [--objdir BUILD] IDLE.cg N1 RUN1.cg N2 RUN2.cg")
    idle = parse(sys.argv[1])
    n1, p1 = int(sys.argv[2]), parse(sys.argv[3])
    n2, p2 = int(sys.argv[4]), parse(sys.argv[5])
    if n2 <= n1:
        raise SystemExit("cg_layers: the second run must serve more requests than the first")
    model = idle_model(idle)
    w1, it1, tk1 = work(p1, model)
    w2, it2, tk2 = work(p2, model)
    dn = n2 - n1
    per_fn = {}
    for f in set(w1) | set(w2):
        d = (w2.get(f, 0) - w1.get(f, 0)) / dn
        if abs(d) >= 0.5:
            per_fn[f] = d
    # idle timer ticks: their cost spreads over tcp/arp functions; removed as one line
    tick_adj = -model["per_tick"] * (tk2 - tk1) / dn
    layers = defaultdict(float)
    for f, d in per_fn.items():
        obj = p2["obj"].get(f, p1["obj"].get(f, ""))
        layers[layer(f, obj)] += d
    total = sum(per_fn.values()) + tick_adj
    top = sorted(per_fn.items(), key=lambda kv: -kv[1])[:15]
    objn = lambda f: p2["obj"].get(f, p1["obj"].get(f, "")).rsplit("/", 1)[-1]
    if tick_adj:
        layers["timer ticks (idle part, removed)"] = tick_adj
    out = {
        "instructions_per_request": round(total, 1),
        "layers": {k: round(v, 1) for k, v in sorted(layers.items())},
        "idle_timer_ticks_removed": round(tick_adj, 1),
        "top_functions": [{"function": f, "object": objn(f), "layer": layer(f, objn(f)),
                           "instructions_per_request": round(d, 1)} for f, d in top],
        "requests": [n1, n2],
        "raw_totals": [p1["total"], p2["total"]],
        "poll_iterations": [it1, it2],
        "timer_ticks": [tk1, tk2],
        "idle_model": {"iterations": model["iterations"], "rx_function": model["rx_fn"],
                       "instructions_per_empty_poll": round(sum(model["per_iteration"].values()), 2),
                       "instructions_per_idle_tick": round(model["per_tick"], 2)},
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
