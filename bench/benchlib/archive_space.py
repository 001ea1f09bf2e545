"""Disk space and integrity of hard-linked archives, read from the file system rather than from the tools.

Space is `du -sk` (st_blocks, in KiB) with every path in ONE invocation: du counts an inode once, under the
first path it meets it in, so `du -sk DATA ARCHIVE_ROOT` bills to the archive root only what the live data does
not already hold, and `du -sk OLD NEW` bills to NEW only what it adds to OLD. On tmpfs a directory occupies no
blocks; on ext4 one 4 KiB block or more each.
"""
import hashlib
import os
import stat
import subprocess

from . import verify


def du_kib(*paths: str) -> dict[str, int]:
    """`du -sk` over the paths that exist, in one invocation: {path: KiB billed to it}; 0 for a missing path."""
    present = [path for path in paths if os.path.lexists(path)]
    figures = {path: 0 for path in paths}
    if not present:
        return figures
    output = subprocess.run(["du", "-sk", "--", *present], capture_output=True, text=True, timeout=600,
                            check=True).stdout
    for line, path in zip(output.splitlines(), present):
        figures[path] = int(line.split("\t", 1)[0])
    return figures


def usage(data: str, archive_root: str) -> dict:
    """The live data and, beside it, what the archives add to it."""
    figures = du_kib(data, archive_root)
    return {"data_kib": figures[data], "archives_kib": figures[archive_root]}


def inodes(root: str) -> dict[str, tuple[int, int]]:
    """{relative path: (device, inode)} of the regular files below root."""
    found = {}
    for directory, _subdirectories, files in os.walk(root):
        for name in files:
            full = os.path.join(directory, name)
            info = os.lstat(full)
            if stat.S_ISREG(info.st_mode):
                found[os.path.relpath(full, root)] = (info.st_dev, info.st_ino)
    return found


def sharing(new: str, old: str | None, data: str | None) -> dict:
    """How the regular files of archive `new` are stored: how many share their inode with the file of the same
    path in `old` (the previous archive) or in `data` (the live tree it was taken from), how many are copies."""
    files = inodes(new)
    old_files = inodes(old) if old else {}
    data_files = inodes(data) if data else {}
    with_old = sum(1 for path, key in files.items() if old_files.get(path) == key)
    with_data = sum(1 for path, key in files.items() if data_files.get(path) == key)
    alone = sum(1 for path, key in files.items() if old_files.get(path) != key and data_files.get(path) != key)
    return {"files": len(files), "linked_to_previous": with_old, "linked_to_data": with_data, "own_inode": alone}


def fingerprint(root: str) -> dict[str, tuple]:
    """Everything verify.describe records of each entry, plus a BLAKE2b digest of each file's content: enough to
    tell later whether an archive was changed in any way (a hard link rewritten in place would show here)."""
    entries = {}
    for path, entry in verify.describe(root).items():
        digest = None
        if entry.kind == "file":
            hasher = hashlib.blake2b(digest_size=16)
            with open(os.path.join(root, path), "rb") as handle:
                while chunk := handle.read(verify.CHUNK):
                    hasher.update(chunk)
            digest = hasher.hexdigest()
        entries[path] = (entry.kind, entry.mode, entry.uid, entry.gid, entry.mtime_ns, entry.size, entry.target, digest)
    return entries


def fingerprint_differences(before: dict[str, tuple], after: dict[str, tuple], sample: int = 5) -> dict:
    changed = [path for path in before if path in after and before[path] != after[path]]
    missing = [path for path in before if path not in after]
    extra = [path for path in after if path not in before]
    return {"entries": len(before), "changed": len(changed), "missing": len(missing), "extra": len(extra),
            "samples": (changed + missing + extra)[:sample]}
