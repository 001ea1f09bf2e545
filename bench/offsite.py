"""The off-site cascade against rsync -az and lsyncd+rsync over one slow WAN (see bench/offsite).

The lab: alpha (primary) → beta (standby, on the LAN) → omega (off-site, behind scripts/lab's WAN). understudy's
off-site node follows beta. rsync and lsyncd copy beta's replica (the same tree, kept by understudy's mirror) to
rsync daemon modules on omega, over the same WAN. Per round and kind of change, the change is made on alpha, and
each tool in turn brings its copy on omega up to date while the others are still: understudy (from the change on
alpha: its cascade includes the LAN hop), then `rsync -az --delete` (one run), then lsyncd (stopped with SIGSTOP
while the others work, so its inotify events wait in the kernel; SIGCONT, and its `delay = 0` sync starts at once).
Bytes on the wire: both directions of the WAN router's two interfaces. All trees on tmpfs.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib.failover_lab import Lab  # noqa: E402

TOP = "/dev/shm/understudy-offsite-bench"


def tree_digest(root: str) -> dict[str, str]:
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name.startswith(".understudy"):
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    files[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
            except OSError:
                # A temporary of a copy in progress, renamed away meanwhile: the trees are not equal yet.
                files[os.path.relpath(path, root)] = "gone"
    return files


def wait_equal(source: str, copy: str, timeout: float) -> float | None:
    """Seconds until `copy` holds what `source` holds, polled every 20 ms; None past `timeout`."""
    started = time.monotonic()
    want = tree_digest(source)
    while time.monotonic() - started < timeout:
        if tree_digest(copy) == want:
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def make_corpus(root: str, files: int, seed: int) -> None:
    generator = random.Random(seed)
    words = [f"word{n}" for n in range(500)]
    for index in range(files):
        path = os.path.join(root, f"d{index % 40:02d}", f"f{index:05d}.dat")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = generator.choice([2_000, 8_000, 25_000, 60_000])
        with open(path, "wb") as handle:
            if index % 2:
                handle.write(generator.randbytes(size))
            else:
                handle.write(" ".join(generator.choice(words) for _ in range(size // 6)).encode()[:size])


def edit_one_percent(root: str, round_number: int) -> int:
    """Rewrites 4 KiB in the middle of 1 % of the files; returns the bytes changed."""
    generator = random.Random(1000 + round_number)
    paths = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names if not n.startswith("."))
    changed = 0
    for path in generator.sample(paths, max(1, len(paths) // 100)):
        size = os.path.getsize(path)
        with open(path, "r+b") as handle:
            handle.seek(size // 2)
            block = generator.randbytes(min(4096, size - size // 2))
            handle.write(block)
            changed += len(block)
    return changed


def burst(root: str, round_number: int, count: int = 300) -> int:
    generator = random.Random(2000 + round_number)
    written = 0
    folder = os.path.join(root, f"burst-{round_number}")
    os.makedirs(folder)
    for index in range(count):
        data = generator.randbytes(6_000) if index % 2 else (b"burst line %d\n" % index) * 500
        with open(os.path.join(folder, f"b{index:04d}.dat"), "wb") as handle:
            handle.write(data)
        written += len(data)
    return written


class Bench:
    def __init__(self, binary: str, files: int):
        self.binary = binary
        self.files = files
        self.work = os.path.join(TOP, "work")
        self.source = os.path.join(TOP, "source")
        self.replica = os.path.join(TOP, "replica")
        self.offsite = os.path.join(TOP, "offsite")
        self.rsync_dest = os.path.join(TOP, "rsync-dest")
        self.lsyncd_dest = os.path.join(TOP, "lsyncd-dest")
        self.lab = Lab("of" + format(random.randrange(16 ** 4), "04x"), self.work)
        self.daemons: dict[str, subprocess.Popen] = {}
        self.lsyncd: subprocess.Popen | None = None

    def wire_bytes(self) -> int:
        total = 0
        for device in ("wb", "wo"):
            for direction in ("rx_bytes", "tx_bytes"):
                out = self.lab.run("wan", "cat", f"/sys/class/net/{device}/statistics/{direction}").stdout.strip()
                total += int(out or 0)
        return total // 2   # each packet crosses the router: counted once in, once out

    def config(self) -> str:
        path = os.path.join(self.work, "understudy.toml")
        with open(path, "w") as handle:
            handle.write(f"""cluster = "offsite-bench"
certificates = "{self.work}/certs"
[nodes.alpha]
address = "10.77.2.1:7700"
state_dir = "{self.work}/alpha"
[nodes.beta]
address = "10.77.2.2:7700"
state_dir = "{self.work}/beta"
[nodes.omega]
address = "10.77.7.6:7700"
state_dir = "{self.work}/omega"
[groups.site]
primary = "alpha"
standby = "beta"
offsite = "omega"
[[groups.site.shares]]
name = "data"
source = "{self.source}"
replica = "{self.replica}"
offsite_replica = "{self.offsite}"
""")
        subprocess.run([self.binary, "init", "--config", path], check=True, capture_output=True)
        return path

    def start_rsyncd(self) -> None:
        conf = os.path.join(self.work, "rsyncd.conf")
        with open(conf, "w") as handle:
            handle.write(f"""use chroot = no
munge symlinks = no
uid = 0
gid = 0
pid file = {self.work}/rsyncd.pid
[rsync-dest]
path = {self.rsync_dest}
read only = no
[lsyncd-dest]
path = {self.lsyncd_dest}
read only = no
""")
        self.lab.start("omega", ["rsync", "--daemon", "--no-detach", "--address", "10.77.7.6", "--config", conf],
                       "rsyncd.log")
        time.sleep(0.5)

    def rsync_once(self) -> tuple[float, int]:
        before = self.wire_bytes()
        started = time.monotonic()
        result = self.lab.run("beta", "rsync", "-az", "--delete", "--exclude", ".understudy*", self.replica + "/",
                              "rsync://10.77.7.6/rsync-dest/", timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"rsync failed: {result.stderr}")
        return time.monotonic() - started, self.wire_bytes() - before

    def start_lsyncd(self) -> None:
        conf = os.path.join(self.work, "lsyncd.lua")
        with open(conf, "w") as handle:
            handle.write(f"""settings {{ logfile = "{self.work}/lsyncd.log", nodaemon = true }}
sync {{
    default.rsync,
    source = "{self.replica}",
    target = "rsync://10.77.7.6/lsyncd-dest/",
    delay = 0,
    exclude = {{ ".understudy*" }},
    rsync = {{ archive = true, compress = true }},
}}
""")
        self.lsyncd = self.lab.start("beta", ["lsyncd", conf], "lsyncd.out")

    def setup(self) -> None:
        shutil.rmtree(TOP, ignore_errors=True)
        for path in (self.work, self.source, self.rsync_dest, self.lsyncd_dest):
            os.makedirs(path)
        make_corpus(self.source, self.files, seed=7)
        self.lab.up()
        config = self.config()
        for node in ("alpha", "beta", "omega"):
            self.daemons[node] = self.lab.start(node, [self.binary, "run", "--config", config, "--node", node],
                                                f"{node}.log")
        # First copies over the WAN before it is slowed (not measured).
        if wait_equal(self.source, self.replica, 120) is None or wait_equal(self.source, self.offsite, 120) is None:
            raise RuntimeError(f"understudy's first copies did not complete; see {self.work}")
        self.start_rsyncd()
        self.rsync_once()
        self.start_lsyncd()
        if wait_equal(self.replica, self.lsyncd_dest, 120) is None:
            raise RuntimeError(f"lsyncd's startup sync did not complete; see {self.work}/lsyncd.log")
        self.lsyncd.send_signal(signal.SIGSTOP)
        self.lab.lab("shape", self.lab.prefix)
        time.sleep(1)

    def phase(self, kind: str, round_number: int) -> dict:
        before = self.wire_bytes()
        changed = edit_one_percent(self.source, round_number) if kind == "edit-1pct" else burst(
            self.source, round_number)
        understudy_s = wait_equal(self.source, self.offsite, 300)
        understudy_bytes = self.wire_bytes() - before
        if wait_equal(self.source, self.replica, 60) is None:
            raise RuntimeError("the standby did not follow")
        rsync_s, rsync_bytes = self.rsync_once()
        before = self.wire_bytes()
        started = time.monotonic()
        os.killpg(self.lsyncd.pid, signal.SIGCONT)
        lsyncd_s = wait_equal(self.replica, self.lsyncd_dest, 300)
        lsyncd_s = None if lsyncd_s is None else time.monotonic() - started
        lsyncd_bytes = self.wire_bytes() - before
        os.killpg(self.lsyncd.pid, signal.SIGSTOP)
        figures = {"kind": kind, "round": round_number, "changed_bytes": changed,
                   "understudy": {"seconds": understudy_s, "wire_bytes": understudy_bytes},
                   "rsync-az": {"seconds": rsync_s, "wire_bytes": rsync_bytes},
                   "lsyncd-rsync": {"seconds": lsyncd_s, "wire_bytes": lsyncd_bytes}}
        print(json.dumps(figures), flush=True)
        return figures

    def close(self) -> None:
        if self.lsyncd is not None:
            try:
                os.killpg(self.lsyncd.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.lab.processes.stop_all()
        try:
            self.lab.lab("down", self.lab.prefix)
        except RuntimeError as error:
            print(error, file=sys.stderr)
        shutil.rmtree(TOP, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    arguments = parser.parse_args()
    bench = Bench(arguments.binary, arguments.files)
    phases = []
    try:
        bench.setup()
        for round_number in range(arguments.rounds):
            for kind in ("edit-1pct", "burst"):
                phases.append(bench.phase(kind, round_number))
    finally:
        bench.close()
    summary = {}
    for kind in ("edit-1pct", "burst"):
        rows = [p for p in phases if p["kind"] == kind]
        summary[kind] = {}
        for tool in ("understudy", "rsync-az", "lsyncd-rsync"):
            seconds = [r[tool]["seconds"] for r in rows if r[tool]["seconds"] is not None]
            wire = [r[tool]["wire_bytes"] for r in rows]
            summary[kind][tool] = {"median_s": statistics.median(seconds) if seconds else None,
                                   "median_wire_bytes": statistics.median(wire) if wire else None}
    result = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": " ".join(sys.argv), "files": arguments.files, "phases": phases, "summary": summary}
    os.makedirs(arguments.out, exist_ok=True)
    path = os.path.join(arguments.out, f"offsite-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    for kind, tools in summary.items():
        base = tools["understudy"]
        for tool, figures in tools.items():
            ratio_s = (figures["median_s"] / base["median_s"]) if figures["median_s"] and base["median_s"] else None
            ratio_b = (figures["median_wire_bytes"] / base["median_wire_bytes"]) if base["median_wire_bytes"] else None
            print(f"{kind:10} {tool:13} median {figures['median_s']!s:>8} s, {figures['median_wire_bytes']} bytes"
                  f" on the wire; vs understudy: time x{ratio_s:.2f}, bytes x{ratio_b:.2f}" if ratio_s and ratio_b
                  else f"{kind:10} {tool:13} {figures}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
