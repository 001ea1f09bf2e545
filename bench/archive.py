"""understudy's archives against rsnapshot (hard-link rotation with rsync --link-dest), on tmpfs and on ext4.

Started by bench/archive. For each file system and each tool in turn (never two at once): the 20,000-file tree
of bench/live (generated from the same seed, so both tools archive the same bytes), the tool set up (understudy:
a primary and a standby daemon on 127.0.0.1, the standby's replica in sync; rsnapshot: a configuration that
backs up a local copy of the tree), then N runs (median reported) of:

1. a first archive of the tree (nothing to link against);
2. 1 % of the files (200) rewritten in part, in place (corpus.apply_edits, a different choice each run, the same
   for both tools), brought to understudy's replica by its live mirror (untimed), then a second archive: its
   time and the disk space it adds;
3. the removal of the oldest archive (the first): rsnapshot's `/bin/rm -rf .../alpha.1/` from its rotation,
   understudy's `understudy archive remove`.

Each timed phase is preceded by sync(2) and a short pause, and followed by a sync(2) whose duration is recorded
as the writeback the phase left behind. Every archive is verified against the tree it was taken from (content,
kind, mode, owner, mtimes to the nanosecond, symlink targets), the first archive is checked to be unchanged
after the edits and the second archive (content hashes), and the second to be intact after the prune. Results go
to bench/out/ as JSON with a text table beside them.
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import busy_cores, log, source_tree, wait_until_quiet  # noqa: E402
from benchlib import archive_report, archive_space, cli, corpus, live_verify, live_workload, measure, results  # noqa: E402
from benchlib.archive_rsnapshot import RsnapshotArchiver, rsnapshot_version  # noqa: E402
from benchlib.archive_understudy import UnderstudyArchiver  # noqa: E402
from benchlib.live_procs import GroupRegistry  # noqa: E402

FILE_SYSTEMS = {"tmpfs": "/dev/shm/understudy-archive", "ext4": "/var/tmp/understudy-archive"}
SEED = 20261122
TOOLS = ("understudy", "rsnapshot")
# After an untimed removal of a whole archive (understudy, before each run's first archive) the disk gets this
# long, after a sync(2), before the next timed phase: ext4 here is mounted with `discard`.
SETTLE_AFTER_REMOVAL = {"tmpfs": 0.5, "ext4": 5.0}


class Run:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.processes = GroupRegistry()
        self.pool = corpus.TextPool(SEED)
        self.spec = corpus.SPECS["small"].scaled(arguments.scale)
        self.roots_made: list[str] = []
        self.failures: list[str] = []
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.logs = os.path.join(arguments.out, f"archive-logs-{self.stamp}")
        self.results = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "machine": {"cores": os.cpu_count(), "kernel": platform.release(),
                        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
                        "rsync": subprocess.run(["rsync", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                        "rsnapshot": rsnapshot_version() if "rsnapshot" in arguments.tools else None,
                        "source_tree": os.environ.get("UNDERSTUDY_BUILT_FROM") or source_tree(),
                        "binary": arguments.binary},
            "settings": {key: value for key, value in vars(arguments).items() if key not in ("render", "markdown")},
            "setups": [], "runs": [], "loads_at_start": [], "failures": self.failures,
        }

    # --- helpers ---------------------------------------------------------------------------------------------

    def make_tool(self, name: str, base: str, source: str):
        work = os.path.join(base, "tool")
        if name == "understudy":
            return UnderstudyArchiver(self.arguments.binary, work, source, self.processes, self.arguments.timeout)
        return RsnapshotArchiver(work, source, self.arguments.timeout)

    def timed(self, tool, action) -> dict:
        """One timed phase: sync(2) and a pause first; CPU of the tool (the command with the children it reaped,
        plus understudy's daemons), of this harness and of everything else; the writeback left behind after."""
        measure.timed_flush()
        time.sleep(self.arguments.settle)
        daemon_before, own_before = tool.daemon_cpu_seconds(), time.process_time()
        busy_before = measure.system_busy_seconds()
        result = action()
        busy = measure.system_busy_seconds() - busy_before
        result["daemon_cpu_s"] = tool.daemon_cpu_seconds() - daemon_before
        result["cpu_s"] = result["client_cpu_s"] + result["daemon_cpu_s"]
        result["harness_cpu_s"] = time.process_time() - own_before
        result["other_cpu_s"] = max(0.0, busy - result["cpu_s"] - result["harness_cpu_s"])
        result["flush_after_s"] = measure.timed_flush()
        return result

    def verify(self, record: dict, key: str, data: str, archive: str, what: str) -> None:
        started = time.monotonic()
        result = live_verify.compare(data, archive)
        result["seconds"] = time.monotonic() - started
        result["ok"] = live_verify.verdict(result, live_verify.STRICT)
        record.setdefault("verify", {})[key] = result
        line = f"{record['fs']} {record['tool']} run {record['run']}: {what}: {live_verify.summary(result)}"
        if not result["ok"]:
            self.failures.append(line)
            log("VERIFICATION FAILED " + line)

    def check_unchanged(self, record: dict, before: dict, path: str, what: str) -> None:
        result = archive_space.fingerprint_differences(before, archive_space.fingerprint(path))
        result["ok"] = not (result["changed"] or result["missing"] or result["extra"])
        record.setdefault("verify", {})["first_unchanged"] = result
        if not result["ok"]:
            line = f"{record['fs']} {record['tool']} run {record['run']}: {what} changed: {result}"
            self.failures.append(line)
            log("VERIFICATION FAILED " + line)

    def quiet_between_runs(self) -> None:
        """Before each run after the first: waits (bounded) until other processes kept less than --quiet-load / 2
        cores busy over a 2 s window in which this benchmark sat idle; what was seen goes into the results."""
        seen = []
        limit = self.arguments.quiet_load / 2
        for attempt in range(self.arguments.quiet_attempts):
            value = busy_cores(2)
            seen.append(round(value, 2))
            if value < limit:
                break
            if attempt < self.arguments.quiet_attempts - 1:
                log(f"cores busy with other work {value:.2f} >= {limit}; waiting {self.arguments.quiet_interval:.0f} s")
                time.sleep(self.arguments.quiet_interval)
        self.results["loads_at_start"].append(seen)

    def keep_logs(self, tool, label: str) -> None:
        """Copies the tool's logs and configuration beside the results before its tree is removed."""
        destination = os.path.join(self.logs, label)
        try:
            os.makedirs(destination, exist_ok=True)
            for name in os.listdir(tool.work):
                path = os.path.join(tool.work, name)
                if os.path.isfile(path) and name.endswith((".log", ".toml", ".conf")):
                    shutil.copy2(path, destination)
        except OSError as error:
            log(f"could not keep the logs of {label}: {error}")

    # --- one run: first archive, edits, second archive, prune ----------------------------------------------------

    def run_once(self, fs: str, tool, source: str, index: int, record: dict) -> None:
        arguments = self.arguments
        if index or self.results["runs"][:-1]:
            self.quiet_between_runs()
        record["series"] = tool.begin_series(index)
        if record["series"].get("removed"):
            os.sync()
            time.sleep(SETTLE_AFTER_REMOVAL[fs])
        record["space"] = {"before": archive_space.usage(tool.data, tool.archive_root)}

        first = record["first"] = self.timed(tool, tool.take)
        record["space"]["after_first"] = archive_space.usage(tool.data, tool.archive_root)
        record["sharing_first"] = archive_space.sharing(first["path"], None, tool.data)
        self.verify(record, "first", tool.data, first["path"], "the first archive")
        fingerprint = archive_space.fingerprint(first["path"])

        started = time.monotonic()
        record["edits"] = corpus.apply_edits(source, self.spec, f"{SEED}/run{index + 1}", self.pool)
        record["edits"]["writing_s"] = time.monotonic() - started
        record["edits"].update(tool.after_edits(source, 120))
        record["space"]["after_edits"] = archive_space.usage(tool.data, tool.archive_root)

        second = record["second"] = self.timed(tool, tool.take)
        oldest = tool.oldest_after_second()
        record["space"]["after_second"] = archive_space.usage(tool.data, tool.archive_root)
        record["space"]["second_over_first_kib"] = archive_space.du_kib(oldest, second["path"])[second["path"]]
        record["sharing_second"] = archive_space.sharing(second["path"], oldest, tool.data)
        self.verify(record, "second", tool.data, second["path"], "the second archive")
        self.check_unchanged(record, fingerprint, oldest, "the first archive, after the edits and the second archive")
        if tool.kind == "understudy":
            record["listing"] = tool.listing()

        plan = tool.prepare_prune()
        record["prune"] = self.timed(tool, lambda: tool.prune(plan))
        if os.path.lexists(oldest) or not os.path.isdir(second["path"]):
            raise RuntimeError(f"after the prune: {oldest} {'still there' if os.path.lexists(oldest) else 'gone'}, "
                               f"{second['path']} {'there' if os.path.isdir(second['path']) else 'MISSING'}")
        record["space"]["after_prune"] = archive_space.usage(tool.data, tool.archive_root)
        self.verify(record, "after_prune", tool.data, second["path"], "the second archive after the prune")

        space = record["space"]
        log(f"{fs} {tool.name} run {index + 1}/{arguments.runs}: first {first['wall_s']:.2f} s, second "
            f"{second['wall_s']:.2f} s (+{(space['after_second']['archives_kib'] - space['after_first']['archives_kib']) / 1024:.1f} MiB), "
            f"prune {record['prune']['wall_s']:.2f} s; CPU {first['cpu_s']:.2f} / {second['cpu_s']:.2f} / "
            f"{record['prune']['cpu_s']:.2f} s; other CPU {first['other_cpu_s']:.2f} / {second['other_cpu_s']:.2f} s")

    # --- one tool on one file system -------------------------------------------------------------------------------

    def run_tool(self, fs: str, top: str, name: str) -> None:
        base = os.path.join(top, name)
        source = os.path.join(base, "source")
        setup = {"fs": fs, "tool": name}
        self.results["setups"].append(setup)
        started = time.monotonic()
        setup["tree"] = live_workload.start_tree(source, SEED, self.pool, self.arguments.scale)
        log(f"{fs} {name}: tree generated in {time.monotonic() - started:.1f} s: {setup['tree']}")
        tool = self.make_tool(name, base, source)
        try:
            started = time.monotonic()
            setup.update(tool.prepare())
            setup["prepare_s"] = time.monotonic() - started
            log(f"{fs} {name}: set up in {setup['prepare_s']:.1f} s ({tool.version})")
            for index in range(self.arguments.runs):
                record = {"fs": fs, "tool": name, "run": index + 1}
                self.results["runs"].append(record)
                try:
                    self.run_once(fs, tool, source, index, record)
                except Exception as error:  # noqa: BLE001 — recorded; this tool's later runs would start from a mess
                    record["error"] = f"{type(error).__name__}: {error}"
                    self.failures.append(f"{fs} {name} run {index + 1}: {record['error']}")
                    log(f"{fs} {name} run {index + 1}: FAILED: {record['error']}")
                    break
        except Exception as error:  # noqa: BLE001 — recorded, the benchmark goes on with the next tool
            setup["error"] = f"{type(error).__name__}: {error}"
            self.failures.append(f"{fs} {name}: {setup['error']}")
            log(f"{fs} {name}: FAILED: {setup['error']}")
        finally:
            setup["problems"] = tool.problems()
            tool.close()
            if os.path.isdir(tool.work):
                self.keep_logs(tool, f"{fs}-{name}")
        if fs == "tmpfs" and not self.arguments.keep:
            shutil.rmtree(base)   # frees memory; on tmpfs removal is immediate, nothing lingers

    # --- the whole run ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        arguments = self.arguments
        self.results["loads_at_start"].append(
            wait_until_quiet(arguments.quiet_load, arguments.quiet_attempts, arguments.quiet_interval, first=True))
        for fs in arguments.fs:
            top = FILE_SYSTEMS[fs]
            if os.path.exists(top):
                log(f"removing {top}, left by an earlier run")
                shutil.rmtree(top)
                measure.timed_flush()
                time.sleep(SETTLE_AFTER_REMOVAL[fs])
            os.makedirs(top)
            self.roots_made.append(top)
        for fs in arguments.fs:
            for name in arguments.tools:
                self.run_tool(fs, FILE_SYSTEMS[fs], name)

    def cleanup(self) -> None:
        self.processes.stop_all()
        if not self.arguments.keep:
            for root in self.roots_made:
                shutil.rmtree(root, ignore_errors=True)

    def save(self, out_dir: str) -> str:
        self.results["logs"] = self.logs
        return results.save(self.results, out_dir, "archive", self.stamp, archive_report.render(self.results),
                            "archive-latest.json")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/archive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="the understudy executable (bench/archive passes UNDERSTUDY_BIN)")
    parser.add_argument("--quick", action="store_true", help="one run per tool and file system instead of --runs")
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and file system; figures are medians")
    parser.add_argument("--fs", default="tmpfs,ext4", help="comma-separated: tmpfs (/dev/shm), ext4 (/var/tmp)")
    parser.add_argument("--tools", default="understudy,rsnapshot", help="comma-separated: understudy, rsnapshot")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the 20,000-file tree (a trial of the harness)")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds of pause after the sync before each timed phase")
    parser.add_argument("--timeout", type=float, default=600, help="bound on each archive and prune command")
    parser.add_argument("--quiet-load", type=float, default=0.5,
                        help="before starting, wait (bounded) for a 1-minute load average below this")
    parser.add_argument("--quiet-attempts", type=int, default=6)
    parser.add_argument("--quiet-interval", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="leave the trees in place at the end")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--render", metavar="JSON", help="only print the tables of an earlier run's JSON")
    parser.add_argument("--markdown", action="store_true", help="with --render: Markdown tables")
    arguments = parser.parse_args()
    if arguments.render:
        return arguments
    if arguments.quick:
        arguments.runs = 1
    arguments.fs = [name for name in arguments.fs.split(",") if name]
    arguments.tools = [name for name in arguments.tools.split(",") if name]
    for name in arguments.fs:
        if name not in FILE_SYSTEMS:
            parser.error(f"unknown file system {name!r}; choose from {', '.join(FILE_SYSTEMS)}")
    for name in arguments.tools:
        if name not in TOOLS:
            parser.error(f"unknown tool {name!r}; choose from {', '.join(TOOLS)}")
    if not arguments.fs or not arguments.tools:
        parser.error("--fs and --tools need at least one entry each")
    if "understudy" in arguments.tools and not arguments.binary:
        parser.error("--binary is required with understudy (bench/archive passes $UNDERSTUDY_BIN or the release build)")
    if not 1 <= arguments.runs <= 20 or not 0 < arguments.scale <= 1 or not 1 <= arguments.quiet_attempts <= 20:
        parser.error("--runs must be 1..20, --scale in (0, 1], --quiet-attempts 1..20")
    if not 0 <= arguments.settle <= 60 or not 1 <= arguments.timeout <= 7200 or not 0 <= arguments.quiet_interval <= 600:
        parser.error("--settle must be 0..60 s, --timeout 1..7200 s, --quiet-interval 0..600 s")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    if cli.render_requested(arguments, archive_report.render):
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
    print(archive_report.render(run.results))
    print(f"\nraw results: {path}")
    if run.failures:
        print("\nPROBLEMS:\n  " + "\n  ".join(run.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
