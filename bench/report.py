#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/report.py - the statistics and the table for bench/run.sh.

usage: report.py RAW.tsv OUT.md OUT.png BUILD_DIR

RAW.tsv has one line per program run: case, side (grt, go, go-nethttp,
go-raw, boost), run, exit code, the program's result line, a note.  The
cases memscale/<count> feed the "Memory scaling" section, the boost side the
Boost.Fiber column.  The run's context comes from BENCH_* env
variables.  Prints the table (Markdown) and writes it to OUT.md, draws the
ratios against their targets into OUT.png with gnuplot ($GNUPLOT_TERM), and
exits 1 when a run failed (crash, timeout, wrong check value), else 0.
"""
import os
import statistics
import subprocess
import sys

RAW, MD, PNG, BUILD = sys.argv[1:5]

# --- rows: what BENCH.md's targets compare ----------------------------------
# kind: le = ratio grt/Go, lower is better; ge = ratio grt/Go, higher is better;
# floor = shown only; yield_floor = yield / floor; abs_ge / abs_le = grt's own
# value against an absolute target, Go's beside it.
ROWS = [
    dict(label="floor", case="floor", procs="1", key="metric", unit="ns/switch",
         kind="floor", target=None, ttext="(yield ≤ 2.5 × floor)"),
    dict(label="spawn", case="spawn/1", procs="1", key="metric", unit="ns/goroutine",
         kind="le", target=0.25),
    dict(label="spawn", case="spawn/2", procs="2", key="metric", unit="ns/goroutine",
         kind="le", target=0.35),
    dict(label="yield", case="yield/1", procs="1", key="metric", unit="ns/yield",
         kind="le", target=0.35),
    dict(label="yield vs floor", case="yield/1", procs="1", key="metric", unit="ns",
         kind="yield_floor", target=2.5, ttext="≤ 2.5 × floor"),
    dict(label="pingpong", case="pingpong/1", procs="1", key="metric", unit="ns/roundtrip",
         kind="le", target=0.6),
    dict(label="pingpong", case="pingpong/2", procs="2", key="metric", unit="ns/roundtrip",
         kind="le", target=0.6),
    dict(label="skynet", case="skynet/1", procs="1", key="metric", unit="ms",
         kind="le", target=0.5),
    dict(label="skynet", case="skynet/2", procs="2", key="metric", unit="ms",
         kind="le", target=0.5),
    dict(label="skynet traced", case="skynet-trace/1", procs="1", key="metric", unit="ms",
         kind="le", target=1.2, basecase="skynet/1", ttext="≤ 1.2 × untraced"),
    dict(label="skynet traced", case="skynet-trace/2", procs="2", key="metric", unit="ms",
         kind="le", target=1.2, basecase="skynet/2", ttext="≤ 1.2 × untraced"),
    dict(label="mutex", case="mutex/2", procs="2", key="metric", unit="ns/lock",
         kind="le", target=0.9),
    dict(label="sleep wall", case="sleep/2", procs="2", key="metric", unit="ms",
         kind="le", target=0.6),
    dict(label="sleep CPU", case="sleep/2", procs="2", key="cpu", unit="s",
         kind="le", target=0.6),
    dict(label="memory", case="memory/2", procs="2", key="metric", unit="KiB/goroutine",
         kind="le", target=1.6),
    dict(label="http vs net/http", case="http/1", procs="1", key="metric", unit="req/s",
         kind="ge", target=1.5, goside="go-nethttp"),
    dict(label="http vs raw", case="http/1", procs="1", key="metric", unit="req/s",
         kind="ge", target=1.1, goside="go-raw"),
    dict(label="http server CPU vs net/http", case="http/1", procs="1", key="cpu_us",
         unit="CPU µs/request", kind="info", goside="go-nethttp"),
    dict(label="http server CPU vs raw", case="http/1", procs="1", key="cpu_us",
         unit="CPU µs/request", kind="le", target=0.6, goside="go-raw"),
    dict(label="parallel", case="parallel", procs="1→2", key="metric", unit="speedup",
         kind="abs_ge", target=1.9, ttext="speedup ≥ 1.9"),
    dict(label="idle", case="idle/2", procs="2", key="metric", unit="CPU s / 5 s",
         kind="abs_le", target=0.01, ttext="≤ 0.01 CPU s"),
    dict(label="redis", case="redis/1", procs="1", key="metric", unit="ops/s",
         kind="ge", target=1.0),
    dict(label="redis client CPU", case="redis/1", procs="1", key="cpu_us", unit="CPU µs/op",
         kind="le", target=0.7),
    dict(label="postgres", case="postgres/1", procs="1", key="metric", unit="queries/s",
         kind="ge", target=1.0),
    dict(label="postgres client CPU", case="postgres/1", procs="1", key="cpu_us",
         unit="CPU µs/query", kind="le", target=0.7),
    dict(label="latency p50", case="latency/2", procs="2", key="p50", unit="µs late",
         kind="info"),
    dict(label="latency p99", case="latency/2", procs="2", key="p99", unit="µs late",
         kind="le", target=0.25),
    dict(label="latency max", case="latency/2", procs="2", key="max", unit="µs late",
         kind="le", target=0.5),
]


def parse_line(line):
    """name procs=P n=N metric=V unit [k=v ...] -> dict of the k=v pairs"""
    out = {}
    for tok in line.split()[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


class Side:
    """The runs of one program (case, side)."""

    def __init__(self):
        self.runs = []  # (run, rc, line, note, fields)

    def add(self, run, rc, line, note):
        self.runs.append((run, rc, line, note, parse_line(line) if line else {}))

    def values(self, key):
        vals = []
        for _, rc, _, _, f in self.runs:
            if rc == 0 and key in f:
                try:
                    vals.append(float(f[key]))
                except ValueError:
                    pass
        return vals

    def unsupported(self):
        for _, rc, line, note, _ in self.runs:
            if rc == 77:
                return line.split("unsupported:", 1)[-1].strip() if line else "exit 77"
            if rc == 78:  # run.sh: compiled, but libgrt lacks calls it needs
                return note.replace("does not link: libgrt lacks", "not in libgrt:")
        return None

    def failures(self):
        return [(run, rc, note) for run, rc, _, note, _ in self.runs if rc not in (0, 77, 78)]

    def checks(self):
        return {f["check"] for _, rc, _, _, f in self.runs if rc == 0 and "check" in f}

    def notes(self):
        return [(run, note) for run, rc, _, note, _ in self.runs if rc == 0 and note]


sides = {}
order = []
with open(RAW, encoding="utf-8", errors="replace") as fh:
    for raw in fh:
        parts = raw.rstrip("\n").split("\t")
        if len(parts) < 6:
            parts += [""] * (6 - len(parts))
        case, side, run, rc, line, note = parts[:6]
        if (case, side) not in sides:
            sides[(case, side)] = Side()
            order.append((case, side))
        sides[(case, side)].add(int(run), int(rc), line, note)


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 10000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def summary(vals):
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def cell(s, key):
    """'median (min–max)', or why there is none"""
    if s is None:
        return "—", None
    st = summary(s.values(key))
    fails = s.failures()
    if st is None:
        u = s.unsupported()
        if u is not None:
            return ("not linked" if u.startswith("not in libgrt") else "unsupported"), None
        if fails:
            return "error", None
        return "—", None
    med, lo, hi = st
    text = fmt(med) if lo == hi else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"
    if fails:
        text += f" [{len(fails)} failed]"
    return text, med


table = []  # (cells..., chart tuple or None)
chart = []
for r in ROWS:
    g = sides.get((r["case"], "grt"))
    if g is None:
        continue
    goside = r.get("goside", "go")
    # "skynet traced" compares grt with itself: the same program untraced
    o = sides.get((r["basecase"], "grt")) if "basecase" in r else sides.get((r["case"], goside))
    gtext, gmed = cell(g, r["key"])
    status, ratio_text, chart_value = "n/a", "—", None
    if r["kind"] == "info":
        target_text = "(no target)"
    else:
        target_text = r.get("ttext") or (("≥ " if r["kind"] == "ge" else "≤ ") + f"{r['target']:g}")
    kind = r["kind"]
    if kind == "yield_floor":
        f = sides.get(("floor", "grt"))
        if f is None:
            continue
        otext, omed = cell(f, "metric")
        otext = "floor " + otext
    else:
        otext, omed = cell(o, r["key"])
        if o is not None and goside != "go":
            otext = f"{goside[3:]} {otext}"
        if o is not None and "basecase" in r:
            otext = f"grt untraced {otext}"
    if kind == "floor":
        status, otext = "—", "(no Go twin)"
    elif gmed is None:
        u = g.unsupported()
        if u:
            status = "n/a (not linked)" if u.startswith("not in libgrt") else f"n/a (unsupported: {u})"
        else:
            status = "error" if g.failures() else "n/a"
    elif kind in ("le", "ge", "yield_floor"):
        if omed is None or omed == 0:
            status = "n/a (no Go result)" if kind != "yield_floor" else "n/a (no floor)"
        else:
            ratio = gmed / omed
            ratio_text = f"{ratio:.2f}" if kind != "yield_floor" else f"{ratio:.1f} × floor"
            met = ratio <= r["target"] if kind in ("le", "yield_floor") else ratio >= r["target"]
            status = "met" if met else "not met"
            chart_value = ratio
    elif kind == "info":
        status = "—"
        if omed:
            ratio_text = f"{gmed / omed:.2f}"
    elif kind in ("abs_ge", "abs_le"):
        met = gmed >= r["target"] if kind == "abs_ge" else gmed <= r["target"]
        status = "met" if met else "not met"
        if omed:
            ratio_text = f"{gmed / omed:.2f}"
        chart_value = gmed
    btext = "—"
    if kind in ("le", "ge") and goside == "go" and "basecase" not in r:
        btext, _ = cell(sides.get((r["case"], "boost")), r["key"])
    table.append((r["label"], r["procs"], r["unit"], gtext, otext, btext, ratio_text,
                  target_text, status))
    if kind not in ("floor", "info"):
        chart.append((r, chart_value, status))

# --- notes: n/a reasons, failures, check values, wrk errors -----------------
notes = []
for case, side in order:
    s = sides[(case, side)]
    u = s.unsupported()
    if u is not None and side == "grt":
        how = "exited 77, unsupported" if u.startswith("grt_") else "n/a"
        notes.append(f"- {case} grt: {how}: {u}")
    grouped = {}  # the same note from several runs is printed once
    for run, rc, note in s.failures():
        grouped.setdefault(f"exit {rc}: {note}", []).append(run)
    for run, note in s.notes():
        grouped.setdefault(note, []).append(run)
    for note, runs in grouped.items():
        which = "run" if len(runs) == 1 else "runs"
        notes.append(f"- {case} {side} {which} {', '.join(map(str, runs))}: {note}")

failed = any(sides[k].failures() for k in order)
for case in dict.fromkeys(c for c, _ in order):
    checks = {side: sides[(c, side)].checks() for c, side in order if c == case}
    if case == "http/1":
        for side, ch in checks.items():
            if ch - {"ok"}:
                notes.append(f"- http {side}: response check failed: {sorted(ch)}")
                failed = failed or side == "grt"
        continue
    if case == "floor":
        continue
    for side, ch in checks.items():
        if len(ch) > 1:
            notes.append(f"- {case} {side}: check value differs between runs: {sorted(ch)}")
            failed = True
    g, o, b = checks.get("grt", set()), checks.get("go", set()), checks.get("boost", set())
    if g and o and g != o:
        notes.append(f"- {case}: check grt {sorted(g)} != Go {sorted(o)}")
        failed = True
    if g and b and g != b:
        notes.append(f"- {case}: check grt {sorted(g)} != Boost.Fiber {sorted(b)}")
        failed = True

# --- the per-run values -------------------------------------------------------
runs_lines = []
for case, side in order:
    s = sides[(case, side)]
    vals = []
    for run, rc, line, note, f in s.runs:
        if rc == 0 and "metric" in f:
            extra = "".join(f" {k}={f[k]}" for k in ("cpu", "cpu_us", "create", "t1", "t2", "p50", "max", "check")
                            if k in f)
            vals.append(f["metric"] + extra)
        else:
            vals.append({77: "unsupported", 78: "not linked"}.get(rc, f"exit {rc}"))
    runs_lines.append(f"- {case} {side}: " + "; ".join(vals))

# --- memory scaling: memscale/<count>, grt / Go / Boost.Fiber --------------------
def med(case, side, key):
    s = sides.get((case, side))
    st = summary(s.values(key)) if s else None
    return st[0] if st else None


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "—"


memscale = sorted((int(c.split("/", 1)[1]) for c in dict.fromkeys(c for c, _ in order)
                   if c.startswith("memscale/") and c.split("/", 1)[1].isdigit()))
mem_lines = []
if memscale:
    mem_lines += ["", "## Memory scaling", "",
                  "procs=2; `count` goroutines (Boost.Fiber: fibers on 16 KiB stacks) all parked "
                  "receiving on one channel. KiB/goroutine = (VmRSS with all parked − VmRSS "
                  "before) / count; ns/create = wall time from the first spawn until every one "
                  "has started, / count. Medians over the runs.", ""]
    mh = ["count", "grt KiB/goroutine", "Go KiB/goroutine", "Boost KiB/fiber",
          "KiB ratio grt/Go", "grt ns/create", "Go ns/create", "Boost ns/create",
          "create ratio grt/Go"]
    mem_lines.append("| " + " | ".join(mh) + " |")
    mem_lines.append("|" + "|".join("---:" for _ in mh) + "|")
    for count in memscale:
        c = f"memscale/{count}"
        kib = [med(c, side, "metric") for side in ("grt", "go", "boost")]
        ns = [med(c, side, "create") for side in ("grt", "go", "boost")]
        row = [f"{count:,}"] + [fmt(v) for v in kib] + [ratio(kib[0], kib[1])]
        row += [fmt(v) for v in ns] + [ratio(ns[0], ns[1])]
        mem_lines.append("| " + " | ".join(row) + " |")
    if len(memscale) > 1:
        lo, hi = memscale[0], memscale[-1]
        growth = []
        for side, name in (("grt", "grt"), ("go", "Go"), ("boost", "Boost.Fiber")):
            a, b = med(f"memscale/{lo}", side, "create"), med(f"memscale/{hi}", side, "create")
            if a and b:
                growth.append(f"{name} ×{b / a:.2f}")
        if growth:
            mem_lines += ["", f"Creation cost at {hi:,} live over at {lo:,} live: "
                          + ", ".join(growth) + " (1.00 = flat scaling)."]
        ga, gb = med(f"memscale/{lo}", "grt", "create"), med(f"memscale/{hi}", "grt", "create")
        if ga and gb:
            mem_lines.append(f"Target (BENCH.md, memory scaling): grt ≤ 1.2: "
                             + ("met" if gb / ga <= 1.2 else "not met") + f" (×{gb / ga:.2f}).")

# --- output ---------------------------------------------------------------------
env = os.environ.get
header = ["benchmark", "procs", "unit", "grt median (min–max)", "Go median (min–max)",
          "Boost.Fiber median (min–max)", "ratio grt/Go", "target", "status"]
lines = ["# grt benchmarks: latest run", ""]
lines.append(f"- date: {env('BENCH_DATE', '?')}")
lines.append(f"- machine: {env('BENCH_ARCH', '?')}, {env('BENCH_NPROC', '?')} CPUs, "
             f"{env('BENCH_CPU', '?')}")
lines.append(f"- Go: {env('BENCH_GO', '?')}")
lines.append(f"- Boost.Fiber: {env('BENCH_BOOST', '?')}; 16 KiB fixedsize stacks, "
             "round_robin at procs=1, work_stealing over 2 threads at procs=2")
lines.append(f"- load average (1, 5, 15 min) at start -> end: {env('BENCH_LOAD', '?')}; "
             f"the runs took {env('BENCH_ELAPSED', '?')} s")
lines.append(f"- command: `{env('BENCH_COMMAND', 'bench/run.sh')}` "
             f"(runs per program: {env('BENCH_RUNS', '?')}, GRT_BENCH_SCALE={env('BENCH_SCALE', '1')}, "
             f"wrk -t1 -c50 -d{env('BENCH_DURATION', '5s')})")
lines.append("")
lines.append("| " + " | ".join(header) + " |")
lines.append("|" + "|".join("---" for _ in header) + "|")
for row in table:
    lines.append("| " + " | ".join(row) + " |")
lines.append("")
lines.append("Ratios are grt median / Go median; lower is better except http req/s (higher is better). "
             "The http server CPU rows (user+system CPU of the server process over the wrk run, per "
             "request; lower is better) are the honest http figure: wrk shares the two cores and "
             "saturates its own before either server does, so req/s there mostly measures wrk; "
             "BENCH.md's target is set against Go raw. "
             "latency: lateness of 2,000 1 ms sleeps while 8 call-free hogs hold both Ps (µs). "
             "parallel and idle are judged on grt's own value; Go's is beside it. "
             "n/a: the grt side exited 77 (that part of the runtime is not implemented yet), "
             "or did not link because libgrt lacks a call it needs, "
             "or there was nothing to compare with. "
             "Boost.Fiber (C++ twins in bench/boost/) is shown for spawn, yield, pingpong, "
             "skynet and mutex; it is not part of the targets.")
lines += mem_lines
if notes:
    lines += ["", "## Notes", ""] + notes
lines += ["", "## Every run", ""] + runs_lines

# --- chart ------------------------------------------------------------------------
term = env("GNUPLOT_TERM", "")
plotted = [(r, v, st) for r, v, st in chart if v is not None and v > 0]
if term and plotted:
    dat = os.path.join(BUILD, "chart.dat")
    gp = os.path.join(BUILD, "chart.gp")
    with open(dat, "w") as fh:
        for i, (r, v, st) in enumerate(chart):
            name = r["label"] + (f" p{r['procs']}" if r["procs"] in ("1", "2") else "")
            if r["kind"] in ("ge", "abs_ge"):
                name += " (≥)"
            color = 0x2CA02C if st == "met" else (0xD62728 if st == "not met" else 0x999999)
            val = v if v is not None and v > 0 else "NaN"
            missing = "" if val != "NaN" else ("error" if st == "error" else "n/a")
            fh.write(f'{i} "{name}" {val} {r["target"]} {color} "{missing}"\n')
    ys = [v for _, v, _ in plotted] + [r["target"] for r, _, _ in chart]
    ymin, ymax = min(ys) / 3, max(ys) * 3
    fontspec = 'font ",9"' if term == "pngcairo" else ""
    script = f"""
set terminal {term} size 1200,650 {fontspec}
set output '{PNG}'
set title "grt vs Go ({env('BENCH_DATE', '')}, {env('BENCH_ARCH', '')}, {env('BENCH_NPROC', '')} CPUs): bars = ratio grt/Go (parallel: speedup, idle: CPU s, yield vs floor: multiple), black = target; green met, red not met"
set logscale y
set yrange [{ymin}:{ymax}]
set xrange [-0.7:{len(chart) - 0.3}]
set xtics rotate by -40 nomirror
set grid ytics
set key off
set bmargin 9
set style fill solid 0.85 border -1
plot '{dat}' using 1:3:($1-0.35):($1+0.35):({ymin}):3:5:xtic(2) with boxxyerrorbars lc rgb variable, \\
     '' using ($1-0.45):4:(0.9):(0) with vectors nohead lw 3 lc rgb 'black', \\
     '' using 1:3:(sprintf("%.3g", $3)) with labels offset 0,0.8, \\
     '' using 1:({ymin * 1.5}):6 with labels textcolor rgb '#666666'
"""
    with open(gp, "w") as fh:
        fh.write(script)
    res = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if res.returncode != 0:
        lines += ["", f"(chart: gnuplot failed: {res.stderr.strip()[:300]})"]
    else:
        lines += ["", f"Chart: `{os.path.relpath(PNG, os.path.dirname(MD))}` (gnuplot {term})."]
elif not term:
    lines += ["", "(no chart: gnuplot with a png terminal is not installed)"]

text = "\n".join(lines) + "\n"
with open(MD, "w") as fh:
    fh.write(text)
print(text)
sys.exit(1 if failed else 0)
