"""understudy's live mirror as deployed: a primary ("alpha") and a standby ("beta") daemon on 127.0.0.1 with mutual
TLS, one share, `resync_interval = "1h"` and the default quiet_delay/max_delay (the configuration is the one
bench/run writes, through UnderstudyTool). The primary watches the source with inotify from its start; the
standby's first connection makes the initial full comparison, and every change after that travels as a live sync.
"""
import json
import os
import re
import subprocess
import time

from . import measure
from .console_watcher import ConsoleWatcher
from .understudy_tool import UnderstudyTool

# "watching N directories of G/S for changes with inotify (set up in Ts)", or with fanotify: "watching G/S for
# changes with fanotify (one mark on its whole file system, set up in Ts)".
WATCHING = re.compile(r"watching (?:(\d+) directories of )?\S+ for changes with (\w+) \((?:[^)]*, )?set up in ([0-9.]+)s\)")
SYNC_DONE = re.compile(r"\] sync \S+ done in ([0-9.]+)s")
PROBLEM = re.compile(r"^\S+ (warning|error|critical) |^Error:|Fatal error|fatalError", re.MULTILINE)


class UnderstudyLive:
    kind = "understudy"

    def __init__(self, name: str, binary: str, work: str, source: str, processes: measure.ProcessRegistry,
                 share: str = "live", console: bool = False, capture: str | None = None, group_extra: str = "",
                 groups: list[str] | None = None):
        self.name, self.binary, self.work, self.source, self.processes = name, binary, work, source, processes
        self.tool = UnderstudyTool(binary, work, source, share, processes, console=console, capture=capture,
                                   group_extra=group_extra, groups=groups)
        # With the console: an open console page (its event stream and its 5 s refresh) from the start on.
        self.watcher: ConsoleWatcher | None = None
        self.replica = self.tool.replica
        self.primary_started_at: float | None = None
        self.version: str | None = None

    def prepare(self) -> None:
        """Configuration, certificates and the primary daemon (untimed here; its watch setup time comes from its
        log)."""
        self.tool.prepare()
        self.version = self.tool.version

    def start(self, timeout: float) -> dict:
        """Starts the standby and waits until it reports its share in sync after a first full comparison (polled
        every 0.1 s through `understudy status`); returns that time and the daemons' own account of the watch
        setup and of the initial sync. (Not `understudy sync`: a request that arrives during the initial sync is
        answered by a second full comparison, which on a million files costs many seconds of its own.)"""
        started = time.monotonic()
        self.tool.standby = self.processes.start([self.binary, "run", "--config", self.tool.config, "--node", "beta"],
                                                 os.path.join(self.work, "beta.log"))
        deadline = started + timeout
        while True:
            if self.tool.standby.poll() is not None:
                raise RuntimeError(f"the standby exited ({self.tool.standby.returncode}); see {self.work}/beta.log")
            status = self.status("beta")
            if status and status.get("state") == "in-sync" and status.get("fullSyncs", 0) >= 1:
                break
            if status and status.get("state") == "error":
                raise RuntimeError(f"the standby reports an error: {status}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby was not in sync within {timeout:.0f} s: {status}")
            time.sleep(0.1)
        wall = time.monotonic() - started
        if self.tool.console_url and self.watcher is None:
            self.watcher = ConsoleWatcher(self.tool.console_url, self.tool.console_token, group="bench")
            self.watcher.start()
        watching = WATCHING.search(self._log("alpha"))
        syncs: list[float] = []
        for _ in range(20):   # the log line may come a moment after the status says "in-sync"
            syncs = [float(value) for value in SYNC_DONE.findall(self._log("beta"))]
            if syncs:
                break
            time.sleep(0.05)
        return {"startup_s": wall,
                "watched_directories": int(watching.group(1)) if watching and watching.group(1) else None,
                "capture": watching.group(2) if watching else None,
                "watch_setup_s": float(watching.group(3)) if watching else None,
                "initial_sync_s": syncs[0] if syncs else None,
                "syncs_logged_s": syncs}

    def verify_roots(self) -> list[tuple[str, str]]:
        """(source, replica) pairs the mirror covers: one, or one per group."""
        return self.tool.verify_roots()

    def resync(self, timeout: float) -> dict:
        """`understudy sync`: a full comparison of the share, as the periodic re-sync makes one."""
        started = time.monotonic()
        client = measure.run_client([self.binary, "sync", "--config", self.tool.config, "--node", "beta", "--json"],
                                    timeout=timeout)
        wall = time.monotonic() - started
        if client.returncode != 0:
            raise RuntimeError(f"understudy sync failed ({client.returncode}): {client.stdout}{client.stderr}")
        response = json.loads(client.stdout)
        results = response.get("syncResults") or []
        if not response.get("ok") or not all(result.get("ok") for result in results):
            raise RuntimeError(f"understudy sync reported a failure: {client.stdout}")
        return {"wall_s": wall, "daemon_seconds": results[0].get("seconds") if results else None}

    def close(self) -> None:
        if self.watcher is not None:
            self.console_figures = self.watcher.stop()
            self.watcher = None
        self.tool.close()

    # --- state -----------------------------------------------------------------------------------------------

    def _log(self, node: str) -> str:
        try:
            with open(os.path.join(self.work, f"{node}.log"), errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def status(self, node: str) -> dict | None:
        try:
            result = self.tool._cli("status", "--node", node, "--json", timeout=30)
        except subprocess.TimeoutExpired:
            return None
        if result.returncode != 0:
            return None
        report = json.loads(result.stdout)
        shares = [{"peerConnected": group.get("peerConnected"), **share}
                  for group in report.get("groups", []) for share in group.get("shares", [])]
        if not shares:
            return None
        if len(shares) == 1:
            return {**shares[0], "durability": report.get("durability")}
        # Several groups: in sync when all are; the counters summed, the lag the largest.
        unsynced = [share for share in shares if share.get("state") != "in-sync"]
        combined = {**(unsynced[0] if unsynced else shares[0]), "durability": report.get("durability")}
        combined["peerConnected"] = all(share.get("peerConnected") for share in shares)
        for key in ("changesPending", "bytesSent", "bytesReceived", "liveSyncs"):
            combined[key] = sum(share.get(key, 0) or 0 for share in shares)
        combined["fullSyncs"] = min(share.get("fullSyncs", 0) or 0 for share in shares)
        combined["lagSeconds"] = max((share.get("lagSeconds") or 0) for share in shares)
        combined["groups"] = len(shares)
        return combined

    def busy(self) -> bool:
        primary, standby = self.status("alpha"), self.status("beta")
        if primary is None or standby is None:
            return True
        return not (primary.get("peerConnected") and primary.get("state") == "in-sync"
                    and standby.get("state") == "in-sync"
                    and primary.get("changesPending", 1) == 0 and standby.get("changesPending", 1) == 0)

    def wait_idle(self, timeout: float, settle: float = 0.3) -> float:
        started = time.monotonic()
        quiet_since = None
        while time.monotonic() - started < timeout:
            for process in (self.tool.primary, self.tool.standby):
                if process is None or process.poll() is not None:
                    raise RuntimeError(f"an understudy daemon is not running; see {self.work}/alpha.log and beta.log")
            if self.busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"understudy still busy after {timeout:.0f} s: primary {self.status('alpha')}, "
                           f"standby {self.status('beta')}")

    def figures(self) -> dict:
        """The status figures of both sides (counters since the daemons started)."""
        keep = ("state", "changesPending", "lagSeconds", "bytesSent", "bytesReceived", "liveSyncs", "fullSyncs",
                "watchedDirectories", "lastError", "durability", "groups")
        return {node: {key: value for key, value in (self.status(node) or {}).items() if key in keep}
                for node in ("alpha", "beta")}

    def pids(self) -> dict[str, int]:
        """The daemons running now (before start: only the primary)."""
        return {role: process.pid for role, process in (("primary", self.tool.primary), ("standby", self.tool.standby))
                if process is not None and process.poll() is None}

    def rss_roles(self) -> list[str]:
        return ["primary", "standby"]

    def cpu_seconds(self) -> float:
        return sum(measure.process_cpu_seconds(pid) for pid in self.pids().values())

    def problems(self) -> list[str]:
        """Warnings, errors and fatal messages from both daemons' logs."""
        lines = []
        for node in ("alpha", "beta"):
            for line in self._log(node).splitlines():
                if PROBLEM.search(line):
                    lines.append(f"{node}.log: {line.strip()}")
        return lines

    def describe(self) -> dict:
        with open(self.tool.config) as handle:
            return {"config": handle.read(), "version": self.version}
