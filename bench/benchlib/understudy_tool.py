"""understudy as it is used: a primary daemon and a standby daemon on 127.0.0.1 with mutual TLS, one share.
Phase 1 starts the standby (the primary is already up) and ends when `understudy sync --wait` returns; later
phases ask the running standby with `understudy sync` and end when it returns.
"""
import json
import os
import re
import signal
import subprocess
import time

from . import measure


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class UnderstudyTool:
    name = "understudy"

    def __init__(self, binary: str, work: str, source: str, share: str, processes: measure.ProcessRegistry,
                 console: bool = False, capture: str | None = None, group_extra: str = "", live: bool = True,
                 link=None, groups: list[str] | None = None):
        self.binary, self.work, self.source, self.share = binary, work, source, share
        # Directories of the source that each become a group of their own (one share, its own connection), as a
        # standby of several primaries syncs them side by side; None: one group of the whole source.
        self.groups = groups
        # A `link.ShapedLink` between the nodes (the standby on its far side), or None: both on 127.0.0.1.
        self.link = link
        self.primary_address = link.primary_address if link else "127.0.0.1"
        self.standby_address = link.standby_address if link else "127.0.0.1"
        # The primary's change_capture ("fanotify", "inotify"); None: the default (auto).
        self.capture = capture
        # More keys for the group (e.g. quiet_delay), as TOML lines.
        self.group_extra = group_extra
        # bench/run compares syncs on request with rsync's: without live capture, a sync does all the work of the
        # edits after the clock starts (with it, the mirror would begin while the edits are still being made).
        self.live = live
        # With `console`, each node's HTTPS console listens too, and a viewer token is made for a watcher.
        self.console_ports = (free_port(), free_port()) if console else None
        self.console_token: str | None = None
        self.processes = processes
        self.replica = os.path.join(work, "replica")
        self.config = os.path.join(work, "understudy.toml")
        self.primary_port, self.standby_port = free_port(), free_port()
        self.primary: subprocess.Popen | None = None
        self.standby: subprocess.Popen | None = None
        self.version: str | None = None

    def _cli(self, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *arguments, "--config", self.config], capture_output=True, text=True,
                              timeout=timeout)

    def prepare(self) -> None:
        """Configuration, certificates, and the primary daemon up and answering (none of it timed)."""
        os.makedirs(self.work)
        if self.groups is not None:
            os.makedirs(self.replica)   # each group's replica is a directory in it
        with open(self.config, "w") as handle:
            handle.write(f'''cluster = "bench"
certificates = "{self.work}/certs"

[nodes.alpha]
address = "{self.primary_address}:{self.primary_port}"
state_dir = "{self.work}/alpha-state"
{f'console = "127.0.0.1:{self.console_ports[0]}"' if self.console_ports else ''}
{f'change_capture = "{self.capture}"' if self.capture else ''}

[nodes.beta]
address = "{self.standby_address}:{self.standby_port}"
state_dir = "{self.work}/beta-state"
{f'console = "127.0.0.1:{self.console_ports[1]}"' if self.console_ports else ''}

{self._groups()}''')
        for step in (["check-config"], ["init"]):
            result = self._cli(*step)
            if result.returncode != 0:
                raise RuntimeError(f"understudy {step[0]} failed: {result.stdout}{result.stderr}")
        self.primary = self.processes.start([self.binary, "run", "--config", self.config, "--node", "alpha"],
                                            os.path.join(self.work, "alpha.log"))
        result = self._cli("status", "--node", "alpha", "--wait", "30", "--json")
        if result.returncode != 0:
            raise RuntimeError(f"the primary daemon did not come up: {result.stderr}; see {self.work}/alpha.log")
        self.version = json.loads(result.stdout).get("version")
        if self.console_ports:
            made = self._cli("token", "create", "bench-watcher", "--role", "viewer", "--node", "alpha")
            if made.returncode != 0:
                raise RuntimeError(f"understudy token create failed: {made.stdout}{made.stderr}")
            self.console_token = made.stdout.strip()

    def _groups(self) -> str:
        """The groups' TOML: `bench` with the whole source, or one group per directory of `groups`."""
        parts = [("bench", self.source, self.replica)] if self.groups is None else [
            (f"bench-{directory}", os.path.join(self.source, directory), os.path.join(self.replica, directory))
            for directory in self.groups]
        return "".join(f'''
[groups.{name}]
primary = "alpha"
standby = "beta"
resync_interval = "1h"
{self.group_extra}{"" if self.live else chr(10) + "live = false"}

[[groups.{name}.shares]]
name = "{self.share}"
source = "{source}"
replica = "{replica}"
''' for name, source, replica in parts)

    def verify_roots(self) -> list[tuple[str, str]]:
        """(source, replica) pairs that the mirror covers."""
        if self.groups is None:
            return [(self.source, self.replica)]
        return [(os.path.join(self.source, d), os.path.join(self.replica, d)) for d in self.groups]

    @property
    def console_url(self) -> str | None:
        """The primary's console, where the watcher connects."""
        return f"https://127.0.0.1:{self.console_ports[0]}" if self.console_ports else None

    def _primary_bytes_sent(self) -> int | None:
        result = self._cli("status", "--node", "alpha", "--json")
        if result.returncode != 0:
            return None
        report = json.loads(result.stdout)
        return sum(share.get("bytesSent", 0) for group in report.get("groups", []) for share in group.get("shares", []))

    def initial(self) -> dict:
        return self._phase(start_standby=True)

    def resync(self) -> dict:
        return self._phase(start_standby=False)

    def _phase(self, start_standby: bool) -> dict:
        assert self.primary is not None
        sent_before = self._primary_bytes_sent()
        namespace = self.link.standby_prefix if self.link else []
        tcp_before = {} if start_standby else measure.tcp_bytes_to_port(self.primary_port, namespace)
        measure.reset_peak_rss(self.primary.pid)
        standby_cpu_before = 0.0
        if not start_standby:
            assert self.standby is not None
            measure.reset_peak_rss(self.standby.pid)
            standby_cpu_before = measure.process_cpu_seconds(self.standby.pid)
        primary_cpu_before = measure.process_cpu_seconds(self.primary.pid)
        busy_before = measure.system_busy_seconds()

        # Profiles for docs/benchmarks.md: BENCH_PERF_DIR records the whole machine with perf (call graphs) while
        # understudy's phases run, one file per phase (the standby of phase 1 starts inside it); the figures of such
        # a run are not comparable with the others'.
        profiler = None
        perf_dir = os.environ.get("BENCH_PERF_DIR")
        if perf_dir:
            self.profiles = getattr(self, "profiles", 0) + 1
            os.makedirs(perf_dir, exist_ok=True)
            output = os.path.join(perf_dir, f"{os.path.basename(os.path.dirname(self.work))}-phase{self.profiles}.data")
            profiler = subprocess.Popen(["perf", "record", "-q", "-a", "-g", "-o", output],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        started = time.monotonic()
        if start_standby:
            self.standby = self.processes.start([*namespace, self.binary, "run", "--config", self.config, "--node", "beta"],
                                                os.path.join(self.work, "beta.log"))
        client = measure.run_client([self.binary, "sync", "--config", self.config, "--node", "beta",
                                     "--wait", "30", "--json"], timeout=3600)
        wall = time.monotonic() - started
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)

        busy = measure.system_busy_seconds() - busy_before
        primary_cpu = measure.process_cpu_seconds(self.primary.pid) - primary_cpu_before
        standby_cpu = measure.process_cpu_seconds(self.standby.pid) - standby_cpu_before
        primary_rss, standby_rss = measure.peak_rss_kib(self.primary.pid), measure.peak_rss_kib(self.standby.pid)
        up, down = measure.tcp_delta(tcp_before, measure.tcp_bytes_to_port(self.primary_port, namespace))
        sent_after = self._primary_bytes_sent()
        if client.returncode != 0:
            raise RuntimeError(f"understudy sync failed ({client.returncode}): {client.stdout}{client.stderr}")
        response = json.loads(client.stdout)
        results = response.get("syncResults") or []
        if not response.get("ok") or not results or not all(result.get("ok") for result in results):
            raise RuntimeError(f"understudy sync reported a failure: {client.stdout}")
        result = results[0]
        cpu = primary_cpu + standby_cpu + client.cpu
        return {
            "wall_s": wall,
            "wire": {"down": down, "up": up, "total": down + up, "how": "TCP payload of the peer connection (ss)"},
            "cpu_s": cpu,
            "cpu_detail_s": {"sender": primary_cpu, "receiver": standby_cpu, "client": client.cpu},
            "peak_rss_kib": {"sender": primary_rss, "receiver": standby_rss, "client": client.peak_rss_kib},
            "other_cpu_s": max(0.0, busy - cpu),
            "details": {
                "sync_result": result,
                "bytes_received_reported": result.get("bytesReceived"),
                "bytes_sent_reported": None if sent_before is None or sent_after is None else sent_after - sent_before,
                "daemon_sync_seconds": self._logged_sync_seconds() if start_standby else [result.get("seconds")],
            },
        }

    def _logged_sync_seconds(self) -> list[float]:
        """The standby's own account of each sync since it started (phase 1 may include a second, empty one
        when the request arrives after the first sync has begun)."""
        try:
            with open(os.path.join(self.work, "beta.log"), errors="replace") as handle:
                return [float(match) for match in re.findall(r"sync \S+ done in ([0-9.]+)s", handle.read())]
        except OSError:
            return []

    def close(self) -> None:
        for process in (self.standby, self.primary):
            if process is not None:
                self.processes.stop(process)
        self.standby = self.primary = None
