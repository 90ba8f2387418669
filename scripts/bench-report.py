#!/usr/bin/env python3
"""Runs the attention benchmarks and writes docs/performance.md and its plots.

    python3 scripts/bench-report.py                      # the full suite
    python3 scripts/bench-report.py --max-seq 512 --memory-seq 1024
    python3 scripts/bench-report.py --json-in docs/perf/MACHINE.json

Runs build/bin/attention-bench with --benchmark_repetitions=N
--benchmark_report_aggregates_only, saving Google Benchmark's JSON (with the
commit and the command added to its context) as docs/perf/<machine>.json,
one file per machine (a CPU model and its FMA instruction set), replacing
that machine's earlier run; or reads such a file with --json-in. Then it
writes the Markdown report with one section per machine measured (every
JSON in docs/perf, the machine of this run first) and a PNG plot per
machine. Every figure comes from the JSON: a measurement that is missing or
failed shows as such, never as a number. See docs/benchmarks.md.
"""

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Display order and labels; the keys are the benchmark names' second part.
VARIANTS = [
    ("unfused", "unfused (-O1)"),
    ("O2", "-O2: bias fused into the score contraction"),
    ("O3", "-O3: fused attention node"),
    ("O3_dynamic", "-O3 over ?s, one compile for every length"),
    ("O3_nobias", "-O3 without position encoding"),
    ("openblas", "OpenBLAS sgemm + loops"),
    ("onednn", "oneDNN sgemm + loops"),
]
LABEL = dict(VARIANTS)
BLAS = ["openblas", "onednn"]
MODES = [("noncausal", "Non-causal (symmetric ALiBi, -m|i-j|)"),
         ("causal", "Causal (ALiBi -m(i-j), keys after i masked)")]
TRACKED_SEQ = 2048


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "bin",
                                                    "attention-bench"))
    p.add_argument("--json-in", help="render this JSON (with the other "
                   "machines' in --perf-dir) instead of running")
    p.add_argument("--perf-dir", default=os.path.join(ROOT, "docs", "perf"),
                   help="one <machine>.json (and .png) per machine measured")
    p.add_argument("--json-out", help="where to save the JSON of a run "
                   "(default: <perf-dir>/<machine>.json)")
    p.add_argument("--output",
                   default=os.path.join(ROOT, "docs", "performance.md"))
    p.add_argument("--no-plot", action="store_true",
                   help="skip the PNG (no matplotlib needed)")
    p.add_argument("--repetitions", type=int, default=5,
                   help="repetitions per benchmark; the report shows medians")
    p.add_argument("--max-seq", type=int,
                   help="only sequence lengths up to this (the binary's "
                   "default is 4096)")
    p.add_argument("--memory-seq", type=int,
                   help="sequence length of the peak memory runs (default "
                   "8192; 0 skips them)")
    p.add_argument("--threads", type=int,
                   help="thread count (default: every core)")
    p.add_argument("--filter",
                   help="--benchmark_filter regex, e.g. 'attention/O3'")
    p.add_argument("--preliminary", action="store_true",
                   help="mark the report and the plot as preliminary")
    p.add_argument("--note", help="a paragraph to put at the top of the "
                   "report, e.g. why its numbers are preliminary")
    return p.parse_args()


def git_commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, check=True)
        return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_slug(context):
    """The file name of a machine's results: its CPU model (and, where the
    model name is vague, as in a virtual machine, its family and model
    numbers) and the FMA instruction set the benchmark used."""
    parts = [context.get("cpu_model", "unknown")]
    if context.get("cpu_family_model", "unknown") != "unknown":
        parts.append(context["cpu_family_model"])
    parts.append(context.get("fma_isa", ""))
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")
    return slug or "unknown"


def machine_title(context):
    title = context.get("cpu_model", "unknown CPU")
    if context.get("cpu_family_model", "unknown") != "unknown":
        title += f" ({context['cpu_family_model']})"
    return f"{title}, {context.get('fma_isa', '?')}"


def run_benchmarks(args):
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: build first (docs/benchmarks.md)")
    os.makedirs(args.perf_dir, exist_ok=True)
    out = args.json_out or os.path.join(args.perf_dir, "run-in-progress.json")
    args.json_out = out
    cmd = [args.binary,
           f"--benchmark_repetitions={args.repetitions}",
           "--benchmark_report_aggregates_only=true",
           "--benchmark_format=console",
           f"--benchmark_out={args.json_out}",
           "--benchmark_out_format=json"]
    if args.max_seq is not None:
        cmd.append(f"--max-seq={args.max_seq}")
    if args.memory_seq is not None:
        cmd.append(f"--memory-seq={args.memory_seq}")
    if args.threads is not None:
        cmd.append(f"--threads={args.threads}")
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
    print("running:", shlex.join(cmd), flush=True)
    # The console table goes to the terminal as it runs; the JSON to a file.
    subprocess.run(cmd, check=True)
    with open(args.json_out) as f:
        data = json.load(f)
    # Record what produced the numbers next to them.
    shown = [os.path.relpath(cmd[0], ROOT)] + cmd[1:]
    shown = [c if not c.startswith("--benchmark_out=") else
             "--benchmark_out=" + os.path.relpath(args.json_out, ROOT)
             for c in shown]
    data["context"]["eg_commit"] = git_commit()
    data["context"]["eg_command"] = shlex.join(shown)
    # Kept with the numbers, so a re-rendering keeps the warning.
    if args.preliminary:
        data["context"]["eg_preliminary"] = "1"
    if args.note:
        data["context"]["eg_note"] = args.note
    final = os.path.join(args.perf_dir, machine_slug(data["context"]) +
                         ".json") if out.endswith("run-in-progress.json") \
        else out
    data["context"]["eg_command"] = data["context"]["eg_command"].replace(
        os.path.relpath(out, ROOT), os.path.relpath(final, ROOT))
    with open(final, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    if final != out:
        os.remove(out)
    args.json_out = final
    print("wrote", os.path.relpath(final))
    return data


class Results:
    """The JSON's medians (or single runs) and errors, by run name."""

    def __init__(self, data):
        self.context = data.get("context", {})
        self.runs = {}
        self.errors = {}
        for b in data.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if b.get("error_occurred"):
                self.errors[name] = b.get("error_message", "failed")
                continue
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") != "median":
                    continue
            elif name in self.runs:
                # Individual repetitions next to their median: keep the median.
                continue
            self.runs[name] = b

    def find(self, prefix, seq=None):
        """The run whose name starts with prefix (and has S:seq), or None."""
        for name, b in self.runs.items():
            if self._match(name, prefix, seq):
                return b
        return None

    def error(self, prefix, seq=None):
        for name, msg in self.errors.items():
            if self._match(name, prefix, seq):
                return msg
        return None

    @staticmethod
    def _match(name, prefix, seq):
        if not name.startswith(prefix + "/"):
            return False
        return seq is None or f"/S:{seq}/" in name + "/"

    def repetitions(self, family):
        """How many repetitions the family's figures are medians of."""
        counts = sorted({int(b.get("repetitions", 1))
                         for n, b in self.runs.items()
                         if n.startswith(family + "/")})
        return ", ".join(map(str, counts)) or "?"

    def seqs(self, family):
        found = set()
        for name in list(self.runs) + list(self.errors):
            if name.startswith(family + "/"):
                m = re.search(r"/S:(\d+)", name)
                if m:
                    found.add(int(m.group(1)))
        return sorted(found)


def seconds(b):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    return b["real_time"] * scale


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:,.{decimals}f}"


def pct(x):
    return "–" if x is None else f"{100 * x:.{1 if x < 0.1 else 0}f} %"


def cell_error(msg):
    # Tables stay one line per row: the first clause of the message.
    short = msg.split(";")[0].replace("|", "\\|")
    return f"failed: {short[:80]}"


def machine_section(r):
    c = r.context
    caches = ", ".join(
        f"L{x['level']}{x['type'][0].lower() if x['type'] != 'Unified' else ''}"
        f" {x['size'] // 1024} KiB" for x in c.get("caches", []))
    load = c.get("load_avg")
    rows = [
        ("CPU", c.get("cpu_model", "not recorded")),
        ("logical CPUs", c.get("num_cpus", "not recorded")),
        ("threads used", c.get("threads", "not recorded")),
        ("MHz (as reported)", c.get("mhz_per_cpu", "not recorded")),
        ("caches", caches or "not recorded"),
        ("compiler", c.get("compiler", "not recorded")),
        ("OpenBLAS", c.get("openblas", "not recorded")),
        ("oneDNN", c.get("onednn", "not recorded")),
        ("load average at start",
         ", ".join(f"{x:.2f}" for x in load) if load else "not recorded"),
        ("date", c.get("date", "not recorded")),
        ("commit", c.get("eg_commit", "not recorded")),
    ]
    out = ["## Machine", "", "| | |", "| --- | --- |"]
    out += [f"| {k} | {v} |" for k, v in rows]
    if load and load[0] > 0.5:
        out += ["", f"The load average was {load[0]:.2f} when the run "
                "started: other work shared the cores, so expect noise."]
    return out


def fma_section(r):
    out = ["## FMA peak", ""]
    kernels = sorted({n.split("/")[1] for n in list(r.runs) + list(r.errors)
                      if n.startswith("fma_peak/")})
    counts = ["1"]
    if str(r.context.get("threads", "1")) != "1":
        counts.append(str(r.context["threads"]))
    if kernels:
        out += ["| ISA | " + " | ".join(
                    f"{t} thread{'s' if t != '1' else ''}, GFLOP/s"
                    for t in counts) + " |",
                "| --- |" + " --- |" * len(counts)]
        for k in kernels:
            cells = []
            for t in counts:
                b = r.find(f"fma_peak/{k}/threads:{t}")
                cells.append(fmt(b["GFLOP/s"]) if b else "–")
            out.append(f"| {k} | " + " | ".join(cells) + " |")
        out += ["", f"Medians of {r.repetitions('fma_peak')} repetition(s)."]
        out.append("")
    peak = r.context.get("peak_gflops")
    out.append(
        "Independent chains of vector FMAs in registers (12 per thread), "
        "per instruction set, picked at run time. The \"% of peak\" figures "
        "below divide by the all-thread peak the binary measured once at "
        f"start-up (best of five 50 ms runs over the supported f32 ISAs; "
        f"`avx512bf16` is vdpbf16ps, bf16 products summed in f32, the peak "
        f"of the bf16 rows only): "
        f"**{peak if peak else 'not recorded'} GFLOP/s**.")
    return out


def attention_tables(r, seqs):
    out = ["## Attention forward", ""]
    out.append(
        "b = 1, h = 16, d = 64, f32, ALiBi (paper slopes, max bias 8). "
        "GFLOP/s = 4·b·h·S²·d / time, halved for causal; each cell is the "
        f"median of {r.repetitions('attention')} repetition(s) and its "
        "share of the FMA peak. Every variant matched the reference backend "
        "at S = 320 before it was timed (a mismatch shows as \"failed\").")
    for mode, title in MODES:
        out += ["", f"### {title}", ""]
        out.append("| variant | " + " | ".join(f"S = {s}" for s in seqs) + " |")
        out.append("| --- |" + " --- |" * len(seqs))
        for key, label in VARIANTS:
            cells = []
            for s in seqs:
                b = r.find(f"attention/{key}/{mode}", s)
                err = r.error(f"attention/{key}/{mode}", s)
                if b:
                    cells.append(f"{fmt(b['GFLOP/s'])} "
                                 f"({pct(b.get('peak_frac'))})")
                elif err:
                    cells.append(cell_error(err))
                else:
                    cells.append("–")
            if any(c != "–" for c in cells):
                out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def ratio_section(r, seqs):
    if not seqs:
        return []
    seq = TRACKED_SEQ if TRACKED_SEQ in seqs else max(seqs)
    out = ["## Tracked ratios", ""]
    if seq != TRACKED_SEQ:
        out += [f"At S = {seq}: the run did not include S = {TRACKED_SEQ}, "
                "where the project tracks these.", ""]
    else:
        out += [f"At S = {seq}, from the median times.", ""]
    out += ["| | non-causal | causal |", "| --- | --- | --- |"]

    def time(key, mode):
        b = r.find(f"attention/{key}/{mode}", seq)
        return seconds(b) if b else None

    def row(label, f):
        out.append(f"| {label} | " +
                   " | ".join(f(m) for m, _ in MODES) + " |")

    def speedup(m, other):
        o3, t = time("O3", m), time(other, m)
        return f"{fmt(t / o3)}x" if o3 and t else "–"

    def best_blas(m):
        found = [(time(k, m), k) for k in BLAS if time(k, m)]
        if not found or not time("O3", m):
            return "–"
        t, k = min(found)
        return f"{fmt(t / time('O3', m))}x (vs {k})"

    def overhead(m):
        o3, nobias = time("O3", m), time("O3_nobias", m)
        if not o3 or not nobias:
            return "–"
        return f"{100 * (o3 / nobias - 1):+.1f} %"

    def share(m):
        b = r.find(f"attention/O3/{m}", seq)
        return pct(b.get("peak_frac")) if b else "–"

    row("-O3 speed-up over unfused (time unfused / time O3)",
        lambda m: speedup(m, "unfused"))
    row("-O3 speed-up over the faster BLAS baseline", best_blas)
    def dynamic(m):
        o3, dyn = time("O3", m), time("O3_dynamic", m)
        if not o3 or not dyn:
            return "–"
        return f"{100 * (dyn / o3 - 1):+.1f} %"

    row("ALiBi overhead (time O3 / time O3_nobias - 1)", overhead)
    row("-O3 share of the FMA peak", share)
    row("one compile for every length (time O3_dynamic / time O3 - 1)",
        dynamic)
    return out


HOST_ROWS = [
    ("O3", "-O3, all threads"),
    ("O3_1thread", "-O3, one thread"),
    ("O3_avx2", "-O3 shaped for AVX2 (this CPU without AVX-512)"),
    ("O3_avx2_1thread", "the same, one thread"),
    ("O3_bf16", "-O3 over bf16 q, k, v (vdpbf16ps peak where used)"),
    ("O3_f16", "-O3 over f16 q, k, v"),
]
GEMM_ROWS = [
    ("ours", "cpu backend (einsum ij,jk->ik)"),
    ("ours_avx2", "cpu backend shaped for AVX2"),
    ("openblas", "OpenBLAS cblas_sgemm"),
    ("onednn", "oneDNN dnnl_sgemm"),
]


def host_section(r):
    """The kernels shaped for this host, for one thread and for AVX2, and
    the matrix product beside the libraries."""
    out = []
    seq = TRACKED_SEQ

    def cell(name, seq=None):
        b, err = r.find(name, seq), r.error(name, seq)
        if err:
            return cell_error(err)
        if not b:
            return "–"
        return f"{fmt(b['GFLOP/s'])} ({pct(b.get('peak_frac'))})"

    rows = []
    for key, label in HOST_ROWS:
        cells = [cell(f"attention/{key}/{m}", seq) for m, _ in MODES]
        if any(c != "–" for c in cells):
            rows.append(f"| {label} | " + " | ".join(cells) + " |")
    if rows:
        out += [f"### Attention at S = {seq}, by kernel shape", "",
                "GFLOP/s (share of the peak of the row's threads and "
                "instruction set: the AVX2 rows divide by the AVX2 FMA peak, "
                "the bf16 row by the vdpbf16ps peak on a CPU with "
                "AVX512-BF16, where its products run on that instruction).",
                "", "| kernels | non-causal | causal |",
                "| --- | --- | --- |"] + rows + [""]
    rows = []
    for key, label in GEMM_ROWS:
        c = cell(f"gemm/{key}")
        if c != "–":
            rows.append(f"| {label} | {c} |")
    if rows:
        out += ["### Matrix product, 2048 x 2048 x 2048, f32", "",
                "GFLOP/s = 2 N³ / median time (share of the FMA peak); each "
                "row checked 256 entries against sums in double first.", "",
                "| | GFLOP/s |", "| --- | --- |"] + rows + [""]
    labels = []
    for name, what in [("attention/O3/noncausal", "attention"),
                       ("attention/O3_avx2/noncausal", "attention, AVX2"),
                       ("gemm/ours", "matrix product")]:
        b = r.find(name, seq if name.startswith("attention") else None)
        if b and b.get("label"):
            labels.append(f"- {what}: `{b['label']}`")
    if labels:
        out += ["Target and kernel shapes, as the backend reports them "
                "(`Executable::describe`; \"measured\" when the tuner chose "
                "them on this machine, docs/cpu-backend.md):", ""] + labels
    if not out:
        return []
    return ["## Kernels for this machine", ""] + out


def model_section(r):
    """Decode over a long cache and a whole decoder block."""
    rows = []
    triad = r.context.get("triad_gbs")

    def cells(prefix, what):
        b = r.find(prefix)
        err = r.error(prefix)
        if err:
            return f"| {what} | {cell_error(err)} | | |"
        if not b:
            return None
        ms = seconds(b) * 1e3
        if prefix.startswith("decode/"):
            return (f"| {what} | {fmt(ms)} ms | {fmt(b['GB/s'])} GB/s, "
                    f"{fmt(b['tokens/s'])} tokens/s | "
                    f"{pct(b.get('bw_frac'))} of the triad |")
        if prefix == "block/prefill":
            return (f"| {what} | {fmt(ms)} ms | {fmt(b['GFLOP/s'])} GFLOP/s, "
                    f"{fmt(b['tokens/s'])} tokens/s | "
                    f"{pct(b.get('peak_frac'))} of the FMA peak |")
        return (f"| {what} | {fmt(ms)} ms per token | {fmt(b['GB/s'])} GB/s "
                f"read, {fmt(b['tokens/s'])} tokens/s | "
                f"{pct(b.get('bw_frac'))} of the triad |")

    for prefix, what in [
            ("decode/mha", "decode: 1 query over 4096 keys, 16 heads"),
            ("decode/mha_f16", "the same, f16 q, k, v"),
            ("decode/mha_bf16", "the same, bf16 q, k, v"),
            ("decode/gqa4", "decode: the same over 4 kv heads"),
            ("block/prefill", "decoder block, prefill of 512 tokens"),
            ("block/decode", "decoder block, one token after 512")]:
        line = cells(prefix, what)
        if line:
            rows.append(line)
    if not rows:
        return []
    return (["## Decode and a decoder block", "",
             "Causal ALiBi, f32 unless the row says f16 or bf16, `-O3`, "
             "lengths known only at run time (one "
             "compile for every length). The decoder block: hidden 1024, 16 "
             "heads, ffn 4096, tanh GELU, two LayerNorms. Bandwidth shares "
             "divide by the STREAM triad the binary measured at start-up: "
             f"**{triad if triad else 'not recorded'} GB/s**. Medians of "
             f"{r.repetitions('decode')} repetition(s).", "",
             "| row | time | throughput | share |",
             "| --- | --- | --- | --- |"] + rows)


def memory_section(r):
    seqs = r.seqs("memory")
    if not seqs:
        return []
    out = ["## Peak memory", ""]
    for seq in seqs:
        io = None
        rows = []
        for key, label in VARIANTS:
            b = r.find(f"memory/{key}/noncausal", seq)
            err = r.error(f"memory/{key}/noncausal", seq)
            if b:
                io = b.get("io_MiB", io)
                rows.append(f"| {label} | {fmt(b['peak_MiB'])} | "
                            f"{fmt(b['setup_MiB'])} | {fmt(b['run_MiB'])} | "
                            f"{fmt(b['run_extra_MiB'])} | "
                            f"{fmt(b['run_s'])} |")
                if not b.get("hwm_reset", 1):
                    rows[-1] += " (no high-water reset: run includes setup)"
            elif err:
                rows.append(f"| {label} | {err.replace('|', '/')} | | | | |")
        out += [f"Non-causal, S = {seq}; inputs + outputs "
                f"{fmt(io) if io else '–'} MiB, not included. MiB above the "
                "baseline of a fresh process that holds them:", "",
                "| variant | peak | setup (passes + compile, or scratch) | "
                "run | added by the run | run time, s |",
                "| --- | --- | --- | --- | --- | --- |"] + rows + [""]
    out.append(
        "Each variant runs in a fresh process (the benchmark binary "
        "re-executed), which allocates and fills q, k, v and out and reads "
        "VmRSS from /proc/self/status as its baseline; it resets the "
        "high-water mark (`5 > /proc/self/clear_refs`), compiles, reads "
        "VmHWM (setup), resets again, runs once and reads VmHWM (run). "
        "\"Added by the run\" is VmHWM minus VmRSS just before the run: the "
        "tensors the run allocates, without what the compiler left resident. "
        "One run each, not a median. A graph variant whose live tensors "
        "would exceed the memory limit (`CompileOptions::maxMemoryBytes`: "
        "half the physical memory unless `--max-memory` says otherwise) is "
        "refused by the backend before it compiles (each backend works out "
        "its peak from its own buffer plan); the refusal is shown instead of "
        "numbers.")
    return out


def compile_section(r):
    seqs = r.seqs("compile")
    out = []
    for seq in seqs:
        if not out:
            out = ["## Compile time", "",
                   "| graph | total, ms | passes, ms | cpu backend "
                   "(MLIR + LLVM JIT), ms |", "| --- | --- | --- | --- |"]
        for name, what in [
                ("compile/O3_alibi/noncausal", "-O3 ALiBi attention"),
                ("compile/O3_alibi_first_use/noncausal",
                 "the same at first use: kernel shapes measured")]:
            b, err = r.find(name, seq), r.error(name, seq)
            if b:
                out.append(f"| {what}, S = {seq} | "
                           f"{fmt(seconds(b) * 1e3)} | {fmt(b['passes_ms'])} "
                           f"| {fmt(b['backend_ms'])} |")
            elif err:
                out.append(f"| {what}, S = {seq} | {cell_error(err)} | | |")
    if out:
        out += ["", f"Medians of {r.repetitions('compile')} repetition(s); "
                "each iteration copies the "
                "unoptimized graph (not timed), runs -O3 and compiles it. At "
                "first use the cpu backend measures its flash kernel's shapes "
                "on this machine and caches them (each iteration a new cache "
                "file); later compiles read the cache."]
    return out


def demote(lines):
    """A section's headings one level down, under its machine's."""
    return ["#" + l if l.startswith("#") else l for l in lines]


def machine_report(r, args, seqs, source, plot):
    c = r.context
    lines = [f"## {machine_title(c)}", ""]
    lines.append(f"From `{source}`, commit {c.get('eg_commit', '?')}, "
                 f"{c.get('date', 'undated')}.")
    if c.get("eg_command"):
        lines += ["", f"Command: `{c['eg_command']}`"]
    if c.get("eg_preliminary"):
        lines += ["", "> **Preliminary.** These numbers are placeholders from "
                  "a validation run, not results: regenerate them before "
                  "quoting anything from them."]
    if c.get("eg_note"):
        lines += ["", f"> **Note.** {c['eg_note']}"]
    lines.append("")
    for section in (machine_section(r), fma_section(r),
                    attention_tables(r, seqs), ratio_section(r, seqs),
                    host_section(r), model_section(r), memory_section(r),
                    compile_section(r)):
        if section:
            lines += demote(section) + [""]
    if plot:
        lines += [f"![GFLOP/s against S]({plot})", ""]
    return lines


def write_report(machines, args):
    """machines: [(Results, source, plot)], the machine of this run first."""
    lines = ["# Performance", ""]
    lines.append(
        "Generated by `scripts/bench-report.py` from the results in "
        "`docs/perf/`, one file per machine measured; do not edit by hand: "
        "regenerate it (docs/benchmarks.md). A machine's section is replaced "
        "when it is measured again; the others are kept.")
    lines += ["", "Machines:", ""]
    for r, _, _ in machines:
        c = r.context
        triad = (f"triad {c['triad_gbs']} GB/s" if c.get("triad_gbs")
                 else "triad not measured")
        lines.append(f"- {machine_title(c)}: FMA peak "
                     f"{c.get('peak_gflops', '?')} GFLOP/s on "
                     f"{c.get('threads', '?')} threads, {triad} "
                     f"({c.get('date', 'undated')[:10]})")
    lines.append("")
    for r, source, plot in machines:
        lines += machine_report(r, args, r.seqs("attention"), source, plot)
    with open(args.output, "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    print("wrote", os.path.relpath(args.output))


def write_plot(r, args, seqs, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is missing: bash scripts/install-deps.sh --bench "
                 "installs Debian's python3-matplotlib (for /usr/bin/python3); "
                 "or pass --no-plot")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    peak = r.context.get("peak_gflops")
    for ax, (mode, title) in zip(axes, MODES):
        for key, label in VARIANTS:
            pts = [(s, r.find(f"attention/{key}/{mode}", s)) for s in seqs]
            pts = [(s, b["GFLOP/s"]) for s, b in pts if b]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                        label=label)
        if peak:
            ax.axhline(float(peak), color="grey", linestyle="--",
                       label=f"FMA peak ({float(peak):.0f} GFLOP/s)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(seqs)
        ax.set_xticklabels([str(s) for s in seqs])
        ax.set_xlabel("sequence length S")
        ax.set_title(title.split(" (")[0])
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("GFLOP/s (median)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8,
               frameon=False)
    title = (f"ALiBi attention forward, b=1 h=16 d=64 f32, "
             f"{r.context.get('threads', '?')} threads, "
             f"{machine_title(r.context)}")
    if r.context.get("eg_preliminary"):
        title = "PRELIMINARY (see docs/performance.md) - " + title
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote", os.path.relpath(path))


def main():
    args = parse_args()
    if args.json_in:
        with open(args.json_in) as f:
            data = json.load(f)
        current = os.path.abspath(args.json_in)
    else:
        data = run_benchmarks(args)
        current = os.path.abspath(args.json_out)
    if args.preliminary:
        data["context"]["eg_preliminary"] = "1"
    if args.note:
        data["context"]["eg_note"] = args.note
    # This run's machine first, then every other machine measured, newest
    # first; a file for this run's machine is this run.
    runs = [(data, current)]
    slug = machine_slug(data["context"])
    if os.path.isdir(args.perf_dir):
        others = []
        for name in sorted(os.listdir(args.perf_dir)):
            path = os.path.abspath(os.path.join(args.perf_dir, name))
            if not name.endswith(".json") or path == current:
                continue
            with open(path) as f:
                other = json.load(f)
            if machine_slug(other["context"]) == slug:
                continue
            others.append((other, path))
        others.sort(key=lambda d: d[0]["context"].get("date", ""),
                    reverse=True)
        runs += others
    machines = []
    out_dir = os.path.dirname(os.path.abspath(args.output))
    for d, path in runs:
        r = Results(d)
        seqs = r.seqs("attention")
        plot = None
        if not args.no_plot and seqs:
            png = os.path.join(args.perf_dir, machine_slug(d["context"]) +
                               ".png")
            write_plot(r, args, seqs, png)
            plot = os.path.relpath(png, out_dir)
        machines.append((r, os.path.relpath(path, out_dir), plot))
    write_report(machines, args)


if __name__ == "__main__":
    main()
