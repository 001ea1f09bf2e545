"""The live workloads of bench/live, generated from a seed so that every tool and file system sees the same bytes:

- the starting tree: the `small` corpus of bench/run (20,000 files of 1–16 KiB in 313 directories, symlinks,
  empty directories, varied modes, mtimes from earlier in the year);
- the paced writes: small files (1–8 KiB, random) written at a fixed rate, half of them new files in existing
  directories, half overwrites (O_TRUNC, in place) of distinct files of the starting tree; each write's end is
  the moment after close(2);
- the burst: many small files (1–8 KiB) written as fast as one thread can, directory after directory, into a
  mix of existing directories and new ones;
- the million-file tree: N files of 0–100 bytes in N/100 directories (two levels), for the memory and startup
  figures.
"""
import os
import random
import time
from dataclasses import dataclass

from . import corpus

KIB = 1024


@dataclass
class Write:
    relative: str
    content: bytes
    new: bool


def start_tree(root: str, seed: int, pool: corpus.TextPool, scale: float) -> dict:
    spec = corpus.SPECS["small"].scaled(scale)
    return corpus.generate(root, spec, seed, pool)


def existing_files(scale: float) -> list[str]:
    return corpus.small_file_paths(corpus.SPECS["small"].scaled(scale))


def existing_directories(scale: float) -> list[str]:
    return sorted({os.path.dirname(path) for path in existing_files(scale)})


def paced_plan(seed: int, scale: float, count: int, tag: str) -> list[Write]:
    """`count` writes: new files and overwrites of distinct existing files, shuffled."""
    rng = random.Random(f"{seed}/paced/{tag}")
    files = existing_files(scale)
    directories = existing_directories(scale)
    overwrites = rng.sample(files, min(len(files), count // 2))
    writes = [Write(path, rng.randbytes(rng.randint(1 * KIB, 8 * KIB)), False) for path in overwrites]
    for index in range(count - len(writes)):
        path = f"{rng.choice(directories)}/live-{tag}-{index:04d}.dat"
        writes.append(Write(path, rng.randbytes(rng.randint(1 * KIB, 8 * KIB)), True))
    rng.shuffle(writes)
    return writes


def write_file(root: str, write: Write) -> None:
    fd = os.open(os.path.join(root, write.relative), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(write.content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def run_paced(root: str, watcher, writes: list[Write], rate: float, timeout: float) -> dict:
    """Writes at `rate` per second (on a fixed schedule, so a slow write does not shift the later ones) and
    returns each write's lag: from the end of its close(2) to the moment the replica first held its content."""
    interval = 1 / rate
    ended: dict[str, float] = {}
    started = time.monotonic()
    late = 0
    for index, write in enumerate(writes):
        due = started + index * interval
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > interval:
            late += 1
        write_file(root, write)
        ended[write.relative] = time.monotonic()
        watcher.expect(write.relative, write.content)
    finished_writing = time.monotonic()
    complete = watcher.wait_for(ended, finished_writing + timeout)
    lags, missing = [], []
    with watcher.lock:
        for write in writes:
            seen = watcher.seen.get(write.relative)
            if seen is None:
                missing.append(write.relative)
            else:
                lags.append(seen - ended[write.relative])
    return {"writes": len(writes), "rate_per_s": rate, "writing_s": finished_writing - started,
            "late_writes": late, "lags_s": lags, "missing": missing[:20], "missing_count": len(missing),
            "complete": complete, "new_files": sum(1 for write in writes if write.new)}


def burst_plan(seed: int, scale: float, files: int, directories: int, new_directories: int, tag: str) -> list[Write]:
    rng = random.Random(f"{seed}/burst/{tag}")
    old = rng.sample(existing_directories(scale), min(directories - new_directories, len(existing_directories(scale))))
    targets = old + [f"burst-{tag}/n{index:02d}" for index in range(new_directories)]
    writes = []
    for index in range(files):
        directory = targets[index * len(targets) // files]   # directory after directory
        writes.append(Write(f"{directory}/b{tag}-{index:05d}.dat", rng.randbytes(rng.randint(1 * KIB, 8 * KIB)), True))
    return writes


def _write_all(root: str, writes: list[Write]) -> tuple[float, float]:
    made = set()
    started = time.monotonic()
    for write in writes:
        directory = os.path.dirname(write.relative)
        if directory not in made:
            os.makedirs(os.path.join(root, directory), mode=0o755, exist_ok=True)
            made.add(directory)
        write_file(root, write)
    return started, time.monotonic()


def run_burst(root: str, watcher, writes: list[Write], timeout: float) -> dict:
    """Registers every file, then writes them all as fast as one process can; the burst's time runs from the
    first write's start to the moment the last file was first seen complete on the replica. The writer is a
    forked child, so that it and the watcher thread do not take turns on one interpreter lock."""
    watcher.expect_many({write.relative: write.content for write in writes})
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the writer: no threads here, only the writes, then the two moments through the pipe
        status = 1
        try:
            os.close(reader)
            started, written = _write_all(root, writes)
            os.write(writer, f"{started!r} {written!r}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(child, 0)
    if status != 0 or not answer:
        raise RuntimeError(f"the burst's writer failed (wait status {status})")
    started, written = (float(value) for value in answer.split())
    complete = watcher.wait_for([write.relative for write in writes], started + timeout)
    with watcher.lock:
        seen = [watcher.seen.get(write.relative) for write in writes]
    found = [moment for moment in seen if moment is not None]
    return {"files": len(writes), "bytes": sum(len(write.content) for write in writes),
            "directories": len({os.path.dirname(write.relative) for write in writes}),
            "new_directories": len({os.path.dirname(w.relative) for w in writes if w.relative.startswith("burst-")}),
            "writing_s": written - started,
            "seconds": (max(found) - started) if complete and found else None,
            "first_seen_s": (min(found) - started) if found else None,
            "missing_count": sum(1 for moment in seen if moment is None), "complete": complete}


def million_tree(root: str, seed: int, files: int) -> dict:
    """`files` files of 0–100 bytes, 100 per directory, in a two-level tree (about files/100 directories)."""
    rng = random.Random(f"{seed}/million")
    pool = rng.randbytes(1 << 20)
    per_directory = 100
    directories = max(1, files // per_directory)
    fanout = max(1, int(round(directories ** 0.5)))
    started = time.monotonic()
    os.makedirs(root, mode=0o755)
    written = total = 0
    for index in range(directories):
        directory = os.path.join(root, f"m{index // fanout:03d}", f"n{index % fanout:03d}")
        os.makedirs(directory, mode=0o755, exist_ok=True)
        count = per_directory if index < directories - 1 else files - written
        for number in range(count):
            size = rng.randint(0, 100)
            offset = rng.randrange(0, len(pool) - 101)
            fd = os.open(os.path.join(directory, f"f{number:03d}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                         0o644)
            try:
                if size:
                    os.write(fd, pool[offset:offset + size])
            finally:
                os.close(fd)
            total += size
        written += count
    top = (directories + fanout - 1) // fanout
    return {"files": written, "directories": directories + top, "bytes": total,
            "generate_s": time.monotonic() - started}


def million_paced_plan(seed: int, files: int, count: int, tag: str) -> list[Write]:
    """A few writes into the million-file tree, to show that the live mirror still follows it: overwrites of
    existing files and new files beside them (a different set per `tag`: the tools take turns on one tree)."""
    rng = random.Random(f"{seed}/million/paced/{tag}")
    directories = max(1, files // 100)
    fanout = max(1, int(round(directories ** 0.5)))
    writes = []
    for index in range(count):
        number = rng.randrange(directories)
        directory = f"m{number // fanout:03d}/n{number % fanout:03d}"
        name = f"f{rng.randrange(100):03d}" if index % 2 == 0 else f"live-{tag}-{index:03d}.dat"
        writes.append(Write(f"{directory}/{name}", rng.randbytes(rng.randint(1 * KIB, 8 * KIB)), index % 2 == 1))
    # Overwrites must be of distinct files (one expectation per path at a time).
    unique = {}
    for write in writes:
        unique.setdefault(write.relative, write)
    return list(unique.values())
