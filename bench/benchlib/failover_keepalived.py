"""keepalived as the failover being compared: VRRP (version 3, so that advert_int may be below a second) on the
LAN (lan0), virtual router 77, VIP 10.77.1.100/24; alpha priority 150 `state MASTER`, beta 100 `state BACKUP`.

The service on alpha is started by the harness; on beta keepalived's notify_master runs the same start script
that understudy's group runs, so both tools pay for starting the service. Each daemon runs with -n (no fork of
its own into the background), VRRP only (-P), logging to its console (-l -D), with its own pid files.
"""
import os
import re
import subprocess
import time

from .failover_lab import Lab, start_script

ENTERING = re.compile(r"\(web\) Entering (\w+) STATE")


def keepalived_version() -> str:
    try:
        result = subprocess.run(["keepalived", "--version"], capture_output=True, text=True, timeout=10)
        return (result.stderr or result.stdout).splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "keepalived: not found"


class KeepalivedPair:
    kind = "keepalived"

    def __init__(self, lab: Lab, advert_int: float):
        self.lab, self.advert_int = lab, advert_int
        self.daemons: dict = {}

    def _config(self, node: str) -> str:
        master = node == "alpha"
        notify = "" if master else f'  notify_master "{start_script(self.lab.work)}"\n'
        path = os.path.join(self.lab.work, f"keepalived-{node}.conf")
        with open(path, "w") as handle:
            handle.write(f"""global_defs {{
  router_id {node}
  vrrp_version 3
  script_user root
}}
vrrp_instance web {{
  state {"MASTER" if master else "BACKUP"}
  interface lan0
  virtual_router_id 77
  priority {150 if master else 100}
  advert_int {self.advert_int:g}
  virtual_ipaddress {{
    10.77.1.100/24 dev lan0
  }}
{notify}}}
""")
        return path

    def _start(self, node: str) -> None:
        work = self.lab.work
        self.daemons[node] = self.lab.start(node, [
            "keepalived", "-n", "-l", "-D", "-G", "-P", "-f", self._config(node),
            "-p", os.path.join(work, f"keepalived-{node}.pid"), "-r", os.path.join(work, f"keepalived-{node}-vrrp.pid")],
            f"keepalived-{node}.log")

    def states(self, node: str) -> list[str]:
        try:
            with open(os.path.join(self.lab.work, f"keepalived-{node}.log"), errors="replace") as handle:
                return ENTERING.findall(handle.read())
        except OSError:
            return []

    def _wait_state(self, node: str, state: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemons[node].poll() is not None:
                raise RuntimeError(f"keepalived on {node} exited; see {self.lab.work}/keepalived-{node}.log")
            if state in self.states(node):
                return
            time.sleep(0.05)
        raise RuntimeError(f"keepalived on {node} did not enter {state} within {timeout:.0f} s: {self.states(node)}")

    def start(self) -> None:
        """alpha first, until it is MASTER and the client sees it; then beta, until it has heard alpha for a while
        (three adverts at least)."""
        self.lab.start_service("alpha")
        self._start("alpha")
        self._wait_state("alpha", "MASTER", 10 + 4 * self.advert_int)
        self.lab.wait_steady("alpha", 25, 10)
        self._start("beta")
        self._wait_state("beta", "BACKUP", 10)
        time.sleep(max(1.0, 4 * self.advert_int))
        if "MASTER" in self.states("beta") or self.states("alpha")[-1] != "MASTER":
            raise RuntimeError(f"the VRRP roles did not settle: alpha {self.states('alpha')}, beta {self.states('beta')}")

    def kill_primary(self) -> None:
        """SIGKILL to alpha's keepalived, parent and VRRP child at once (one process group)."""
        self.lab.kill_group(self.daemons["alpha"])

    def describe(self) -> dict:
        return {"advert_int": self.advert_int, "alpha_states": self.states("alpha"), "beta_states": self.states("beta")}
