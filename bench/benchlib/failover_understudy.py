"""understudy as the failover being compared, configured per the failover spec of issue 4: alpha primary, beta
standby, links `dedicated` (10.77.2.x) and `lan` (10.77.1.x), a small share so that replication runs, group `web`
with service_address 10.77.1.100/24 on lan0, the lab's start script, and an HTTP check of the service.

"default" leaves heartbeat and check timing at their defaults; "tuned" sets interval 50ms, dead_time 250ms and
a check every 50ms with a 100ms timeout and fall 2. The certificates come from `understudy init --config F`.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

from .failover_lab import Lab, SERVICE_ADDRESS, SetupError, start_script

TUNED_HEARTBEAT = '\n[heartbeat]\ninterval = "50ms"\ndead_time = "250ms"\n'
TUNED_CHECK = 'interval = "50ms"\ntimeout = "100ms"\nfall = 2\n'


def has_failover(binary: str) -> bool:
    """Whether this build has issue 4's failover: a `failover` subcommand. (Not the exit status of
    `understudy failover --help`: an unknown subcommand with --help prints the main help with status 0.)"""
    try:
        result = subprocess.run([binary, "failover", "--help"], capture_output=True, text=True, timeout=30)
        return "USAGE: understudy failover" in result.stdout + result.stderr
    except (OSError, subprocess.SubprocessError):
        return False


class UnderstudyPair:
    kind = "understudy"

    def __init__(self, lab: Lab, binary: str, tuned: bool):
        self.lab, self.binary, self.tuned = lab, binary, tuned
        self.work = lab.work
        self.config = os.path.join(self.work, "understudy.toml")
        self.daemons: dict = {}
        self.harness_added_address = False
        # The control sockets live in a short directory of their own: under the trial's log directory
        # (bench/out/failover-logs-STAMP/TOOL-FAILURE-N/NODE-state/control.sock) the path can pass the 103 bytes
        # that SwiftNIO accepts for a Unix socket, and the daemon then exits at start. Removed by close().
        self.sockets = tempfile.mkdtemp(prefix="understudy-fo-")

    def _write_config(self) -> None:
        work = self.work
        os.makedirs(os.path.join(work, "share"))
        for index in range(20):
            with open(os.path.join(work, "share", f"file-{index}.txt"), "w") as handle:
                handle.write(f"file {index}\n" * 50)
        stop = os.path.join(work, "stop-service")
        with open(stop, "w") as handle:
            handle.write(f'#!/bin/sh\nnode=$(ip netns identify); node=${{node#*-}}\n'
                         f'[ -s {work}/service-$node.pid ] && kill "$(cat {work}/service-$node.pid)" 2>/dev/null\n'
                         f'rm -f {work}/service-$node.pid\nexit 0\n')
        os.chmod(stop, 0o755)
        with open(self.config, "w") as handle:
            handle.write(f'''cluster = "lab"
certificates = "{work}/certs"
{TUNED_HEARTBEAT if self.tuned else ""}
[nodes.alpha]
address = "10.77.2.1:7700"
state_dir = "{work}/alpha-state"
control_socket = "{self.sockets}/alpha.sock"
[nodes.alpha.links]
dedicated = "10.77.2.1"
lan = "10.77.1.1"

[nodes.beta]
address = "10.77.2.2:7700"
state_dir = "{work}/beta-state"
control_socket = "{self.sockets}/beta.sock"
[nodes.beta.links]
dedicated = "10.77.2.2"
lan = "10.77.1.2"

[groups.web]
primary = "alpha"
standby = "beta"
failover = "auto"
service_address = "{SERVICE_ADDRESS}/24"
interface = "lan0"
start = ["{start_script(work)}"]
stop = ["{stop}"]
script_timeout = "10s"

[[groups.web.shares]]
name = "www"
source = "{work}/share"
replica = "{work}/replica"

[[groups.web.checks]]
name = "web"
type = "http"
url = "http://{SERVICE_ADDRESS}/"
expect_body = "lab-service"
{TUNED_CHECK if self.tuned else ""}''')

    def _cli(self, node: str, *arguments: str, timeout: float = 40) -> subprocess.CompletedProcess:
        return self.lab.run(node, self.binary, *arguments, "--config", self.config, timeout=timeout)

    def _start(self, node: str) -> None:
        self.daemons[node] = self.lab.start(node, [self.binary, "run", "--config", self.config, "--node", node],
                                            f"understudy-{node}.log")
        result = self._cli(node, "status", "--node", node, "--wait", "30", "--json")
        if result.returncode != 0:
            raise RuntimeError(f"understudy on {node} did not come up: {result.stderr.strip()}; "
                               f"see {self.work}/understudy-{node}.log")

    def status(self, node: str) -> dict | None:
        result = self._cli(node, "status", "--node", node, "--json", timeout=10)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def _ensure_primary_address(self) -> None:
        # ===== THE ONE PLACE where the harness may stand in for understudy on the primary. =====
        # understudy on alpha is expected to take the service address when it starts as the group's primary.
        # If it has not within 5 s, the harness adds the address itself and records that it did.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.lab.has_address("alpha"):
                return
            time.sleep(0.1)
        self.lab.run("alpha", "ip", "addr", "add", f"{SERVICE_ADDRESS}/24", "dev", "lan0")
        self.harness_added_address = True

    def _wait_ready(self, timeout: float) -> None:
        """Until the standby's share is in sync and, where the status reports links, every link is up; then
        two dead_times more, so that the standby has heard the primary on every link."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.status("beta") or {}
            shares = [share for group in report.get("groups", []) for share in group.get("shares", [])]
            links = report.get("links")
            links_up = links is None or all(str(link.get("state", "")).lower() == "up" for link in links)
            if shares and all(share.get("state") == "in-sync" for share in shares) and links_up:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"understudy's standby was not ready within {timeout:.0f} s: {report}")
            time.sleep(0.1)
        time.sleep(2 * (0.25 if self.tuned else 1.0))

    def start(self) -> None:
        os.makedirs(self.work, exist_ok=True)
        self._write_config()
        result = subprocess.run([self.binary, "init", "--config", self.config], capture_output=True, text=True,
                                timeout=60)
        if result.returncode != 0:
            raise SetupError(f"understudy init failed: {result.stdout}{result.stderr}")
        self.lab.start_service("alpha")
        self._start("alpha")
        self._ensure_primary_address()
        self.lab.wait_steady("alpha", 25, 10)
        self._start("beta")
        self._wait_ready(60)

    def kill_primary(self) -> None:
        self.lab.kill_group(self.daemons["alpha"])

    def close(self) -> None:
        """After the lab is down (the daemons gone): the control sockets' directory."""
        shutil.rmtree(self.sockets, ignore_errors=True)

    def describe(self) -> dict:
        return {"tuned": self.tuned, "harness_added_address": self.harness_added_address,
                "beta_status": self.status("beta")}
