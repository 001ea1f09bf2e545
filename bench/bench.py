"""understudy against rsync on loopback (or across a shaped link, --link): three corpora, three phases, on tmpfs and then on ext4.

Started by bench/run (`make bench`). For each file system and corpus: generate the corpus, bring up the
understudy primary and an rsync daemon (untimed), then phase 1 (initial sync into an empty replica) for each
tool, the edits, phase 2 for each tool, and phase 3 (nothing changed) a few times for each tool. Each phase is
preceded by a sync(2) whose duration is billed to the phase before as "flush after" (rsync leaves its writes
to the page cache; understudy makes them durable before it answers), and followed by a byte-for-byte
verification of the replica. Results go to bench/out/ as JSON with a text table beside them.
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

from benchlib import cli, corpus, measure, report, results, verify  # noqa: E402
from benchlib.link import ShapedLink, valid_rate  # noqa: E402
from benchlib.rsync_tool import RsyncDaemon, RsyncTool  # noqa: E402
from benchlib.understudy_tool import UnderstudyTool  # noqa: E402

FILE_SYSTEMS = {"tmpfs": "/dev/shm/understudy-bench", "ext4": "/var/tmp/understudy-bench"}
SEED = 20261122


class VerificationError(RuntimeError):
    pass


def source_tree() -> str:
    """The commit the binary was presumably built from, and whether the checkout had local changes."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
        changed = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{commit}{' with local changes' if changed else ''}" if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def busy_cores(window: float) -> float:
    """Cores the machine kept busy over `window` seconds while this benchmark sat idle: other people's load."""
    before = measure.system_busy_seconds()
    time.sleep(window)
    return (measure.system_busy_seconds() - before) / window


def wait_until_quiet(threshold: float, attempts: int, interval: float, first: bool) -> list[float]:
    """Waits (bounded) for a quiet machine. Before the first round: the 1-minute load average below
    `threshold`. Between rounds the load average still carries this benchmark's own last minute, so the
    measure is what others use: busy cores over a 10 s idle window, below `threshold` / 2."""
    seen = []
    for attempt in range(attempts):
        value = measure.load_average() if first else busy_cores(10)
        limit = threshold if first else threshold / 2
        seen.append(round(value, 2))
        if value < limit:
            return seen
        if attempt < attempts - 1:
            what = "load average" if first else "cores busy with other work"
            log(f"{what} {value:.2f} >= {limit}; waiting {interval:.0f} s ({attempt + 1}/{attempts})")
            time.sleep(interval)
    log(f"machine still busy after {attempts} checks ({seen[-1]:.2f}); measuring anyway, noted in the results")
    return seen


class Run:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.processes = measure.ProcessRegistry()
        self.pool = corpus.TextPool(SEED)
        self.roots_made: list[str] = []
        self.round = 0
        self.link = ShapedLink(arguments.link)
        self.results = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "kernel": platform.release(),
                        "rsync": subprocess.run(["rsync", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                        "source_tree": os.environ.get("UNDERSTUDY_BUILT_FROM") or source_tree(),
                        "binary": arguments.binary},
            "settings": {"seed": SEED, "scale": arguments.scale, "rounds": arguments.rounds,
                         "phase3_repeats": arguments.repeats,
                         "corpora": arguments.corpora, "file_systems": arguments.fs,
                         "link": self.link.description},
            "records": [], "corpora": {}, "edits": {},
            # Per round: the quiet checks made (load average before round 1, busy cores before later ones).
            "loads_at_start": [],
        }

    def record(self, fs: str, corpus_name: str, phase: int, repeat: int, tool, measured: dict, load: float) -> dict:
        entry = {"round": self.round, "fs": fs, "corpus": corpus_name, "phase": phase, "repeat": repeat, "tool": tool.name,
                 "load_before": load, "flush_after_s": None, **measured}
        self.results["records"].append(entry)
        return entry

    def check(self, tool, source: str, description: dict, fs: str, corpus_name: str, phase: int) -> None:
        problems = verify.differences(source, description, tool.replica)
        if problems:
            raise VerificationError(f"{tool.name} left a wrong replica on {fs}/{corpus_name} after phase {phase}:\n  "
                                    + "\n  ".join(problems))

    def run_phase(self, fs: str, corpus_name: str, phase: int, tools: list, source: str, repeats: int) -> None:
        description = verify.describe(source)
        # The tool that goes first writes into memory the VM handed back to its host (a first touch costs several
        # times a reused page on tmpfs), and each later one reuses what the one before freed: the order turns by one
        # tool each round, so that over three rounds every tool goes first once.
        turn = (self.arguments.first_tool + self.round) % len(tools)
        for repeat in range(repeats):
            for tool in tools[turn:] + tools[:turn]:
                measure.timed_flush()
                measure.warm_memory(self.warm_bytes)
                load = measure.load_average()
                measured = tool.initial() if phase == 1 else tool.resync()
                entry = self.record(fs, corpus_name, phase, repeat, tool, measured, load)
                entry["flush_after_s"] = measure.timed_flush()
                self.check(tool, source, description, fs, corpus_name, phase)
                log(f"round {self.round + 1} {fs:5} {corpus_name:5} phase {phase} {tool.name:10} {entry['wall_s']:8.3f} s  "
                    f"{report.human_bytes(entry['wire']['total']):>10}  cpu {entry['cpu_s']:6.2f} s  "
                    f"flush {entry['flush_after_s']:.2f} s  verified")

    def run_corpus(self, fs: str, root: str, corpus_name: str) -> None:
        spec = corpus.SPECS[corpus_name].scaled(self.arguments.scale)
        base = os.path.join(root, corpus_name)
        source = os.path.join(base, "source")
        started = time.monotonic()
        self.results["corpora"][f"{fs}/{corpus_name}"] = corpus.generate(source, spec, SEED, self.pool)
        # A phase writes at most the corpus again (a replica, or the new versions of its large files).
        self.warm_bytes = int(self.results["corpora"][f"{fs}/{corpus_name}"]["bytes"] * 1.25)
        log(f"{fs}: generated corpus {corpus_name} in {time.monotonic() - started:.1f} s: "
            f"{self.results['corpora'][f'{fs}/{corpus_name}']}")
        ours = UnderstudyTool(self.arguments.binary, os.path.join(base, "understudy"), source, corpus_name,
                              self.processes, live=False, link=self.link)
        daemon = RsyncDaemon(os.path.join(base, "rsyncd"), source, self.processes, address=self.link.primary_address)
        prefix = self.link.standby_prefix
        tools = [ours,
                 RsyncTool("rsync -a", ["-a"], daemon, os.path.join(base, "rsync-a", "replica"), prefix),
                 RsyncTool("rsync -az", ["-az"], daemon, os.path.join(base, "rsync-az", "replica"), prefix)]
        try:
            ours.prepare()
            self.results["machine"]["understudy_version"] = ours.version
            daemon.start()
            for tool in tools[1:]:
                tool.prepare()
            self.run_phase(fs, corpus_name, 1, tools, source, 1)
            self.results["edits"][f"{fs}/{corpus_name}"] = corpus.apply_edits(source, spec, SEED, self.pool)
            self.run_phase(fs, corpus_name, 2, tools, source, 1)
            self.run_phase(fs, corpus_name, 3, tools, source, self.arguments.repeats)
        finally:
            ours.close()
            daemon.close()

    def run(self) -> None:
        self.link.open()
        if self.arguments.link:
            log(f"link: {self.link.description}")
        for self.round in range(self.arguments.rounds):
            # Each round starts on a quiet machine if one can be had within the bounded wait.
            self.results["loads_at_start"].append(wait_until_quiet(
                self.arguments.quiet_load, self.arguments.quiet_attempts, self.arguments.quiet_interval,
                first=self.round == 0))
            for fs in self.arguments.fs:
                top = FILE_SYSTEMS[fs]
                if self.round == 0:
                    if os.path.exists(top):
                        log(f"removing {top}, left by an earlier run")
                        shutil.rmtree(top)
                        measure.timed_flush()
                    self.roots_made.append(top)
                # A fresh directory per round: removing a big tree on ext4 (mounted with discard here) keeps the
                # disk busy for minutes, so the rounds' trees are removed at the very end, after all timing.
                root = os.path.join(top, f"round-{self.round + 1}")
                os.makedirs(root)
                for corpus_name in self.arguments.corpora:
                    self.run_corpus(fs, root, corpus_name)
                    if fs == "tmpfs":
                        # Frees memory for the next corpus; on tmpfs removal is immediate, nothing lingers.
                        shutil.rmtree(os.path.join(root, corpus_name))

    def cleanup(self) -> None:
        self.processes.stop_all()
        self.link.close()
        for root in self.roots_made:
            shutil.rmtree(root, ignore_errors=True)

    def save(self, out_dir: str, failure: str | None) -> str:
        self.results["failure"] = failure
        return results.save(self.results, out_dir, "bench", time.strftime("%Y%m%d-%H%M%S"),
                            report.render(self.results), "latest.json")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="the understudy executable (bench/run passes UNDERSTUDY_BIN)")
    parser.add_argument("--corpora", default="small,large,mix", help="comma-separated: small, large, mix")
    parser.add_argument("--fs", default="tmpfs,ext4", help="comma-separated: tmpfs (/dev/shm), ext4 (/var/tmp)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the corpora (e.g. 0.05 to try the harness)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="complete runs (fresh corpora each); every figure reported is the median over rounds")
    parser.add_argument("--repeats", type=int, default=3, help="runs of phase 3 per tool and round")
    parser.add_argument("--first-tool", type=int, default=0,
                        help="which tool goes first in round 1 (0 understudy, 1 rsync -a, 2 rsync -az); it turns "
                             "by one each round")
    parser.add_argument("--quiet-load", type=float, default=0.5,
                        help="before round 1, wait for a 1-minute load average below this (between rounds: for "
                             "other processes to use under half of it in cores)")
    parser.add_argument("--quiet-attempts", type=int, default=10)
    parser.add_argument("--quiet-interval", type=float, default=30)
    parser.add_argument("--link", metavar="RATE",
                        help="put the standby side (understudy's standby, rsync's client) across a veth pair shaped "
                             "with tc netem to RATE (e.g. 1gbit) instead of loopback")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--render", metavar="JSON", help="only print the tables of an earlier run's JSON")
    parser.add_argument("--markdown", action="store_true", help="with --render: Markdown tables")
    arguments = parser.parse_args()
    if arguments.render:
        return arguments
    if not arguments.binary:
        parser.error("--binary is required (bench/run passes $UNDERSTUDY_BIN or the release build)")
    arguments.corpora = [name for name in arguments.corpora.split(",") if name]
    arguments.fs = [name for name in arguments.fs.split(",") if name]
    for name in arguments.corpora:
        if name not in corpus.SPECS:
            parser.error(f"unknown corpus {name!r}; choose from {', '.join(corpus.SPECS)}")
    for name in arguments.fs:
        if name not in FILE_SYSTEMS:
            parser.error(f"unknown file system {name!r}; choose from {', '.join(FILE_SYSTEMS)}")
    if arguments.link and not valid_rate(arguments.link):
        parser.error(f"--link {arguments.link!r}: give a rate as tc writes it, e.g. 1gbit or 100mbit")
    if not 1 <= arguments.repeats <= 20 or not 1 <= arguments.rounds <= 20 or not 0 < arguments.scale <= 1:
        parser.error("--rounds and --repeats must be 1..20 and --scale in (0, 1]")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    if cli.render_requested(arguments, report.render):
        return 0
    run = Run(arguments)
    cli.exit_on_signals()
    failure = None
    try:
        run.run()
    except (VerificationError, RuntimeError) as error:
        failure = str(error)
    except BaseException as error:
        failure = f"{type(error).__name__}: {error}"
        raise
    finally:
        run.cleanup()
        path = run.save(arguments.out, failure)
    print()
    print(report.render(run.results))
    print(f"\nraw results: {path}")
    if failure:
        print(f"\nBENCHMARK FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
