"""Tables of a bench/failover run: per failure and tool, the median client-visible outage over the trials, with
the range, and what the client saw after the switch (answers from the old node, failures, and, after a kill,
which node answered once the client's ARP entry was flushed while both nodes held the address)."""
import statistics

from .live_report import table

FAILURES = {"kill": "primary killed (SIGKILL to the failover daemon and the service)",
            "isolate": "primary's interfaces down (scripts/lab isolate)"}


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    text = f"{statistics.median(values):.2f}"
    return text + (f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else "")


def render(results: dict, markdown: bool = False) -> str:
    machine = results.get("machine", {})
    settings = results.get("settings", {})
    trials = results.get("trials", [])
    load = " / ".join(f"{machine[key]:.2f}" if key in machine else "-" for key in ("load_at_start", "load_at_end"))
    ours = any(trial["tool"].startswith("understudy") for trial in trials)
    out = [f"date {results.get('date')}; {machine.get('keepalived')}"
           + (f"; understudy {machine.get('source_tree')}" if ours else "")
           + f"; {machine.get('cores')} cores, kernel {machine.get('kernel')}; load average {load} (start / end); "
           f"total {seconds(results.get('total_s'))} s",
           f"client: one GET per {settings.get('interval')} s, new TCP connection each, timeout "
           f"{settings.get('timeout')} s; outage = first attempt not answered by alpha → first answer from beta"]
    labels = results.get("labels", {})
    for failure in dict.fromkeys(trial["failure"] for trial in trials):
        out += ["", f"### {FAILURES.get(failure, failure)}", ""]
        rows = []
        for tool in dict.fromkeys(trial["tool"] for trial in trials if trial["failure"] == failure):
            runs = [trial for trial in trials if trial["failure"] == failure and trial["tool"] == tool]
            measured = [trial["outage"] for trial in runs if (trial.get("outage") or {}).get("outage_s") is not None]
            probes = [trial["flush_probe"] for trial in runs if trial.get("flush_probe")]
            both = sum(1 for trial in runs if trial.get("vip_after") == ["alpha", "beta"])
            rows.append([labels.get(tool, tool), spread([o["outage_s"] for o in measured]),
                         spread([o["since_failure_s"] for o in measured]), f"{len(measured)}/{len(runs)}",
                         str(sum(o["old_answers_after_switch"] for o in measured)),
                         str(sum(o["failures_after_switch"] for o in measured)),
                         f"{both}/{len(runs)}",
                         f"{sum(p['beta'] for p in probes)}/{sum(p['fail'] for p in probes)} "
                         f"in {len(probes)} flushes" if probes else "-"])
        out.append(table(["tool", "outage s, median (range)", "failure → beta answers, s", "measured",
                          "alpha answers after switch", "failures after switch", "both hold the VIP after",
                          "after ARP flush: beta/failed"], rows, markdown))
    setups = results.get("setup_failures", [])
    if setups:
        out += ["", f"setups that failed before alpha was failed, tried again ({len(setups)}):"]
        out += [f"  {trial['tool']} {trial['failure']} #{trial['trial']}: {trial.get('error')}" for trial in setups]
    errors = [f"{trial['tool']} {trial['failure']} #{trial['trial']}: {trial['error']}" for trial in trials
              if trial.get("error")]
    if errors or results.get("failures"):
        out += ["", "PROBLEMS:"] + [f"  {line}" for line in errors + [f for f in results.get("failures", [])
                                                                     if f not in errors]]
    return "\n".join(out)
