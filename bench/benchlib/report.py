"""Tables of a run's results (plain text for the terminal, Markdown for docs/benchmarks.md) and the check of
the aims: small-file initial sync at most half of rsync's time, large files no slower, fewer bytes than
rsync -z after edits, nothing-changed re-sync under a third of rsync's time.
"""
import statistics

PHASES = {1: "initial", 2: "after edits", 3: "nothing changed"}
TOOLS = ["understudy", "rsync -a", "rsync -az"]


def human_bytes(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.1f} {unit}" if value / size < 100 else f"{value / size:.0f} {unit}"
    return f"{int(value)} B"


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def representative(records: list[dict]) -> dict:
    """Each cell is measured once per round (phase 3 several times per round): the run with the median wall
    time stands for all of them, with the range of wall times beside it."""
    ordered = sorted(records, key=lambda record: record["wall_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["samples"] = len(ordered)
    chosen["wall_range_s"] = (ordered[0]["wall_s"], ordered[-1]["wall_s"])
    return chosen


def wall_cell(record: dict) -> str:
    low, high = record.get("wall_range_s", (record["wall_s"], record["wall_s"]))
    if record.get("samples", 1) == 1:
        return f"{record['wall_s']:.2f}"
    precision = 3 if high < 1 else 2
    return f"{record['wall_s']:.{precision}f} ({low:.{precision}f}–{high:.{precision}f})"


def grouped(results: dict) -> dict:
    """{fs: {corpus: {phase: {tool: record}}}} with one representative record per cell."""
    cells: dict = {}
    for record in results["records"]:
        cells.setdefault(record["fs"], {}).setdefault(record["corpus"], {}).setdefault(record["phase"], {}) \
            .setdefault(record["tool"], []).append(record)
    return {fs: {corpus: {phase: {tool: representative(records) for tool, records in tools.items()}
                          for phase, tools in phases.items()}
                 for corpus, phases in corpora.items()}
            for fs, corpora in cells.items()}


def ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}"


def _rows(cells: dict) -> tuple[list[list[str]], list[list[str]]]:
    rows, ratios = [], []
    for corpus, phases in cells.items():
        for phase in sorted(phases):
            tools = phases[phase]
            for tool in TOOLS:
                record = tools.get(tool)
                if record is None:
                    continue
                rss = record["peak_rss_kib"]
                detail = record["cpu_detail_s"]
                rows.append([corpus, f"{phase} {PHASES[phase]}", tool, wall_cell(record),
                             human_bytes(record["wire"]["total"]),
                             f"{human_bytes(record['wire']['down'])} / {human_bytes(record['wire']['up'])}",
                             f"{record['cpu_s']:.2f}",
                             f"{detail['sender']:.2f} / {detail['receiver'] + detail['client']:.2f}",
                             f"{mib(rss['sender'])} / {mib(rss['receiver'])}",
                             f"{record['flush_after_s']:.2f}"])
            ours = tools.get("understudy")
            plain, compressed = tools.get("rsync -a"), tools.get("rsync -az")
            if ours and plain and compressed:
                ratios.append([corpus, f"{phase} {PHASES[phase]}",
                               ratio(ours["wall_s"], plain["wall_s"]), ratio(ours["wall_s"], compressed["wall_s"]),
                               ratio(ours["wire"]["total"], plain["wire"]["total"]),
                               ratio(ours["wire"]["total"], compressed["wire"]["total"]),
                               ratio(ours["cpu_s"], plain["cpu_s"]), ratio(ours["cpu_s"], compressed["cpu_s"])])
    return rows, ratios


MAIN_HEADER = ["corpus", "phase", "tool", "wall s (range)", "wire total", "down / up", "CPU s", "CPU send / recv",
               "RSS MiB send / recv", "flush after s"]
RATIO_HEADER = ["corpus", "phase", "wall vs -a", "wall vs -az", "bytes vs -a", "bytes vs -az", "CPU vs -a",
                "CPU vs -az"]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in [header] + rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[column]) for column, cell in enumerate(row)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def aims(cells: dict) -> list[tuple[str, str, bool | None, str]]:
    """(fs, aim, met, evidence) for each aim that the run's corpora allow to judge."""
    verdicts = []
    for fs, corpora in cells.items():
        def get(corpus, phase, tool):
            return corpora.get(corpus, {}).get(phase, {}).get(tool)

        def fastest_rsync(corpus, phase):
            candidates = [record for record in (get(corpus, phase, "rsync -a"), get(corpus, phase, "rsync -az")) if record]
            return min(candidates, key=lambda record: record["wall_s"]) if candidates else None

        ours, theirs = get("small", 1, "understudy"), fastest_rsync("small", 1)
        if ours and theirs:
            value = ours["wall_s"] / theirs["wall_s"]
            verdicts.append((fs, "small files, initial sync: at most 0.5x rsync's time", value <= 0.5,
                             f"{ours['wall_s']:.2f} s vs {theirs['wall_s']:.2f} s ({theirs['tool']}): {value:.2f}x"))
        for phase in (1, 2):
            ours, theirs = get("large", phase, "understudy"), fastest_rsync("large", phase)
            if ours and theirs:
                value = ours["wall_s"] / theirs["wall_s"]
                verdicts.append((fs, f"large files, phase {phase} ({PHASES[phase]}): no slower than rsync", value <= 1.0,
                                 f"{ours['wall_s']:.2f} s vs {theirs['wall_s']:.2f} s ({theirs['tool']}): {value:.2f}x"))
        for corpus in corpora:
            ours, theirs = get(corpus, 2, "understudy"), get(corpus, 2, "rsync -az")
            if ours and theirs:
                verdicts.append((fs, f"{corpus}, after edits: fewer bytes than rsync -az",
                                 ours["wire"]["total"] < theirs["wire"]["total"],
                                 f"{human_bytes(ours['wire']['total'])} vs {human_bytes(theirs['wire']['total'])}: "
                                 f"{ours['wire']['total'] / theirs['wire']['total']:.2f}x"))
        for corpus in corpora:
            ours, theirs = get(corpus, 3, "understudy"), fastest_rsync(corpus, 3)
            if ours and theirs:
                value = ours["wall_s"] / theirs["wall_s"]
                verdicts.append((fs, f"{corpus}, nothing changed: under 1/3 of rsync's time", value < 1 / 3,
                                 f"{ours['wall_s']:.3f} s vs {theirs['wall_s']:.3f} s ({theirs['tool']}): {value:.2f}x"))
    return verdicts


def noise(results: dict) -> str:
    """How much else ran. Per phase, CPU time of the whole machine minus that of the measured processes; the
    counters tick every 10 ms, so one short phase says little and the sum over all phases is what counts."""
    records = [record for record in results["records"] if record["wall_s"] > 0]
    if not records:
        return "no records"
    other = sum(record["other_cpu_s"] for record in records)
    wall = sum(record["wall_s"] for record in records)
    long = [record for record in records if record["wall_s"] >= 0.5]
    busy = [record for record in long if record["other_cpu_s"] / record["wall_s"] > 0.25]
    checks = "; ".join(f"round {index + 1}: {', '.join(str(value) for value in values)}"
                       for index, values in enumerate(results.get("loads_at_start", [])))
    return (f"other processes used {other / wall:.2f} cores on average during the {len(records)} timed phases "
            f"({other:.1f} s of CPU in {wall:.1f} s); {len(busy)} of the {len(long)} phases of 0.5 s or more saw "
            f"over 0.25 cores of other work. Quiet checks before each round (load average before round 1, cores "
            f"busy with other work over 10 s before later rounds): {checks or 'none'}")


def initial_breakdown(cells: dict) -> list[list[str]]:
    """understudy's phase 1 end to end vs the standby's own account of its initial sync: the rest is daemon
    start, TLS connection, the CLI's polling for the control socket, and a follow-up sync when the request
    arrived after the initial one had begun (the request is answered by a sync that starts after it)."""
    rows = []
    for corpus, phases in cells.items():
        record = phases.get(1, {}).get("understudy")
        if not record:
            continue
        logged = record["details"].get("daemon_sync_seconds") or []
        plan = (record["details"].get("sync_result") or {}).get("plan") or {}
        initial = logged[0] if logged else None
        rows.append([corpus, f"{record['wall_s']:.2f}", "-" if initial is None else f"{initial:.2f}",
                     "-" if initial is None else f"{record['wall_s'] - initial:.2f}",
                     "yes" if plan.get("files", 0) == 0 else "no"])
    return rows


def render(results: dict, markdown: bool = False) -> str:
    table = _markdown_table if markdown else _text_table
    out = []
    link = results.get("settings", {}).get("link")
    if link:
        out.append(f"Between the two sides: {link}.\n" if markdown else f"between the two sides: {link}")
    for fs, cells in grouped(results).items():
        rows, ratios = _rows(cells)
        out.append(f"### {fs}\n" if markdown else f"== {fs} ==")
        out.append(table(MAIN_HEADER, rows))
        out.append("" if not markdown else "")
        out.append(f"Ratios understudy / rsync on {fs}:\n" if markdown else f"-- ratios understudy / rsync ({fs}) --")
        out.append(table(RATIO_HEADER, ratios))
        out.append("")
        out.append(f"understudy phase 1 on {fs}, end to end vs the standby's initial sync:\n" if markdown
                   else f"-- understudy phase 1 breakdown ({fs}) --")
        out.append(table(["corpus", "end to end s", "initial sync s (daemon log)", "start + connect + rest s",
                          "answered by a follow-up sync"], initial_breakdown(cells)))
        out.append("")
    out.append("### Aims\n" if markdown else "== aims ==")
    verdict_rows = [[fs, aim, "met" if met else "NOT met", evidence] for fs, aim, met, evidence in aims(grouped(results))]
    out.append(table(["fs", "aim", "verdict", "evidence"], verdict_rows))
    out.append("")
    out.append(("Noise: " if markdown else "noise: ") + noise(results))
    return "\n".join(out)
