"""Tables of a bench/live run (text for the terminal, Markdown for docs/benchmarks.md), with the ratios and the
aims of issue 3 read against the figures."""
import statistics

MIB = 1024


def ms(value: float | None) -> str:
    """A lag with its unit: milliseconds below a second, seconds above."""
    if value is None:
        return "-"
    if value >= 1:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    return f"{value * 1000:.1f} ms"


def lag_line(paced: dict) -> str:
    return (f"lag p50 {ms(paced.get('p50_s'))}, p95 {ms(paced.get('p95_s'))}, p99 {ms(paced.get('p99_s'))}, "
            f"max {ms(paced.get('max_s'))}" + ("" if paced.get("complete") else f", {paced.get('missing_count')} MISSING"))


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / MIB:.0f}"


def seconds(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths))]
    lines += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def verified(record: dict) -> str:
    checks = record.get("verify") or {}
    if not checks:
        return "not verified"
    bad = [key for key, result in checks.items() if not result["ok"]]
    dir_mtimes = sum(result["counts"]["dir_mtime"] for result in checks.values())
    if bad:
        return "FAILED: " + ", ".join(bad)
    note = f" (dir mtimes differ: {dir_mtimes})" if dir_mtimes else ""
    return f"yes, {len(checks)}×{note}"


def burst_seconds(record: dict) -> list[float]:
    return [burst["seconds"] for burst in record.get("bursts") or [] if burst.get("seconds") is not None]


def burst_cell(record: dict) -> str:
    values = burst_seconds(record)
    if not values:
        return "INCOMPLETE" if record.get("bursts") else "-"
    median = statistics.median(values)
    text = f"{median:.2f}"
    if len(values) > 1:
        text += f" ({min(values):.2f}–{max(values):.2f})"
    incomplete = sum(1 for burst in record["bursts"] if burst.get("seconds") is None)
    return text + (f", {incomplete} INCOMPLETE" if incomplete else "")


def memory_cell(memory: dict | None, key: str) -> str:
    if not memory:
        return "-"
    return " / ".join(mib(figures.get(key)) for figures in memory.values())


def ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}" if ours / theirs >= 0.01 else f"{ours / theirs:.4f}"


def render(results: dict, markdown: bool = False) -> str:
    out = []
    machine = results.get("machine", {})
    out.append(f"date {results.get('date')}; understudy {machine.get('source_tree')}; {machine.get('lsyncd')}; "
               f"{machine.get('rsync')}; {machine.get('cores')} cores, kernel {machine.get('kernel')}; "
               f"total {seconds(results.get('total_s'), 0)} s")
    settings = results.get("settings", {})
    runs = results.get("runs", [])
    for fs in dict.fromkeys(record["fs"] for record in runs):
        records = [record for record in runs if record["fs"] == fs]
        tree = records[0].get("tree", {})
        out.append("")
        out.append(f"### {fs}: starting tree of {tree.get('small_files')} files; {settings.get('writes')} paced writes "
                   f"at {settings.get('rate'):g}/s; {settings.get('bursts')} bursts of {settings.get('burst_files')} files")
        out.append("")
        rows = []
        for record in records:
            paced = record.get("paced") or {}
            rows.append([record["label"], ms(paced.get("p50_s")), ms(paced.get("p95_s")), ms(paced.get("p99_s")),
                         ms(paced.get("max_s")),
                         f"{paced.get('writes', 0) - paced.get('missing_count', 0)}/{paced.get('writes', '-')}",
                         seconds(paced.get("tool_cpu_s")), burst_cell(record),
                         seconds(statistics.median([b["tool_cpu_s"] for b in record.get("bursts") or []]))
                         if record.get("bursts") else "-",
                         seconds((record.get("startup") or {}).get("startup_s")),
                         memory_cell(record.get("memory_idle"), "rss_kib"),
                         memory_cell(record.get("memory_after"), "rss_kib"),
                         memory_cell(record.get("memory_after"), "hwm_kib"),
                         verified(record) + (f"; ERROR {record['error']}" if record.get("error") else "")])
        phases = [record.get("paced") or {} for record in records] + [b for r in records for b in r.get("bursts") or []]
        other = sum(phase.get("other_cpu_s", 0) for phase in phases)
        wall = sum(phase.get("phase_wall_s", 0) for phase in phases)
        if wall:
            out.append(f"other processes' CPU during the timed phases: {other:.1f} s in {wall:.0f} s "
                       f"({other / wall:.2f} cores on average); the harness itself: "
                       f"{sum(phase.get('harness_cpu_s', 0) for phase in phases):.1f} s")
            out.append("")
        out.append(table(["tool", "lag p50", "p95", "p99", "max", "arrived", "CPU s (paced)",
                          "burst s (range)", "CPU s (burst)", "initial sync s", "RSS MiB idle",
                          "RSS MiB after", "peak RSS MiB", "verified"], rows, markdown))
        for record in records:
            paced = record.get("paced") or {}
            if paced.get("p99_first_tenth_s") is not None:
                out.append(f"{record['label']}: lag p99 over the first tenth of the writes "
                           f"{ms(paced.get('p99_first_tenth_s'))}, over the last tenth "
                           f"{ms(paced.get('p99_last_tenth_s'))}")
        for record in records:
            startup = record.get("startup") or {}
            bursts = record.get("bursts") or []
            if "helpers_peak_total_rss_kib" in startup:
                out.append(f"{record['label']}: its rsync processes used at most {mib(startup['helpers_peak_total_rss_kib'])} MiB "
                           f"together during the startup sync, "
                           f"{mib(max((b.get('helpers_peak_total_rss_kib') or 0 for b in bursts), default=None))} MiB "
                           f"during the bursts (largest single process: "
                           f"{mib(max([startup.get('helpers_peak_single_hwm_kib') or 0] + [b.get('helpers_peak_single_hwm_kib') or 0 for b in bursts]))} MiB)")
        ours = next((record for record in records if record["tool"] == "understudy"), None)
        if ours is not None:
            out.append("")
            ratio_rows = []
            for record in records:
                if record is ours:
                    continue
                a, b = ours.get("paced") or {}, record.get("paced") or {}
                ob, tb = burst_seconds(ours), burst_seconds(record)
                ratio_rows.append([f"understudy / {record['label']}", ratio(a.get("p50_s"), b.get("p50_s")),
                                   ratio(a.get("p99_s"), b.get("p99_s")), ratio(a.get("max_s"), b.get("max_s")),
                                   ratio(statistics.median(ob) if ob else None, statistics.median(tb) if tb else None),
                                   ratio(a.get("tool_cpu_s"), b.get("tool_cpu_s"))])
            out.append(table(["ratio", "lag p50", "lag p99", "lag max", "burst time", "CPU (paced)"], ratio_rows,
                             markdown))
    million = results.get("million", [])
    if million:
        tree = million[0].get("tree", {})
        out.append("")
        out.append(f"### large tree ({million[0]['fs']}): {tree.get('files')} files of 0–100 bytes in "
                   f"{tree.get('directories')} directories (generated in {seconds(tree.get('generate_s'), 0)} s)")
        out.append("")
        rows = []
        for record in million:
            startup = record.get("startup") or {}
            paced = record.get("paced") or {}
            watch = startup.get("watch_setup_s")
            rows.append([record["label"], seconds(startup.get("startup_s"), 1),
                         "-" if watch is None else f"{watch:.2f}" + (f" ({startup['watched_directories']} dirs)"
                                                                     if startup.get("watched_directories")
                                                                     else f" ({startup['capture']})"
                                                                     if startup.get("capture") else ""),
                         seconds(startup.get("initial_sync_s"), 1), seconds(startup.get("tool_cpu_s"), 1),
                         memory_cell(record.get("memory_idle"), "rss_kib"),
                         memory_cell(record.get("memory_idle"), "hwm_kib"),
                         f"{ms(paced.get('p50_s'))} / {ms(paced.get('max_s'))}",
                         "yes" if record.get("converged") else "NO",
                         verified(record) + (f"; ERROR {record['error']}" if record.get("error") else "")])
        out.append(table(["tool", "startup s", "watch setup s", "initial sync s (log)", "CPU s", "RSS MiB idle",
                          "peak RSS MiB", "lag p50 / max", "converged", "verified"], rows, markdown))
        for record in million:
            startup = record.get("startup") or {}
            if "helpers_peak_total_rss_kib" in startup:
                out.append("")
                out.append(f"{record['label']}: its rsync processes used at most {mib(startup['helpers_peak_total_rss_kib'])} MiB "
                           f"together during the startup sync (largest single process "
                           f"{mib(startup.get('helpers_peak_single_hwm_kib'))} MiB)")
            if record.get("resync"):
                out.append("")
                out.append(f"{record['label']}: a full re-sync with nothing changed (what resync_interval triggers) took "
                           f"{record['resync']['wall_s']:.1f} s and {record['resync']['tool_cpu_s']:.1f} s of CPU; "
                           f"RSS after it {memory_cell(record.get('memory_after_resync'), 'rss_kib')} MiB, peak "
                           f"{memory_cell(record.get('memory_after_resync'), 'hwm_kib')} MiB")
    problems = [(record["fs"], record["label"], line) for record in runs + million
                for line in record.get("problems_running", [])]
    exits = [(record["fs"], record["label"], line) for record in runs + million
             for line in record.get("problems_at_exit", [])]
    if problems or exits:
        out.append("")
        out.append("log lines worth reading (warnings and errors while running; then at shutdown):")
        for fs, label, line in problems[:30]:
            out.append(f"  {fs} {label}: {line}")
        if len(problems) > 30:
            out.append(f"  ... and {len(problems) - 30} more")
        seen_exit = sorted({line.split(": ", 1)[-1] for _fs, _label, line in exits})
        for line in seen_exit[:10]:
            out.append(f"  at exit: {line}")
    if results.get("failures"):
        out.append("")
        out.append("FAILURES:")
        out += [f"  {failure}" for failure in results["failures"]]
    return "\n".join(out)
