"""Processes of bench/live, each started in a session (process group) of its own, so that stopping one also
stops whatever it forked (lsyncd's rsync clients, the rsync daemon's receivers). Every process is stopped on
any exit by its group id, never by name.
"""
import os
import signal
import subprocess

from . import measure


class GroupRegistry(measure.ProcessRegistry):
    def start(self, command: list[str], log_path: str) -> subprocess.Popen:
        log = open(log_path, "ab")
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        finally:
            log.close()
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        def signal_group(signum: int) -> None:
            try:
                os.killpg(process.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

        if process.poll() is None:
            signal_group(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                signal_group(signal.SIGKILL)
                process.wait(5)
        # Whatever the leader left behind in its group (e.g. an rsync it had started) goes too.
        signal_group(signal.SIGKILL)
        if process in self.processes:
            self.processes.remove(process)
