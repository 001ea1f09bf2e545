"""When does a replica hold a file's new content? Told by inotify on the replica tree, not by the tool.

A ReplicaWatcher watches every directory of a replica (directories that appear later are added as they
appear) and keeps a set of expectations: relative path -> the exact bytes the file must hold. Whenever inotify
reports activity on an expected path (a rename into place, a close after writing, a write), the replica file is
compared (size first, then bytes); the first moment it matches is recorded. A safety sweep re-checks every
pending expectation now and then (and at once after an inotify queue overflow), so nothing is missed; matches
found by a sweep instead of an event are counted, because their time may be late by up to the sweep interval.

The watcher runs on a thread of its own (the writer of the workload runs on the main thread).
"""
import ctypes
import ctypes.util
import os
import select
import struct
import threading
import time

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

# A file's content is complete on a close after writing or a rename into place (both tools rename a finished
# temporary file); IN_CREATE brings new directories. IN_MODIFY would multiply the events of a burst and overflow
# the queue (fs.inotify.max_queued_events), which is left as it is: it is the tools' limit too.
WATCH_MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
EVENT_HEADER = struct.Struct("iIII")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.inotify_init1.argtypes = [ctypes.c_int]
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]


class ReplicaWatcher:
    def __init__(self, root: str, sweep_small: float = 0.05, sweep_large: float = 1.0):
        self.root = root
        self.sweep_small, self.sweep_large = sweep_small, sweep_large
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.directories: dict[int, str] = {}   # watch descriptor -> relative directory ("" for the root)
        self.lock = threading.Lock()
        self.pending: dict[str, bytes] = {}
        self.seen: dict[str, float] = {}
        self.by_sweep = 0
        self.overflows = 0
        self.events = 0
        self.changed = threading.Condition(self.lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = time.monotonic()

    # --- watches ---------------------------------------------------------------------------------------------

    def _add_watch(self, relative: str) -> bool:
        path = os.path.join(self.root, relative) if relative else self.root
        descriptor = _libc.inotify_add_watch(self.fd, os.fsencode(path), WATCH_MASK)
        if descriptor < 0:
            return False
        self.directories[descriptor] = relative
        return True

    def _watch_tree(self, relative: str) -> list[str]:
        """Watches `relative` and every directory below it; returns the files found there (which may already be
        complete: they arrived before the watch)."""
        files = []
        stack = [relative]
        while stack:
            current = stack.pop()
            if not self._add_watch(current):
                continue
            try:
                with os.scandir(os.path.join(self.root, current) if current else self.root) as entries:
                    for entry in entries:
                        child = os.path.join(current, entry.name) if current else entry.name
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(child)
                        else:
                            files.append(child)
            except OSError:
                pass
        return files

    def start(self) -> "ReplicaWatcher":
        os.makedirs(self.root, exist_ok=True)
        self._watch_tree("")
        self._thread = threading.Thread(target=self._run, name=f"watch {self.root}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            os.close(self.fd)
        except OSError:
            pass

    # --- expectations ----------------------------------------------------------------------------------------

    def _matches(self, relative: str, expected: bytes) -> bool:
        path = os.path.join(self.root, relative)
        try:
            if os.stat(path).st_size != len(expected):
                return False
            with open(path, "rb") as handle:
                return handle.read(len(expected) + 1) == expected
        except OSError:
            return False

    def _check(self, relative: str, sweep: bool = False) -> None:
        """Caller holds the lock."""
        expected = self.pending.get(relative)
        if expected is not None and self._matches(relative, expected):
            self.seen[relative] = time.monotonic()
            del self.pending[relative]
            if sweep:
                self.by_sweep += 1
            self.changed.notify_all()

    def expect(self, relative: str, content: bytes, check_now: bool = True) -> None:
        with self.lock:
            self.seen.pop(relative, None)
            self.pending[relative] = content
            if check_now:
                self._check(relative)

    def expect_many(self, expectations: dict[str, bytes]) -> None:
        with self.lock:
            for relative, content in expectations.items():
                self.seen.pop(relative, None)
                self.pending[relative] = content

    def wait_for(self, relatives, deadline: float) -> bool:
        """Until every one of `relatives` has been seen, or the monotonic `deadline`; True when all were."""
        wanted = set(relatives)
        with self.lock:
            while True:
                if all(relative in self.seen for relative in wanted):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.5))

    def pending_count(self) -> int:
        with self.lock:
            return len(self.pending)

    # --- the thread ------------------------------------------------------------------------------------------

    def _sweep(self) -> None:
        with self.lock:
            for relative in list(self.pending):
                self._check(relative, sweep=True)
        self._last_sweep = time.monotonic()

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self._stop.is_set():
            with self.lock:
                count = len(self.pending)
            interval = self.sweep_small if count < 1000 else self.sweep_large
            ready = poller.poll(max(1, int(interval * 1000)))
            if ready:
                self._read_events()
            if count and time.monotonic() - self._last_sweep >= interval:
                self._sweep()

    def _read_events(self) -> None:
        touched: list[str] = []
        new_directories: list[str] = []
        overflow = False
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not data:
                break
            offset = 0
            while offset < len(data):
                descriptor, mask, _cookie, length = EVENT_HEADER.unpack_from(data, offset)
                name = data[offset + EVENT_HEADER.size: offset + EVENT_HEADER.size + length].rstrip(b"\0")
                offset += EVENT_HEADER.size + length
                self.events += 1
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                    continue
                if mask & IN_IGNORED:
                    self.directories.pop(descriptor, None)
                    continue
                directory = self.directories.get(descriptor)
                if directory is None or not name:
                    continue
                relative = os.path.join(directory, os.fsdecode(name)) if directory else os.fsdecode(name)
                if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                    new_directories.append(relative)
                else:
                    touched.append(relative)
        for directory in new_directories:
            touched += self._watch_tree(directory)
        if overflow:
            self.overflows += 1
            # Events were lost: every directory may have new subdirectories, so re-walk, then check everything.
            self._watch_tree("")
            self._sweep()
            return
        if touched:
            with self.lock:
                for relative in touched:
                    self._check(relative)
