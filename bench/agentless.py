"""An agentless primary, mirrored three ways from the same tree on the same machine (tmpfs): understudy's scans of an
sshfs mount (`agentless = true`), rsync -a through the same mount, and rsync -a over ssh (rsync running on the
primary, which an agentless primary may not allow). Started by bench/agentless.

The primary is an OpenSSH server on 127.0.0.1 serving a 20,000-file tree (bench/live's corpus, same seed); the
mount is sshfs with `dir_cache=no` (what the agentless guide asks for). Three phases, each tool in turn, in this
order: the first copy into an empty replica; a scan with nothing changed; and after 1 % of the files were rewritten
in part (corpus.apply_edits). understudy's first copy is the daemon's own figure for its first scan (logged as
"scan files/data done in X s"); its later phases are `understudy sync files` (wall, the CLI included). Every replica
is compared with the tree after each phase (`diff -r --no-dereference`). Results go to bench/out/ as JSON and text.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench import log, source_tree  # noqa: E402
from benchlib import corpus  # noqa: E402

ROOT = "/dev/shm/understudy-agentless"
SEED = 20261122


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=1800, **kwargs)


def timed(command: list[str]) -> float:
    started = time.monotonic()
    try:
        run(command)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{' '.join(command)} failed ({error.returncode}): {error.stderr[-2000:]}") from error
    return time.monotonic() - started


def same_tree(source: str, replica: str) -> bool:
    result = subprocess.run(["diff", "-r", "--no-dereference", "-x", ".understudy.replica", source, replica],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        log(f"differences between {source} and {replica}: {result.stdout[:2000]}")
    return result.returncode == 0


class Lab:
    def __init__(self, binary: str, scale: float):
        self.binary = binary
        self.spec = corpus.SPECS["small"].scaled(scale)
        self.source = f"{ROOT}/primary"
        self.mount = f"{ROOT}/mount"
        self.ssh_port = free_port()
        self.sshd: subprocess.Popen | None = None
        self.daemon: subprocess.Popen | None = None
        self.config = f"{ROOT}/understudy.toml"
        self.ssh_options = ["-i", f"{ROOT}/ssh/client", "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
                            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]

    def __enter__(self) -> "Lab":
        shutil.rmtree(ROOT, ignore_errors=True)
        os.makedirs(f"{ROOT}/ssh")
        os.makedirs(self.mount)
        os.makedirs("/run/sshd", exist_ok=True)
        for name in ("host", "client"):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{ROOT}/ssh/{name}"])
        shutil.copy(f"{ROOT}/ssh/client.pub", f"{ROOT}/ssh/authorized")
        with open(f"{ROOT}/ssh/sshd_config", "w") as handle:
            handle.write(f"""ListenAddress 127.0.0.1
Port {self.ssh_port}
HostKey {ROOT}/ssh/host
AuthorizedKeysFile {ROOT}/ssh/authorized
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile {ROOT}/ssh/sshd.pid
Subsystem sftp internal-sftp
""")
        self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{ROOT}/ssh/sshd_config"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{ROOT}/ssh/sshd.log", "w"))
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.ssh_port)) == 0:
                    break
            time.sleep(0.1)
        log(f"generating the corpus ({self.spec.small_files} files) in {self.source}")
        corpus.generate(self.source, self.spec, SEED, corpus.TextPool(SEED))
        # sshfs (3.7 with OpenSSH's sftp) cannot read the target of a link that is absolute or goes up (`..`): EPERM;
        # understudy leaves such a link out with a warning, rsync exits 23. The corpus's links are all such, so they
        # are taken out of the tree: every replica is then compared with it whole.
        shutil.rmtree(os.path.join(self.source, "links"))
        run(["sshfs", "-o", f"IdentityFile={ROOT}/ssh/client,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,"
             f"port={self.ssh_port},dir_cache=no", f"root@127.0.0.1:{self.source}", self.mount])
        return self

    def __exit__(self, *_) -> None:
        if self.daemon:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
        subprocess.run(["umount", "-l", self.mount], capture_output=True, timeout=30)
        if self.sshd:
            self.sshd.kill()
            self.sshd.wait(timeout=10)
        shutil.rmtree(ROOT, ignore_errors=True)

    def start_understudy(self) -> float:
        """Starts the standby with an agentless group; returns its first scan's time, as it logs it."""
        with open(self.config, "w") as handle:
            handle.write(f"""cluster = "bench"
certificates = "{ROOT}/certs"
[nodes.beta]
address = "127.0.0.1:{free_port()}"
state_dir = "{ROOT}/state"
[groups.files]
agentless = true
primary = "filer"
standby = "beta"
scan_interval = "365d"
[[groups.files.shares]]
name = "data"
source = "{self.mount}"
replica = "{ROOT}/replica-understudy"
""")
        run([self.binary, "init", "--config", self.config])
        log_path = f"{ROOT}/beta.log"
        self.daemon = subprocess.Popen([self.binary, "run", "--config", self.config, "--node", "beta"],
                                       stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            with open(log_path) as handle:
                text = handle.read()
            found = re.search(r"scan files/data done in ([0-9.]+)s", text)
            if found:
                return float(found.group(1))
            if failed := re.search(r"scan files/data failed: (.*)", text):
                raise RuntimeError(f"the first scan failed: {failed.group(1)}")
            if self.daemon.poll() is not None:
                raise RuntimeError(f"the daemon ended: {open(log_path).read()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError("no first scan within 30 minutes")

    def understudy_sync(self) -> float:
        return timed([self.binary, "sync", "files", "--config", self.config, "--node", "beta"])

    def rsync_mount(self) -> float:
        return timed(["rsync", "-a", f"{self.mount}/", f"{ROOT}/replica-rsync-mount/"])

    def rsync_ssh(self) -> float:
        shell = " ".join(["ssh"] + self.ssh_options)
        return timed(["rsync", "-a", "-e", shell, f"root@127.0.0.1:{self.source}/", f"{ROOT}/replica-rsync-ssh/"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the corpus, for a quick trial")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    arguments = parser.parse_args()
    commit = source_tree()
    results = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "command": " ".join(sys.argv),
        "commit": commit,
        "machine": {"cores": os.cpu_count(), "kernel": platform.release()}, "phases": {}, "verified": True,
    }
    tools = {"understudy (sshfs scan)": None, "rsync -a (sshfs mount)": None, "rsync -a (over ssh)": None}
    with Lab(arguments.binary, arguments.scale) as lab:
        replicas = {"understudy (sshfs scan)": f"{ROOT}/replica-understudy",
                    "rsync -a (sshfs mount)": f"{ROOT}/replica-rsync-mount",
                    "rsync -a (over ssh)": f"{ROOT}/replica-rsync-ssh"}
        steps = {"understudy (sshfs scan)": lab.understudy_sync, "rsync -a (sshfs mount)": lab.rsync_mount,
                 "rsync -a (over ssh)": lab.rsync_ssh}
        for phase in ("first copy", "nothing changed", "after 1 % edits"):
            if phase == "after 1 % edits":
                corpus.apply_edits(lab.source, lab.spec, SEED, corpus.TextPool(SEED))
            figures = {}
            for tool in tools:
                subprocess.run(["sync"], timeout=120)
                if phase == "first copy" and tool.startswith("understudy"):
                    figures[tool] = lab.start_understudy()
                else:
                    figures[tool] = steps[tool]()
                if not same_tree(lab.source, replicas[tool]):
                    results["verified"] = False
                log(f"{phase}: {tool} {figures[tool]:.2f} s")
            results["phases"][phase] = figures
    lines = [f"agentless mirroring, {results['date']}, commit {commit}",
             f"{'phase':<18}" + "".join(f"{tool:>26}" for tool in tools) + f"{'understudy / rsync mount':>26}"
             + f"{'understudy / rsync ssh':>24}"]
    for phase, figures in results["phases"].items():
        values = list(figures.values())
        lines.append(f"{phase:<18}" + "".join(f"{value:>25.2f}s" for value in values)
                     + f"{values[0] / values[1]:>26.2f}" + f"{values[0] / values[2]:>24.2f}")
    lines.append("every replica equal to the tree after every phase" if results["verified"]
                 else "A REPLICA DIFFERED FROM THE TREE (see the log above)")
    os.makedirs(arguments.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(arguments.out, f"agentless-{stamp}.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    with open(os.path.join(arguments.out, f"agentless-{stamp}.txt"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if results["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
