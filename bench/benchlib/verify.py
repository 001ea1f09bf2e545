"""Proof that a phase produced a true mirror: every entry below the root present on both sides with the same
kind, mode, owner, mtime (nanoseconds; symlinks too), symlink target and content. The source is described once
per phase; each replica is compared against that description, content byte for byte.
"""
import os
import stat
from dataclasses import dataclass

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    kind: str
    mode: int
    uid: int
    gid: int
    mtime_ns: int
    size: int
    target: str | None


# understudy's own file at the root of a replica (which cluster and share it belongs to); not part of the mirror.
REPLICA_MARKER = ".understudy.replica"


def describe(root: str) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories + files:
            if directory == root and name == REPLICA_MARKER:
                continue
            full = os.path.join(directory, name)
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                kind, target = "symlink", os.readlink(full)
            elif stat.S_ISDIR(info.st_mode):
                kind, target = "directory", None
            elif stat.S_ISREG(info.st_mode):
                kind, target = "file", None
            else:
                kind, target = "other", None
            entries[os.path.relpath(full, root)] = Entry(
                kind, stat.S_IMODE(info.st_mode) if kind != "symlink" else 0, info.st_uid, info.st_gid,
                info.st_mtime_ns, info.st_size if kind == "file" else 0, target)
    return entries


def _same_content(left: str, right: str) -> bool:
    with open(left, "rb") as a, open(right, "rb") as b:
        while True:
            chunk = a.read(CHUNK)
            if chunk != b.read(CHUNK):
                return False
            if not chunk:
                return True


def differences(source_root: str, source: dict[str, Entry], replica_root: str, limit: int = 10) -> list[str]:
    """Human-readable differences (at most `limit`, plus a count of the rest); empty when the replica is exact."""
    replica = describe(replica_root)
    current = None
    problems = []
    for path in sorted(set(source) | set(replica)):
        want, have = source.get(path), replica.get(path)
        if want is None:
            problems.append(f"{path!r}: only in the replica ({have.kind})")
        elif have is None:
            problems.append(f"{path!r}: missing from the replica ({want.kind})")
        elif want != have:
            fields = [name for name in ("kind", "mode", "uid", "gid", "mtime_ns", "size", "target")
                      if getattr(want, name) != getattr(have, name)]
            problems.append(f"{path!r}: {', '.join(f'{name} {getattr(want, name)!r} != {getattr(have, name)!r}' for name in fields)}")
            current = current if current is not None else describe(source_root)
            if current.get(path) != want:
                problems.append(f"{path!r}: the SOURCE changed during the phase: now {current.get(path)}")
        elif want.kind == "file" and not _same_content(os.path.join(source_root, path), os.path.join(replica_root, path)):
            problems.append(f"{path!r}: content differs")
    if len(problems) > limit:
        return problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems
