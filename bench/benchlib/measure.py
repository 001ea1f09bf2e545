"""What a phase costs, read from the kernel rather than from the tools themselves: CPU from /proc/PID/stat
(utime+stime, and cutime+cstime for children a daemon has reaped), peak RSS from VmHWM (reset at the start
of a phase through clear_refs), a client's figures from wait4, bytes on a live TCP connection from `ss`,
and the whole machine's busy time so that the report can say how much else was running.
"""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProcessRegistry:
    """Every process the benchmark starts, so that all of them are stopped on any exit."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def start(self, command: list[str], log_path: str) -> subprocess.Popen:
        log = open(log_path, "ab")
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.processes)):
            try:
                self.stop(process)
            except Exception:  # noqa: BLE001 — cleanup goes on to the next process whatever happens
                pass


def process_cpu_seconds(pid: int, include_reaped_children: bool = False) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based, man 5 proc).
    ticks = int(fields[11]) + int(fields[12])
    if include_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def peak_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def reset_peak_rss(pid: int) -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0), so a phase's peak is its own and not the process's."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def child_pids(pid: int) -> list[int]:
    children = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children += [int(part) for part in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return children


def wait_for_no_children(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child_pids(pid):
            return True
        time.sleep(0.005)
    return False


class ChildPeakSampler(threading.Thread):
    """Polls the children of a forking daemon (rsync forks one per connection) for their VmHWM: the child is
    gone by the time the client returns, so its peak must be caught while it runs."""

    def __init__(self, pid: int, interval: float = 0.005):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib: int | None = None
        self.children_seen: set[int] = set()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for child in child_pids(self.pid):
                self.children_seen.add(child)
                value = peak_rss_kib(child)
                if value is not None and (self.peak_kib is None or value > self.peak_kib):
                    self.peak_kib = value
            self._done.wait(self.interval)

    def finish(self) -> None:
        self._done.set()
        self.join(5)


def system_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, everything but idle and iowait)."""
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def load_average() -> float:
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


class ChildResult:
    def __init__(self, returncode: int, stdout: str, stderr: str, wall: float, cpu: float, peak_rss_kib: int):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.wall, self.cpu, self.peak_rss_kib = wall, cpu, peak_rss_kib


def run_client(command: list[str], timeout: float) -> ChildResult:
    """Runs a command to completion under /usr/bin/time, which reports the command's own rusage (with the
    children it reaped, e.g. rsync's receiver/generator pair). Not wait4 from here: a child forked from this
    Python process would carry Python's peak RSS past exec into ru_maxrss. Killed if it outlives `timeout`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".time") as usage:
        started = time.monotonic()
        process = subprocess.Popen(["/usr/bin/time", "-o", usage.name, "-f", "%e %U %S %M", *command],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        # A blocking wait (Popen.wait with a timeout polls with sleeps of up to 50 ms: it would quantize the
        # wall times); a timer kills the whole session if the command outlives `timeout`.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            process.wait()
        except BaseException:
            # A signal (SystemExit from cli.exit_on_signals) while the command runs: the command and whatever it
            # forked go too, so that cleanup does not race with it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            raise
        finally:
            timer.cancel()
        if expired.is_set():
            raise RuntimeError(f"{' '.join(command)} did not finish within {timeout:.0f} s; killed")
        wall = time.monotonic() - started
        _elapsed, user, system, peak = usage.read().strip().splitlines()[-1].split()
        out.seek(0)
        err.seek(0)
        return ChildResult(process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                           wall, float(user) + float(system), int(peak))


_SOCKET_LINE = re.compile(r"\d+\.\d+\.\d+\.\d+:(\d+)\s+\d+\.\d+\.\d+\.\d+:(\d+)")


def tcp_bytes_to_port(port: int, namespace: list[str] | None = None) -> dict[int, tuple[int, int]]:
    """Payload bytes (sent, received) of each established connection to `port`, seen from the connecting side
    (run through `namespace`, e.g. `ip netns exec NAME`, when it is in a network namespace of its own), keyed by its
    local port. TCP payload: TLS records, headers and handshakes included."""
    output = subprocess.run([*(namespace or []), "ss", "-tinH", "state", "established", f"( dport = :{port} )"],
                            capture_output=True, text=True, timeout=10, check=True).stdout
    result: dict[int, tuple[int, int]] = {}
    local = None
    for line in output.splitlines():
        match = _SOCKET_LINE.search(line)
        if match and not line.startswith((" ", "\t")):
            local = int(match.group(1)) if int(match.group(2)) == port else None
            continue
        if local is not None:
            sent = re.search(r"\bbytes_sent:(\d+)", line)
            received = re.search(r"\bbytes_received:(\d+)", line)
            result[local] = (int(sent.group(1)) if sent else 0, int(received.group(1)) if received else 0)
            local = None
    return result


def tcp_delta(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """Bytes (up, down) that crossed the connections between two readings; a new connection counts from zero."""
    up = down = 0
    for local, (sent, received) in after.items():
        sent0, received0 = before.get(local, (0, 0))
        up += sent - sent0
        down += received - received0
    return up, down


def timed_flush() -> float:
    """sync(2): write back everything dirty. Run before each timed phase so that one tool's deferred writes are
    not billed to the next; its duration is recorded as the flush the previous phase left behind."""
    started = time.monotonic()
    os.sync()
    return time.monotonic() - started


WARM_FILE = "/dev/shm/.bench-warm-memory"


def warm_memory(size: int) -> None:
    """Writes and frees `size` bytes of tmpfs so that the next phase's new pages come off the free lists hot. In this
    VM memory not touched for a few seconds goes back to the host (virtio-balloon free page reporting), and touching
    it again costs about three times a reused page: 3 GiB written to tmpfs took 3.9 s cold and 1.4 s right after
    3 GiB had been freed. Without this, whichever tool ran after another tool's phase (which freed memory) was
    favoured."""
    size = max(0, min(size, 4 << 30))
    chunk = b"\0" * (4 << 20)
    fd = os.open(WARM_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, chunk)
    finally:
        os.close(fd)
        os.unlink(WARM_FILE)
