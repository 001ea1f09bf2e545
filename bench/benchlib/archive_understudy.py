"""understudy's archives as deployed: the primary ("alpha") and standby ("beta") daemons of bench/live on
127.0.0.1 (the configuration UnderstudyTool writes: group `bench`, here with one share `data`, no archive
schedule), and archives taken on the standby from its replica with the CLI, which talks to the running daemon:

- `understudy archive now bench/data --json` takes one (series "manual") and returns when it is complete, with
  `id`, `files`, `bytes`, `seconds`, `method`;
- `understudy archives bench/data --json` lists them (`id`, `takenAt`, `exclusiveBytes`, `state`, ...);
- `understudy archive remove bench/data ID` removes one.

The archives live beside the replica, in `<parent>/.<replica name>.understudy-archives/archives/<ID>/` (the
default `archive_dir`). A removal may move the tree to `trash/` in that directory and delete it from there after
the command returns; the prune is therefore timed twice: until the command returns, and until nothing of the
archive is left (its `archives/<ID>` gone, `trash/` empty, and the listing without it).

The edits are made in the primary's source; before the second archive the benchmark waits until the live
mirror has brought them to the replica (both daemons idle, the replica verified identical to the source).
"""
import json
import os
import subprocess
import time

from . import live_verify, measure
from .live_understudy import UnderstudyLive

GROUP, SHARE = "bench", "data"
TARGET = f"{GROUP}/{SHARE}"


class UnderstudyArchiver:
    name = kind = "understudy"

    def __init__(self, binary: str, work: str, source: str, processes: measure.ProcessRegistry, timeout: float):
        self.binary, self.work, self.source, self.timeout = binary, work, source, timeout
        self.live = UnderstudyLive("understudy", binary, work, source, processes, share=SHARE)
        self.config = self.live.tool.config
        self.data = self.live.replica   # what is archived: the standby's replica
        parent, name = os.path.split(self.data.rstrip("/"))
        self.archive_root = os.path.join(parent, f".{name}.understudy-archives")
        self.taken: list[str] = []
        self.version: str | None = None

    # --- setup (untimed) -------------------------------------------------------------------------------------

    def prepare(self) -> dict:
        """Both daemons up and the replica in sync with the source (the initial full comparison)."""
        self.live.prepare()
        startup = self.live.start(timeout=600)
        self.live.wait_idle(120)
        self.version = self.live.version
        help_text = subprocess.run([self.binary, "archive", "--help"], capture_output=True, text=True, timeout=60)
        if help_text.returncode != 0:
            raise RuntimeError(f"this understudy binary has no `archive` command: {help_text.stderr.strip()[:300]}")
        return {"version": self.version, "startup_s": startup.get("startup_s"),
                "initial_sync_s": startup.get("initial_sync_s"), "archive_root": self.archive_root}

    def _cli(self, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *arguments, "--config", self.config, "--node", "beta"],
                              capture_output=True, text=True, timeout=timeout)

    def listing(self) -> list[dict]:
        result = self._cli("archives", TARGET, "--json")
        if result.returncode != 0:
            raise RuntimeError(f"understudy archives failed ({result.returncode}): {result.stdout}{result.stderr}")
        parsed = json.loads(result.stdout or "[]")
        if isinstance(parsed, dict):   # a control response rather than the bare list
            parsed = parsed.get("archives") or []
        return [entry for entry in parsed if entry.get("group", GROUP) == GROUP and entry.get("share", SHARE) == SHARE]

    def begin_series(self, index: int) -> dict:
        """No archive of the share left, so that the run's first archive is a first one. Untimed; the caller
        flushes and waits before the next timed phase."""
        started = time.monotonic()
        listed = self.listing()
        for entry in listed:
            if entry.get("state") != "pruning":
                self._remove(entry["id"])
        for entry in listed:
            self._wait_gone(entry["id"], self.timeout)
        self.taken = []
        return {"removed": len(listed), "removed_s": time.monotonic() - started}

    def _remove(self, archive_id: str) -> measure.ChildResult:
        client = measure.run_client([self.binary, "archive", "remove", TARGET, archive_id, "--config", self.config,
                                     "--node", "beta"], timeout=self.timeout)
        if client.returncode != 0:
            raise RuntimeError(f"understudy archive remove {TARGET} {archive_id} failed ({client.returncode}): "
                               f"{client.stdout}{client.stderr}")
        return client

    def after_edits(self, source: str, timeout: float) -> dict:
        """Waits (bounded) until the live mirror has brought the edits to the replica."""
        started = time.monotonic()
        result = None
        for _attempt in range(10):
            self.live.wait_idle(timeout)
            result = live_verify.compare(source, self.data)
            if live_verify.verdict(result, live_verify.STRICT):
                return {"replica_caught_up_s": time.monotonic() - started}
            time.sleep(0.5)
        raise RuntimeError(f"the replica did not catch up with the edits: {live_verify.summary(result)}")

    def daemon_cpu_seconds(self) -> float:
        return self.live.cpu_seconds()

    # --- timed -------------------------------------------------------------------------------------------------

    def take(self) -> dict:
        client = measure.run_client([self.binary, "archive", "now", TARGET, "--json", "--config", self.config,
                                     "--node", "beta"], timeout=self.timeout)
        if client.returncode != 0:
            raise RuntimeError(f"understudy archive now {TARGET} failed ({client.returncode}): "
                               f"{client.stdout}{client.stderr}")
        reply = json.loads(client.stdout)
        if isinstance(reply, dict) and "id" not in reply and reply.get("archives"):
            reply = reply["archives"][0]
        archive_id = reply["id"]
        path = os.path.join(self.archive_root, "archives", archive_id)
        if not os.path.isdir(path):
            raise RuntimeError(f"understudy reports archive {archive_id}, but {path} is not a directory")
        self.taken.append(archive_id)
        return {"wall_s": client.wall, "client_cpu_s": client.cpu, "client_peak_rss_kib": client.peak_rss_kib,
                "id": archive_id, "path": path, "method": reply.get("method"), "reported": reply}

    def oldest_after_second(self) -> str:
        return os.path.join(self.archive_root, "archives", self.taken[0])

    def prepare_prune(self) -> dict:
        """The oldest archive of this run, checked against the daemon's listing."""
        entries = {entry["id"]: entry for entry in self.listing()}
        oldest = self.taken[0]
        if oldest not in entries:
            raise RuntimeError(f"understudy archives does not list {oldest}: {sorted(entries)}")
        return {"id": oldest, "listing": list(entries.values())}

    def prune(self, plan: dict) -> dict:
        started = time.monotonic()
        client = self._remove(plan["id"])
        returned = time.monotonic() - started
        gone = self._wait_gone(plan["id"], self.timeout) - started
        self.taken.remove(plan["id"])
        return {"wall_s": gone, "command_s": returned, "client_cpu_s": client.cpu,
                "client_peak_rss_kib": client.peak_rss_kib,
                "command": f"understudy archive remove {TARGET} {plan['id']}"}

    def _wait_gone(self, archive_id: str, timeout: float) -> float:
        """Waits until nothing of the archive is left on disk (polled every 10 ms) and returns that moment
        (time.monotonic()); then waits until the daemon no longer lists it (every 0.1 s). Bounded by `timeout`."""
        deadline = time.monotonic() + timeout
        tree = os.path.join(self.archive_root, "archives", archive_id)
        trash = os.path.join(self.archive_root, "trash")
        while os.path.lexists(tree) or (os.path.isdir(trash) and os.listdir(trash)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"archive {archive_id} not gone from disk after {timeout:.0f} s")
            time.sleep(0.01)
        gone = time.monotonic()
        while any(entry.get("id") == archive_id for entry in self.listing()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"archive {archive_id} still listed after {timeout:.0f} s")
            time.sleep(0.1)
        return gone

    # --- state ---------------------------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        return self.live.problems()

    def close(self) -> None:
        self.live.close()
