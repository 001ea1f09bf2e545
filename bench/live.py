"""understudy's live mirror against lsyncd (default.rsync to an rsync daemon) on loopback, on tmpfs and on ext4.

Started by bench/live. For each file system and each tool in turn (never two at once): a fresh copy of the
starting tree (20,000 files), the tool started and its initial sync awaited, then idle memory, then paced writes
(200 small files at 20/s: the lag of each, from its close(2) to the replica holding its content, told by inotify
on the replica), then bursts (10,000 small files in 50 directories, some new: the time until all are on the
replica). Each phase is followed by a wait until the tool is idle and a verification of the whole replica. Then,
on one file system, a tree of a million tiny files: each tool's startup time, idle memory, a few paced writes
(does the live mirror still follow?) and a full verification. Results go to bench/out/ as JSON with a text
table beside them.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import cli, corpus, live_report, live_verify, live_workload, measure, results  # noqa: E402
from benchlib.live_lsyncd import LsyncdTool, lsyncd_version  # noqa: E402
from benchlib.live_procs import GroupRegistry  # noqa: E402
from benchlib.live_understudy import UnderstudyLive  # noqa: E402
from benchlib.live_watch import ReplicaWatcher  # noqa: E402

FILE_SYSTEMS = {"tmpfs": "/dev/shm/understudy-live", "ext4": "/var/tmp/understudy-live"}
SEED = 20261122
TOOLS = {
    # name: (kind, lsyncd delay or None for its default)
    "understudy": ("understudy", None),
    "lsyncd-0": ("lsyncd", 0),
    "lsyncd-15": ("lsyncd", None),
    # The same understudy with its console open on the primary (event stream, 5 s refresh): what that costs.
    "understudy-console": ("understudy", None),
    # The same understudy with inotify (a watch per directory) instead of fanotify on the primary.
    "understudy-inotify": ("understudy", None),
    # The same understudy with quiet_delay = 0: a batch goes as soon as the kernel's queue has been read.
    "understudy-q0": ("understudy", None),
    # The same understudy with max_delay = 20ms (the default since 2b027d2) or 100ms (the default before).
    "understudy-md20": ("understudy", None),
    "understudy-md100": ("understudy", None),
    # The same understudy with each top directory of the tree (d000, d001, ...) a group of its own: as many
    # connections and syncs side by side, whose syncfs and resume points share rounds (group commit). Paced writes
    # only: a burst's new top directories belong to no group.
    "understudy-groups": ("understudy", None),
}
LABELS = {"understudy": "understudy", "lsyncd-0": "lsyncd delay=0", "lsyncd-15": "lsyncd default (delay=15)",
          "understudy-console": "understudy, console open", "understudy-inotify": "understudy with inotify",
          "understudy-q0": "understudy, quiet_delay 0", "understudy-md20": "understudy, max_delay 20ms",
          "understudy-md100": "understudy, max_delay 100ms", "understudy-groups": "understudy, a group per top directory"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def source_tree() -> str:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
        changed = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no", "Sources"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        return f"commit {commit}{' plus uncommitted work' if changed else ''}" if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def memory(pid: int) -> dict:
    """VmRSS and VmHWM in KiB."""
    figures = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    figures[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return {"rss_kib": figures.get("VmRSS"), "hwm_kib": figures.get("VmHWM")}


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def lag_summary(lags: list[float]) -> dict:
    """Percentiles of `lags` (in the order of the writes), and the p99 of the first and of the last tenth of them:
    a mirror that falls behind shows it as growth from one to the other."""
    tenth = max(1, len(lags) // 10)
    return {"p50_s": percentile(lags, 0.50), "p95_s": percentile(lags, 0.95), "p99_s": percentile(lags, 0.99),
            "max_s": max(lags) if lags else None, "min_s": min(lags) if lags else None,
            "mean_s": statistics.fmean(lags) if lags else None,
            "p99_first_tenth_s": percentile(lags[:tenth], 0.99), "p99_last_tenth_s": percentile(lags[-tenth:], 0.99)}


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        for child in measure.child_pids(stack.pop()):
            found.append(child)
            stack.append(child)
    return found


class HelperSampler(threading.Thread):
    """The memory of the short-lived processes a tool runs (lsyncd's rsync client, the rsync daemon's
    per-connection receiver and generator), sampled every 20 ms: the largest sum of their RSS seen at one moment,
    and the largest single peak (VmHWM). understudy runs none."""

    def __init__(self, tool):
        super().__init__(daemon=True)
        self.tool = tool
        self.total_kib = 0
        self.single_kib = 0
        self.seen: set[int] = set()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = 0
            # lsyncd may start after the sampler (its startup is measured); read the processes every time.
            roots = [process.pid for process in (self.tool.lsyncd, self.tool.rsyncd) if process is not None]
            for root in roots:
                for pid in descendants(root):
                    figures = memory(pid)
                    if figures["rss_kib"] is None:
                        continue
                    self.seen.add(pid)
                    total += figures["rss_kib"]
                    self.single_kib = max(self.single_kib, figures["hwm_kib"] or 0)
            self.total_kib = max(self.total_kib, total)
            self._done.wait(0.02)

    def finish(self) -> dict:
        self._done.set()
        self.join(5)
        return {"helpers_peak_total_rss_kib": self.total_kib, "helpers_peak_single_hwm_kib": self.single_kib,
                "helper_processes_seen": len(self.seen)}


class Meter:
    """CPU of the tool, of this harness (its watcher thread included) and of everything else over a phase, and
    the memory of the tool's helper processes."""

    def __init__(self, tool):
        self.tool = tool
        self.tool_cpu = tool.cpu_seconds()
        self.own_cpu = time.process_time()
        self.busy = measure.system_busy_seconds()
        self.started = time.monotonic()
        self.sampler = HelperSampler(tool) if tool.kind == "lsyncd" else None
        if self.sampler is not None:
            self.sampler.start()

    def done(self) -> dict:
        tool_cpu = self.tool.cpu_seconds() - self.tool_cpu
        own_cpu = time.process_time() - self.own_cpu
        busy = measure.system_busy_seconds() - self.busy
        figures = {"tool_cpu_s": tool_cpu, "harness_cpu_s": own_cpu, "other_cpu_s": max(0.0, busy - tool_cpu - own_cpu),
                   "phase_wall_s": time.monotonic() - self.started}
        if self.sampler is not None:
            figures.update(self.sampler.finish())
        return figures


class Run:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.processes = GroupRegistry()
        self.pool = corpus.TextPool(SEED)
        self.roots_made: list[str] = []
        self.failures: list[str] = []
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.logs = os.path.join(arguments.out, f"live-logs-{self.stamp}")
        self.results = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "machine": {"cores": os.cpu_count(), "kernel": platform.release(),
                        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
                        "rsync": subprocess.run(["rsync", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                        "lsyncd": lsyncd_version(),
                        "source_tree": os.environ.get("UNDERSTUDY_BUILT_FROM") or source_tree(),
                        "binary": arguments.binary,
                        "inotify_max_user_watches": open("/proc/sys/fs/inotify/max_user_watches").read().strip()},
            "settings": {key: value for key, value in vars(arguments).items() if key not in ("render", "markdown")},
            "labels": LABELS,
            "runs": [], "million": [], "loads_at_start": [], "failures": self.failures,
        }

    # --- helpers ---------------------------------------------------------------------------------------------

    def make_tool(self, name: str, base: str, source: str):
        kind, delay = TOOLS[name]
        if kind == "understudy":
            return UnderstudyLive(name, self.arguments.binary, os.path.join(base, "tool"), source, self.processes,
                                  console=name.endswith("-console"),
                                  capture="inotify" if name.endswith("-inotify") else None,
                                  group_extra='quiet_delay = "0s"' if name.endswith("-q0")
                                  else 'max_delay = "20ms"' if name.endswith("-md20")
                                  else 'max_delay = "100ms"' if name.endswith("-md100") else "",
                                  groups=sorted(entry for entry in os.listdir(source) if re.fullmatch(r"d\d{3}", entry))
                                  if name.endswith("-groups") else None)
        os.makedirs(os.path.join(base, "tool"))
        return LsyncdTool(name, delay, os.path.join(base, "tool"), source, self.processes)

    def verify(self, tool, record: dict, key: str, what: str) -> None:
        started = time.monotonic()
        result = live_verify.merge([live_verify.compare(mirrored, replica)
                                    for mirrored, replica in tool.verify_roots()])
        result["seconds"] = time.monotonic() - started
        required = live_verify.STRICT if tool.kind == "understudy" else live_verify.CONTENT_AND_METADATA
        result["ok"] = live_verify.verdict(result, required)
        result["required"] = list(required)
        record.setdefault("verify", {})[key] = result
        line = f"{tool.name}: replica after {what}: {live_verify.summary(result)}"
        log(("verified " if result["ok"] else "VERIFICATION FAILED ") + line)
        if not result["ok"]:
            self.failures.append(line)

    def close_tool(self, tool, watcher, record: dict, label: str) -> None:
        """Stops a tool (and the replica watcher) and records what its logs said while running and at exit."""
        if watcher is not None:
            watcher.close()
        record["problems_running"] = tool.problems()
        tool.close()
        if getattr(tool, "console_figures", None) is not None:
            record["console"] = tool.console_figures
        record["problems_at_exit"] = [line for line in tool.problems() if line not in record["problems_running"]]
        self.keep_logs(tool, label)

    def keep_logs(self, tool, label: str) -> None:
        """Copies the tool's logs and configuration beside the results before its tree is removed."""
        destination = os.path.join(self.logs, label)
        try:
            os.makedirs(destination, exist_ok=True)
            for name in os.listdir(tool.work):
                path = os.path.join(tool.work, name)
                if os.path.isfile(path) and name.endswith((".log", ".out", ".lua", ".toml", ".conf", ".status")):
                    shutil.copy2(path, destination)
        except OSError as error:
            log(f"could not keep the logs of {label}: {error}")

    def lag_timeout(self, name: str) -> float:
        return 60.0 if TOOLS[name][1] is None and TOOLS[name][0] == "lsyncd" else 30.0

    def quiet(self) -> None:
        seen = []
        for attempt in range(self.arguments.quiet_attempts):
            value = measure.load_average()
            seen.append(round(value, 2))
            if value < self.arguments.quiet_load:
                break
            if attempt < self.arguments.quiet_attempts - 1:
                log(f"load average {value:.2f} >= {self.arguments.quiet_load}; waiting 30 s")
                time.sleep(30)
        self.results["loads_at_start"].append(seen)

    # --- the 20,000-file tree: startup, memory, paced writes, bursts -------------------------------------------

    def run_tool(self, fs: str, top: str, name: str) -> None:
        arguments = self.arguments
        base = os.path.join(top, name)
        source = os.path.join(base, "source")
        record = {"fs": fs, "tool": name, "label": LABELS[name]}
        self.results["runs"].append(record)
        started = time.monotonic()
        record["tree"] = live_workload.start_tree(source, SEED, self.pool, arguments.scale)
        log(f"{fs} {name}: starting tree generated in {time.monotonic() - started:.1f} s: {record['tree']}")
        tool = self.make_tool(name, base, source)
        watcher = None
        try:
            tool.prepare()
            measure.timed_flush()
            meter = Meter(tool)
            record["startup"] = tool.start(timeout=600)
            record["idle_wait_s"] = tool.wait_idle(120)
            record["startup"].update(meter.done())
            log(f"{fs} {name}: initial sync done in {record['startup']['startup_s']:.2f} s")
            self.verify(tool, record, "initial", "the initial sync")
            time.sleep(arguments.settle)
            record["memory_idle"] = {role: memory(pid) for role, pid in tool.pids().items()}
            watcher = ReplicaWatcher(tool.replica).start()

            # Paced writes.
            measure.timed_flush()
            writes = live_workload.paced_plan(SEED, arguments.scale, arguments.writes, tag=f"{fs}")
            meter = Meter(tool)
            paced = live_workload.run_paced(source, watcher, writes, arguments.rate, self.lag_timeout(name))
            paced["idle_wait_s"] = tool.wait_idle(120)   # CPU is counted until the tool is idle again
            paced.update(meter.done())
            paced.update(lag_summary(paced["lags_s"]))
            paced["by_sweep"], paced["watch_overflows"] = watcher.by_sweep, watcher.overflows
            record["paced"] = paced
            log(f"{fs} {name}: paced {paced['writes']} writes at {arguments.rate:g}/s: "
                + live_report.lag_line(paced) + f", tool CPU {paced['tool_cpu_s']:.2f} s")
            if not paced["complete"]:
                self.failures.append(f"{fs} {name}: {paced['missing_count']} paced writes never reached the replica "
                                     f"within {self.lag_timeout(name):.0f} s, e.g. {paced['missing'][:3]}")
            tool.wait_idle(120)
            self.verify(tool, record, "paced", "the paced writes")

            # Bursts.
            record["bursts"] = []
            for repeat in range(arguments.bursts):
                measure.timed_flush()
                tool.wait_idle(120)
                writes = live_workload.burst_plan(SEED, arguments.scale, arguments.burst_files, arguments.burst_dirs,
                                                  arguments.burst_new_dirs, tag=f"{repeat + 1}")
                watcher.by_sweep = 0
                meter = Meter(tool)
                burst = live_workload.run_burst(source, watcher, writes, arguments.burst_timeout)
                burst["idle_wait_s"] = tool.wait_idle(120)
                burst.update(meter.done())
                burst["by_sweep"], burst["watch_overflows"] = watcher.by_sweep, watcher.overflows
                record["bursts"].append(burst)
                shown = f"{burst['seconds']:.2f} s" if burst["seconds"] is not None else "INCOMPLETE"
                log(f"{fs} {name}: burst {repeat + 1}: {burst['files']} files ({burst['new_directories']} new "
                    f"directories) on the replica after {shown} (written in {burst['writing_s']:.2f} s), "
                    f"tool CPU {burst['tool_cpu_s']:.2f} s")
                if not burst["complete"]:
                    self.failures.append(f"{fs} {name}: burst {repeat + 1}: {burst['missing_count']} files not on "
                                         f"the replica within {arguments.burst_timeout:.0f} s")
                tool.wait_idle(120)
                self.verify(tool, record, f"burst-{repeat + 1}", f"burst {repeat + 1}")
            record["memory_after"] = {role: memory(pid) for role, pid in tool.pids().items()}
            if tool.kind == "understudy":
                record["figures"] = tool.figures()
        except Exception as error:  # noqa: BLE001 — recorded, the run goes on with the next tool
            record["error"] = f"{type(error).__name__}: {error}"
            self.failures.append(f"{fs} {name}: {record['error']}")
            log(f"{fs} {name}: FAILED: {record['error']}")
        finally:
            self.close_tool(tool, watcher, record, f"{fs}-{name}")
            if record["problems_running"]:
                log(f"{fs} {name}: {len(record['problems_running'])} warning/error lines in its logs, e.g. "
                    f"{record['problems_running'][0]}")
        if fs == "tmpfs" and not self.arguments.keep:
            shutil.rmtree(base)   # frees memory and inodes; on tmpfs removal is immediate, nothing lingers

    # --- the million-file tree ---------------------------------------------------------------------------------

    def run_million(self, fs: str) -> None:
        arguments = self.arguments
        # A tree of ten million files needs more inodes than /dev/shm has: --million-dir puts it elsewhere (a file
        # system made for it), under the name of the kind of file system it is.
        top = os.path.join(arguments.million_dir or FILE_SYSTEMS[fs], "million")
        source = os.path.join(top, "source")
        started = time.monotonic()
        tree = live_workload.million_tree(source, SEED, arguments.million)
        log(f"{fs}: million tree generated in {time.monotonic() - started:.1f} s: {tree}")
        measure.timed_flush()
        for name in arguments.million_tools:
            record = {"fs": fs, "tool": name, "label": LABELS[name], "tree": tree}
            self.results["million"].append(record)
            base = os.path.join(top, name)
            os.makedirs(base)
            tool = self.make_tool(name, base, source)
            watcher = None
            try:
                prepared = time.monotonic()
                tool.prepare()
                record["prepare_s"] = time.monotonic() - prepared
                measure.timed_flush()
                meter = Meter(tool)
                record["startup"] = tool.start(timeout=arguments.million_timeout)
                record["idle_wait_s"] = tool.wait_idle(arguments.million_timeout)
                record["startup"].update(meter.done())
                log(f"{fs} million {name}: startup {record['startup']['startup_s']:.1f} s "
                    f"({json.dumps({k: v for k, v in record['startup'].items() if k != 'syncs_logged_s'})})")
                time.sleep(arguments.settle * 2)
                record["memory_idle"] = {role: memory(pid) for role, pid in tool.pids().items()}
                log(f"{fs} million {name}: memory idle {record['memory_idle']}")
                watcher = ReplicaWatcher(tool.replica).start()
                writes = live_workload.million_paced_plan(SEED, arguments.million, 20, tag=name)
                meter = Meter(tool)
                paced = live_workload.run_paced(source, watcher, writes, arguments.rate, self.lag_timeout(name))
                paced["idle_wait_s"] = tool.wait_idle(arguments.million_timeout)
                paced.update(meter.done())
                paced.update(lag_summary(paced["lags_s"]))
                record["paced"] = paced
                log(f"{fs} million {name}: {paced['writes']} paced writes: " + live_report.lag_line(paced))
                tool.wait_idle(arguments.million_timeout)
                record["memory_after"] = {role: memory(pid) for role, pid in tool.pids().items()}
                if tool.kind == "understudy":
                    # What the periodic re-sync (resync_interval) costs on this tree: one full comparison.
                    meter = Meter(tool)
                    record["resync"] = tool.resync(arguments.million_timeout)
                    record["resync"].update(meter.done())
                    time.sleep(arguments.settle)
                    record["memory_after_resync"] = {role: memory(pid) for role, pid in tool.pids().items()}
                    log(f"{fs} million {name}: a full re-sync (nothing changed) took {record['resync']['wall_s']:.1f} s; "
                        f"memory after it {record['memory_after_resync']}")
                    record["figures"] = tool.figures()
                self.verify(tool, record, "million", "the million-file startup and paced writes")
                record["converged"] = bool(paced["complete"] and record["verify"]["million"]["ok"])
            except Exception as error:  # noqa: BLE001
                record["error"] = f"{type(error).__name__}: {error}"
                record["converged"] = False
                self.failures.append(f"{fs} million {name}: {record['error']}")
                log(f"{fs} million {name}: FAILED: {record['error']}")
            finally:
                self.close_tool(tool, watcher, record, f"{fs}-million-{name}")
            if fs == "tmpfs" and not self.arguments.keep:
                shutil.rmtree(base)   # the next tool's replica needs the inodes

    # --- the whole run -----------------------------------------------------------------------------------------

    def run(self) -> None:
        self.quiet()
        for fs in self.arguments.fs + ([self.arguments.million_fs] if self.arguments.million_fs else []):
            top = FILE_SYSTEMS[fs]
            if top not in self.roots_made:
                if os.path.exists(top):
                    log(f"removing {top}, left by an earlier run")
                    shutil.rmtree(top)
                    measure.timed_flush()
                    time.sleep(5 if fs == "ext4" else 0)
                os.makedirs(top)
                self.roots_made.append(top)
        for fs in self.arguments.fs:
            for name in self.arguments.tools:
                self.run_tool(fs, FILE_SYSTEMS[fs], name)
        if self.arguments.million_dir:
            top = os.path.join(self.arguments.million_dir, "million")
            if os.path.exists(top):
                log(f"removing {top}, left by an earlier run")
                shutil.rmtree(top)
            self.roots_made.append(top)
        if self.arguments.million_fs:
            self.run_million(self.arguments.million_fs)

    def cleanup(self) -> None:
        self.processes.stop_all()
        if not self.arguments.keep:
            for root in self.roots_made:
                shutil.rmtree(root, ignore_errors=True)

    def save(self, out_dir: str) -> str:
        self.results["logs"] = self.logs
        return results.save(self.results, out_dir, "live", self.stamp, live_report.render(self.results), "live-latest.json")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="the understudy executable (bench/live passes UNDERSTUDY_BIN)")
    parser.add_argument("--quick", action="store_true",
                        help="a small smoke run: a 1,000-file tree, 40 writes, one burst of 1,000 files, a 20,000-file "
                             "'million' tree")
    parser.add_argument("--fs", default="tmpfs,ext4", help="comma-separated: tmpfs (/dev/shm), ext4 (/var/tmp)")
    parser.add_argument("--tools", default="understudy,lsyncd-0,lsyncd-15",
                        help="comma-separated: understudy, lsyncd-0 (delay = 0), lsyncd-15 (lsyncd's default delay)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the 20,000-file starting tree")
    parser.add_argument("--writes", type=int, default=200, help="paced writes per tool")
    parser.add_argument("--rate", type=float, default=20, help="paced writes per second")
    parser.add_argument("--bursts", type=int, default=3, help="bursts per tool")
    parser.add_argument("--burst-files", type=int, default=10_000)
    parser.add_argument("--burst-dirs", type=int, default=50)
    parser.add_argument("--burst-new-dirs", type=int, default=10)
    parser.add_argument("--burst-timeout", type=float, default=300)
    parser.add_argument("--million", type=int, default=1_000_000, help="files in the large tree")
    parser.add_argument("--million-fs", default="tmpfs", help="tmpfs, ext4, or none (skip the large tree)")
    parser.add_argument("--million-tools", default="understudy,lsyncd-0")
    parser.add_argument("--million-dir", help="where the large tree goes instead of the file system's usual place "
                        "(e.g. a loop-mounted ext4 made with enough inodes for ten million files)")
    parser.add_argument("--million-timeout", type=float, default=900, help="bound on each tool's startup there")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before memory is read")
    parser.add_argument("--quiet-load", type=float, default=0.5)
    parser.add_argument("--quiet-attempts", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="leave the trees in place at the end")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--render", metavar="JSON", help="only print the tables of an earlier run's JSON")
    parser.add_argument("--markdown", action="store_true", help="with --render: Markdown tables")
    arguments = parser.parse_args()
    if arguments.render:
        return arguments
    if not arguments.binary:
        parser.error("--binary is required (bench/live passes $UNDERSTUDY_BIN or the release build)")
    if arguments.quick:
        arguments.scale, arguments.writes, arguments.bursts = 0.05, 40, 1
        arguments.burst_files, arguments.million, arguments.settle = 1_000, 20_000, 1.0
    arguments.fs = [name for name in arguments.fs.split(",") if name]
    arguments.tools = [name for name in arguments.tools.split(",") if name]
    arguments.million_tools = [name for name in arguments.million_tools.split(",") if name]
    arguments.million_fs = None if arguments.million_fs in ("", "none") else arguments.million_fs
    for name in arguments.fs + ([arguments.million_fs] if arguments.million_fs else []):
        if name not in FILE_SYSTEMS:
            parser.error(f"unknown file system {name!r}; choose from {', '.join(FILE_SYSTEMS)}")
    for name in arguments.tools + arguments.million_tools:
        if name not in TOOLS:
            parser.error(f"unknown tool {name!r}; choose from {', '.join(TOOLS)}")
    if not 0 < arguments.scale <= 1 or arguments.writes < 1 or arguments.rate <= 0 or arguments.bursts < 0:
        parser.error("--scale must be in (0, 1], --writes and --rate positive, --bursts at least 0")
    if arguments.burst_new_dirs >= arguments.burst_dirs:
        parser.error("--burst-new-dirs must be fewer than --burst-dirs")
    return arguments


def main() -> int:
    sys.setswitchinterval(0.001)   # the watcher thread gets the interpreter promptly when an event arrives
    arguments = parse_arguments()
    if cli.render_requested(arguments, live_report.render):
        return 0
    run = Run(arguments)
    cli.exit_on_signals()
    started = time.monotonic()
    try:
        run.run()
    except BaseException as error:
        run.failures.append(f"{type(error).__name__}: {error}")
        raise
    finally:
        run.results["total_s"] = time.monotonic() - started
        run.cleanup()
        path = run.save(arguments.out)
    print()
    print(live_report.render(run.results))
    print(f"\nraw results: {path}")
    if run.failures:
        print("\nPROBLEMS:\n  " + "\n  ".join(run.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
