"""Tables of a bench/archive run (text for the terminal, Markdown for docs/benchmarks.md): per file system, the
median (and range) over the runs of each tool's first archive, second archive after 1 % of the files changed, the
disk space that second archive adds, and the removal of the oldest archive; then the ratios understudy /
rsnapshot.

Space figures come from `du -sk LIVE_DATA ARCHIVE_ROOT` in one invocation (hard links counted once, under the
first path met), so "beyond the live data" excludes what the archives share with the tree they were taken from.
The space of the second archive is the growth of that figure from just after the first archive to just after
the second: it includes the old versions of the 200 changed files that the first archive now holds alone (with
understudy they stop being shared with the replica when the edits arrive, before the second archive is taken).
"""
import statistics

from .live_report import ratio, table


def mib(kib: float | None) -> str:
    if kib is None:
        return "-"
    value = kib / 1024
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def figures(record: dict) -> dict | None:
    """The scalar figures of one complete run (None when it did not complete)."""
    if record.get("error") or "prune" not in record:
        return None
    space = record["space"]
    archives = {key: value["archives_kib"] for key, value in space.items() if isinstance(value, dict)}
    first, second, prune = record["first"], record["second"], record["prune"]
    shared = record.get("sharing_second") or {}
    return {
        "first_s": first["wall_s"], "second_s": second["wall_s"], "prune_s": prune["wall_s"],
        "prune_command_s": prune.get("command_s", prune["wall_s"]),
        "first_cpu_s": first["cpu_s"], "second_cpu_s": second["cpu_s"], "prune_cpu_s": prune["cpu_s"],
        "first_flush_s": first["flush_after_s"], "second_flush_s": second["flush_after_s"],
        "prune_flush_s": prune["flush_after_s"],
        "first_space_kib": archives["after_first"] - archives["before"],
        "second_extra_kib": archives["after_second"] - archives["after_first"],
        "second_alone_kib": archives["after_second"] - archives["after_edits"],
        "archives_after_second_kib": archives["after_second"],
        "freed_kib": archives["after_second"] - archives["after_prune"],
        "linked_to_previous": shared.get("linked_to_previous"), "linked_to_data": shared.get("linked_to_data"),
        "own_inode": shared.get("own_inode"), "files": shared.get("files"),
        "first_reported_s": (first.get("reported") or {}).get("seconds"),
        "second_reported_s": (second.get("reported") or {}).get("seconds"),
        "other_cpu_s": first["other_cpu_s"] + second["other_cpu_s"] + prune["other_cpu_s"],
        "timed_wall_s": first["wall_s"] + second["wall_s"] + prune["wall_s"],
    }


def median(values: list) -> float | None:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def cell(values: list, digits: int = 2, scale=None) -> str:
    """Median, with the range when there are several runs."""
    values = [value for value in values if value is not None]
    if not values:
        return "-"
    show = scale or (lambda value: f"{value:.{digits}f}")
    if len(values) == 1:
        return show(values[0])
    return f"{show(statistics.median(values))} ({show(min(values))}–{show(max(values))})"


def verified(records: list[dict]) -> str:
    checks = [result for record in records for result in (record.get("verify") or {}).values()]
    if not checks:
        return "not verified"
    bad = sum(1 for result in checks if not result.get("ok"))
    return f"FAILED {bad} of {len(checks)}" if bad else f"yes, {len(checks)}×"


def render(results: dict, markdown: bool = False) -> str:
    out = []
    machine = results.get("machine", {})
    settings = results.get("settings", {})
    tools = settings.get("tools", [])
    versions = [f"understudy {machine.get('source_tree')}" if "understudy" in tools else None,
                machine.get("rsnapshot") if "rsnapshot" in tools else None, " ".join((machine.get("rsync") or "").split())]
    loads = results.get("loads_at_start") or [[None]]
    waits = sum(len(seen) - 1 for seen in loads)
    out.append(f"date {results.get('date')}; {'; '.join(v for v in versions if v)}; {machine.get('cores')} cores, "
               f"kernel {machine.get('kernel')}; load average at start {loads[0][-1]}, {waits} wait(s) for a quiet "
               f"machine; total {results.get('total_s', 0):.0f} s")
    runs = results.get("runs", [])
    setups = results.get("setups", [])
    for fs in dict.fromkeys([setup["fs"] for setup in setups] + [record["fs"] for record in runs]):
        tree = next((setup.get("tree") for setup in setups if setup["fs"] == fs and setup.get("tree")), {}) or {}
        edited = next((record["edits"].get("small_files_edited") for record in runs
                       if record["fs"] == fs and record.get("edits")), None)
        out.append("")
        out.append(f"### {fs}: {tree.get('small_files')} files ({mib((tree.get('bytes') or 0) / 1024)} MiB), "
                   f"{edited} of them changed before the second archive; medians (range) of "
                   f"{settings.get('runs')} run(s)")
        out.append("")
        rows, medians = [], {}
        for name in tools:
            records = [record for record in runs if record["fs"] == fs and record["tool"] == name]
            complete = [f for f in (figures(record) for record in records) if f is not None]
            setup = next((s for s in setups if s["fs"] == fs and s["tool"] == name), {})
            if not complete:
                error = setup.get("error") or next((r.get("error") for r in records if r.get("error")), "no run")
                rows.append([name, "0"] + ["-"] * 9 + [f"ERROR {error}"])
                continue
            series = {key: [f[key] for f in complete] for key in complete[0]}
            medians[name] = {key: median(values) for key, values in series.items()}
            m = medians[name]
            linked = (f"{m['linked_to_previous']:.0f} / {m['linked_to_data']:.0f} / {m['own_inode']:.0f}"
                      if m.get("files") is not None else "-")
            rows.append([name, str(len(complete)),
                         cell(series["first_s"]), cell(series["second_s"]),
                         cell(series["second_extra_kib"], scale=mib), cell(series["prune_s"]),
                         f"{m['first_cpu_s']:.2f} / {m['second_cpu_s']:.2f} / {m['prune_cpu_s']:.2f}",
                         f"{m['first_flush_s']:.2f} / {m['second_flush_s']:.2f} / {m['prune_flush_s']:.2f}",
                         mib(m["first_space_kib"]), mib(m["archives_after_second_kib"]), linked,
                         verified(records) + (f"; {len(records) - len(complete)} run(s) FAILED"
                                              if len(complete) < len(records) else "")])
        out.append(table(["tool", "runs", "1st archive s", "2nd archive s (1 % changed)", "space of 2nd, MiB",
                          "prune oldest s", "CPU s 1st / 2nd / prune", "flush after s 1st / 2nd / prune",
                          "1st archive beyond live data, MiB", "both archives beyond live data, MiB",
                          "2nd: files linked to 1st / to live data / own inode", "verified"], rows, markdown))
        ours, theirs = medians.get("understudy"), medians.get("rsnapshot")
        if ours and theirs:
            out.append("")
            out.append(table(["ratio", "1st archive", "2nd archive", "space of 2nd", "prune oldest",
                              "CPU 2nd archive"],
                             [["understudy / rsnapshot", ratio(ours["first_s"], theirs["first_s"]),
                               ratio(ours["second_s"], theirs["second_s"]),
                               ratio(ours["second_extra_kib"], theirs["second_extra_kib"]),
                               ratio(ours["prune_s"], theirs["prune_s"]),
                               ratio(ours["second_cpu_s"], theirs["second_cpu_s"])]], markdown))
        notes = []
        for name, m in medians.items():
            if name == "understudy":
                notes.append(f"understudy prune: `archive remove` returned after {m['prune_command_s']:.2f} s, the "
                             f"archive was gone from disk after {m['prune_s']:.2f} s (the figure above)")
                if m.get("first_reported_s") is not None and m.get("second_reported_s") is not None:
                    notes.append(f"understudy's own account of the archives (`seconds` in its reply, without the "
                                 f"CLI's start and the control round trip): {m['first_reported_s']:.2f} s and "
                                 f"{m['second_reported_s']:.2f} s")
            notes.append(f"{name}: the second archive alone (after the edits reached the live data) added "
                         f"{mib(m['second_alone_kib'])} MiB; the prune freed {mib(m['freed_kib'])} MiB; other "
                         f"processes used {m['other_cpu_s']:.2f} s of CPU during {m['timed_wall_s']:.2f} s of timed phases")
        if notes:
            out.append("")
            out += [f"- {note}" for note in notes]
    problems = [(setup["fs"], setup["tool"], line) for setup in setups for line in setup.get("problems") or []]
    if problems:
        out.append("")
        out.append("log lines worth reading (warnings and errors):")
        out += [f"  {fs} {tool}: {line}" for fs, tool, line in problems[:30]]
        if len(problems) > 30:
            out.append(f"  ... and {len(problems) - 30} more")
    if results.get("failures"):
        out.append("")
        out.append("FAILURES:")
        out += [f"  {failure}" for failure in results["failures"]]
    return "\n".join(out)
