"""Is the replica a mirror of the source? Like verify.py, but every difference is sorted into a category, so that
a tool can be held to what it promises: understudy to everything (content, kind, mode, owner, mtime to the
nanosecond of every entry, directories included, symlink targets), lsyncd/rsync -a to content, kind, mode,
owner and file mtimes, with directory mtimes reported beside (a live `rsync --files-from` does not revisit a
directory whose mtime changed because of an entry inside it unless the directory itself is in the list).
"""
import os

from . import verify

CATEGORIES = ("missing", "extra", "kind", "content", "mode_owner", "symlink_target", "file_mtime", "dir_mtime")
STRICT = CATEGORIES
CONTENT_AND_METADATA = ("missing", "extra", "kind", "content", "mode_owner", "symlink_target", "file_mtime")


def compare(source_root: str, replica_root: str, sample: int = 5) -> dict:
    source = verify.describe(source_root)
    replica = verify.describe(replica_root)
    found: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    counts = {name: 0 for name in CATEGORIES}

    def note(category: str, path: str) -> None:
        counts[category] += 1
        if len(found[category]) < sample:
            found[category].append(path)

    for path, want in source.items():
        have = replica.get(path)
        if have is None:
            note("missing", path)
            continue
        if want.kind != have.kind:
            note("kind", path)
            continue
        if (want.mode, want.uid, want.gid) != (have.mode, have.uid, have.gid):
            note("mode_owner", path)
        if want.target != have.target:
            note("symlink_target", path)
        if want.mtime_ns != have.mtime_ns:
            note("dir_mtime" if want.kind == "directory" else "file_mtime", path)
        if want.kind == "file":
            if want.size != have.size or not verify._same_content(os.path.join(source_root, path),
                                                                   os.path.join(replica_root, path)):
                note("content", path)
    for path in replica:
        if path not in source:
            note("extra", path)
    return {"entries": len(source), "counts": counts, "samples": {k: v for k, v in found.items() if v}}


def verdict(result: dict, required: tuple[str, ...]) -> bool:
    return all(result["counts"][name] == 0 for name in required)


def summary(result: dict) -> str:
    bad = {name: count for name, count in result["counts"].items() if count}
    if not bad:
        return f"identical ({result['entries']} entries: content, kind, mode, owner, mtimes)"
    return f"{result['entries']} entries; differences: " + ", ".join(f"{name} {count}" for name, count in bad.items()) \
        + "; e.g. " + "; ".join(f"{name}: {paths[0]}" for name, paths in result["samples"].items())


def merge(results: list[dict]) -> dict:
    """Several comparisons (the roots of several groups) as one."""
    merged = {"entries": 0, "counts": {name: 0 for name in CATEGORIES}, "samples": {}}
    for result in results:
        merged["entries"] += result["entries"]
        for name, count in result["counts"].items():
            merged["counts"][name] = merged["counts"].get(name, 0) + count
        for name, paths in result["samples"].items():
            merged["samples"].setdefault(name, []).extend(paths)
    return merged
