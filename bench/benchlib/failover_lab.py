"""One trial's lab for bench/failover: scripts/lab's namespaces, the processes started inside them (each in a
session of its own, stopped by group id), the client's poller, and the service on a node.

Every trial gets a fresh lab; `close()` stops what was started and removes the namespaces (`scripts/lab down`
also kills anything still running inside them), whatever happened before.
"""
import os
import signal
import subprocess
import sys
import time

from . import outage
from .live_procs import GroupRegistry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "scripts", "lab")
SERVICE_ADDRESS = "10.77.1.100"
SERVICE_URL = f"http://{SERVICE_ADDRESS}/"


class SetupError(RuntimeError):
    """A problem that every trial would meet again (a configuration refused, a tool missing): the run stops."""


def start_script(work: str) -> str:
    """The service's start script, shared by keepalived's notify_master and understudy's `start`: starts
    scripts/lab-service on the node it runs on (known from its namespace) unless it runs already. Detached
    and with its output in a file, so that the caller's wait for the script ends at once."""
    path = os.path.join(work, "start-service")
    with open(path, "w") as handle:
        handle.write(f"""#!/bin/sh
# Written by bench/failover: starts the lab's service on this node, once.
node=$(ip netns identify); node=${{node#*-}}
pidfile={work}/service-$node.pid
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
setsid {sys.executable} {REPO}/scripts/lab-service "$node" 80 </dev/null >>{work}/service-$node.log 2>&1 &
echo $! > "$pidfile"
""")
    os.chmod(path, 0o755)
    return path


class Lab:
    def __init__(self, prefix: str, work: str):
        self.prefix, self.work = prefix, work
        self.processes = GroupRegistry()
        self.poller: subprocess.Popen | None = None
        self.poll_file = os.path.join(work, "client-poll.txt")
        os.makedirs(work, exist_ok=True)

    def lab(self, *arguments: str, timeout: float = 30) -> str:
        result = subprocess.run([LAB, *arguments], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"scripts/lab {' '.join(arguments)} failed: {result.stderr.strip()}")
        return result.stdout

    def up(self) -> None:
        self.lab("down", self.prefix)   # a lab left by an interrupted run of the same prefix
        self.lab("up", self.prefix)

    def run(self, node: str, *command: str, timeout: float = 10) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", f"{self.prefix}-{node}", *command], capture_output=True,
                              text=True, timeout=timeout)

    def start(self, node: str, command: list[str], log_name: str) -> subprocess.Popen:
        return self.processes.start(["ip", "netns", "exec", f"{self.prefix}-{node}", *command],
                                    os.path.join(self.work, log_name))

    def start_service(self, node: str) -> None:
        result = self.run(node, start_script(self.work))
        if result.returncode != 0:
            raise RuntimeError(f"the service's start script failed on {node}: {result.stderr}")

    def service_pid(self, node: str) -> int | None:
        try:
            with open(os.path.join(self.work, f"service-{node}.pid")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def start_poller(self, duration: float, interval: float = 0.02, timeout: float = 0.2) -> None:
        """The client's poller, bounded by `duration` in case nobody stops it."""
        self.poller = self.start("client", [sys.executable, os.path.join(REPO, "scripts", "lab-poll"), SERVICE_URL,
                                            self.poll_file, "--duration", str(duration), "--interval", str(interval),
                                            "--timeout", str(timeout)], "client-poll.log")

    def attempts(self) -> list[outage.Attempt]:
        return outage.read(self.poll_file) if os.path.exists(self.poll_file) else []

    def wait_steady(self, node: str, count: int, timeout: float, after: float = float("-inf")) -> float:
        """Until the client has had `count` answers in a row from `node`; returns when that run began."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            since = outage.steady_since(self.attempts(), node, count, after)
            if since is not None:
                return since
            if self.poller is not None and self.poller.poll() is not None:
                raise RuntimeError(f"the client's poller exited ({self.poller.returncode}); see {self.work}")
            time.sleep(0.05)
        seen = self.attempts()[-3:]
        raise RuntimeError(f"the client did not see {node} steadily within {timeout:.0f} s; last answers: "
                           + "; ".join(f"{a.text}" for a in seen))

    def has_address(self, node: str, address: str = SERVICE_ADDRESS) -> bool:
        return f" {address}/" in self.run(node, "ip", "-o", "-4", "addr", "show").stdout

    def mac(self, node: str) -> str | None:
        for line in self.run(node, "ip", "-o", "link", "show", "lan0").stdout.splitlines():
            fields = line.split()
            if "link/ether" in fields:
                return fields[fields.index("link/ether") + 1]
        return None

    def client_neighbour(self) -> str:
        """The client's ARP entry for the service address, with the node whose MAC it holds."""
        line = self.run("client", "ip", "neigh", "show", SERVICE_ADDRESS).stdout.strip()
        for node in ("alpha", "beta"):
            mac = self.mac(node)
            if mac and mac in line:
                return f"{line} (= {node})"
        return line or "none"

    def flush_client_neighbour(self) -> None:
        self.run("client", "ip", "neigh", "flush", "to", SERVICE_ADDRESS)

    def kill_group(self, process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kill_service(self, node: str) -> None:
        pid = self.service_pid(node)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop_poller(self) -> None:
        if self.poller is not None:
            self.processes.stop(self.poller, timeout=5)

    def close(self) -> None:
        try:
            self.processes.stop_all()
        finally:
            self.lab("down", self.prefix)
