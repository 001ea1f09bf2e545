"""rsnapshot as it is deployed: a configuration file (fields separated by tabs), one interval `alpha` with
`retain alpha 2`, `link_dest 1` (rsync --link-dest against the previous snapshot: unchanged files become hard
links), `sync_first 0`, `/bin/rm` for removals, and one local backup point: the directory the benchmark archives
(the same 20,000-file tree understudy archives from its replica).

Each measured run gets a fresh snapshot_root (`snapshots-N`), so its first `rsnapshot alpha` is a first archive
(a full copy); the roots of earlier runs stay until the end of the benchmark, so that nothing is deleted shortly
before a timed phase.

Pruning: with `retain alpha 2` and alpha.0 and alpha.1 present, rsnapshot's next rotation starts by removing
the oldest snapshot with `/bin/rm -rf SNAPSHOT_ROOT/alpha.1/`. The benchmark asks rsnapshot for that command
(`rsnapshot -t alpha`, test mode: it prints its commands without running them) and times exactly it, so the
prune is measured alone rather than mixed with the rotation's rename and the next rsync.
"""
import os
import re
import shlex
import subprocess

from . import measure

INTERVAL = "alpha"


def rsnapshot_version() -> str:
    try:
        output = subprocess.run(["rsnapshot", "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "rsnapshot (unknown version)"
    match = re.search(r"rsnapshot\s+(\S+)", output.stdout + output.stderr)
    return f"rsnapshot {match.group(1)}" if match else "rsnapshot (unknown version)"


class RsnapshotArchiver:
    name = kind = "rsnapshot"

    def __init__(self, work: str, source: str, timeout: float):
        self.work, self.source, self.timeout = work, source, timeout
        self.data = source   # what is archived; it is also what the edits change
        self.archive_root = ""
        self.config = ""
        self.version = rsnapshot_version()

    # --- setup (untimed) -------------------------------------------------------------------------------------

    def prepare(self) -> dict:
        os.makedirs(self.work)
        return {"version": self.version}

    def begin_series(self, index: int) -> dict:
        """A fresh snapshot root and configuration for run `index`; nothing is removed."""
        self.archive_root = os.path.join(self.work, f"snapshots-{index + 1}")
        self.config = os.path.join(self.work, f"rsnapshot-{index + 1}.conf")
        fields = [
            ("config_version", "1.2"),
            ("snapshot_root", self.archive_root + "/"),
            ("no_create_root", "0"),
            ("cmd_cp", "/bin/cp"),
            ("cmd_rm", "/bin/rm"),
            ("cmd_rsync", "/usr/bin/rsync"),
            ("retain", INTERVAL, "2"),
            ("verbose", "2"),
            ("loglevel", "3"),
            ("lockfile", os.path.join(self.work, "rsnapshot.pid")),
            ("link_dest", "1"),
            ("sync_first", "0"),
            ("backup", self.data.rstrip("/") + "/", "localhost/"),
        ]
        with open(self.config, "w") as handle:
            handle.write("".join("\t".join(field) + "\n" for field in fields))
        check = subprocess.run(["rsnapshot", "-c", self.config, "configtest"], capture_output=True, text=True,
                               timeout=60)
        if check.returncode != 0:
            raise RuntimeError(f"rsnapshot configtest failed: {check.stdout}{check.stderr}")
        return {"removed": 0, "config": self.config}

    def tree(self, snapshot: str) -> str:
        """Where a snapshot holds the archived tree (`backup` with rsync --relative keeps the full path)."""
        return os.path.join(self.archive_root, snapshot, "localhost", self.data.strip("/"))

    def after_edits(self, source: str, timeout: float) -> dict:
        return {}   # the edits were made in the archived tree itself

    def daemon_cpu_seconds(self) -> float:
        return 0.0   # no daemon: everything runs in the rsnapshot command and the rsync it starts

    # --- timed -------------------------------------------------------------------------------------------------

    def take(self) -> dict:
        """`rsnapshot alpha`: rotation (alpha.0 → alpha.1 when present), then rsync into a new alpha.0."""
        client = measure.run_client(["rsnapshot", "-c", self.config, INTERVAL], timeout=self.timeout)
        if client.returncode != 0:
            raise RuntimeError(f"rsnapshot {INTERVAL} failed ({client.returncode}): {client.stdout[-2000:]}"
                               f"{client.stderr[-2000:]}")
        return {"wall_s": client.wall, "client_cpu_s": client.cpu, "client_peak_rss_kib": client.peak_rss_kib,
                "id": f"{INTERVAL}.0", "path": self.tree(f"{INTERVAL}.0"), "method": "rsync --link-dest"}

    def oldest_after_second(self) -> str:
        return self.tree(f"{INTERVAL}.1")

    def prepare_prune(self) -> dict:
        """The removal rsnapshot's next rotation would start with (from its test mode), checked to be the oldest
        snapshot."""
        planned = subprocess.run(["rsnapshot", "-c", self.config, "-t", INTERVAL], capture_output=True, text=True,
                                 timeout=60)
        lines = [line.strip() for line in planned.stdout.splitlines()]
        removal = next((line for line in lines if line.startswith("/bin/rm -rf ")), None)
        oldest = os.path.join(self.archive_root, f"{INTERVAL}.1")
        if planned.returncode != 0 or removal is None:
            raise RuntimeError(f"`rsnapshot -t {INTERVAL}` shows no removal: {planned.stdout}{planned.stderr}")
        command = shlex.split(removal)
        if os.path.normpath(command[-1]) != oldest:
            raise RuntimeError(f"rsnapshot would remove {command[-1]}, not the oldest snapshot {oldest}")
        return {"command": command, "rsnapshot_plan": lines, "oldest": oldest}

    def prune(self, plan: dict) -> dict:
        client = measure.run_client(plan["command"], timeout=self.timeout)
        if client.returncode != 0 or os.path.lexists(plan["oldest"]):
            raise RuntimeError(f"{' '.join(plan['command'])} failed ({client.returncode}): {client.stderr}")
        return {"wall_s": client.wall, "client_cpu_s": client.cpu, "client_peak_rss_kib": client.peak_rss_kib,
                "command": " ".join(plan["command"])}

    # --- state ---------------------------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        return []

    def close(self) -> None:
        pass
