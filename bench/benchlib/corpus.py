"""The corpora and the edits of phase 2, generated from a seed so every run (and every file system) sees the
same bytes: half of the small files random (incompressible), half text-like (compressible about 3x); large
files random with one compressible MiB in four, because real large files (images, archives, databases) are
mostly incompressible but rarely entirely so.
"""
import os
import random
from dataclasses import dataclass, replace

KIB = 1024
MIB = 1024 * KIB
FILES_PER_DIRECTORY = 64
TEXT_POOL_SIZE = 8 * MIB


@dataclass(frozen=True)
class CorpusSpec:
    name: str
    small_files: int
    large_files: int
    large_size: int
    symlinks: int
    empty_directories: int

    def scaled(self, factor: float) -> "CorpusSpec":
        """A smaller corpus of the same shape, for a quick trial of the harness itself (`--scale`)."""
        if factor == 1:
            return self
        return replace(self,
                       small_files=max(10, int(self.small_files * factor)) if self.small_files else 0,
                       large_size=max(MIB, int(self.large_size * factor) // MIB * MIB) if self.large_files else 0)


SPECS = {
    "small": CorpusSpec("small", small_files=20_000, large_files=0, large_size=0, symlinks=40, empty_directories=3),
    "large": CorpusSpec("large", small_files=0, large_files=4, large_size=256 * MIB, symlinks=0, empty_directories=0),
    "mix": CorpusSpec("mix", small_files=5_000, large_files=1, large_size=256 * MIB, symlinks=10, empty_directories=1),
}


class TextPool:
    """Text-like bytes: words from a made-up vocabulary in lines, compressible like prose or source code."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        letters = "etaoinshrdlucmfwypvbgkjqxz"
        weights = [26 - i for i in range(26)]
        vocabulary = ["".join(rng.choices(letters, weights, k=rng.randint(2, 10))) for _ in range(4000)]
        # Word frequencies fall off with rank (Zipf), as in natural language.
        cumulative, total = [], 0.0
        for rank in range(len(vocabulary)):
            total += 1 / (rank + 1)
            cumulative.append(total)
        parts, size = [], 0
        while size < TEXT_POOL_SIZE:
            line = " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(4, 14))) + rng.choice([".\n", ",\n", ";\n", "\n\n"])
            parts.append(line)
            size += len(line)
        self.data = "".join(parts).encode()[:TEXT_POOL_SIZE]

    def take(self, rng: random.Random, size: int) -> bytes:
        start = rng.randrange(0, len(self.data) - size)
        return self.data[start:start + size]


def small_file_paths(spec: CorpusSpec) -> list[str]:
    """Relative paths of the small files: a two-level tree of a few hundred directories."""
    paths = []
    for index in range(spec.small_files):
        directory = index // FILES_PER_DIRECTORY
        extension = "bin" if index % 2 == 0 else "txt"
        paths.append(f"d{directory // 16:03d}/s{directory % 16:02d}/f{index:05d}.{extension}")
    return paths


def large_file_paths(spec: CorpusSpec) -> list[str]:
    return [f"large/blob-{index}.dat" for index in range(spec.large_files)]


def random_bytes(rng: random.Random, size: int) -> bytes:
    chunks = []
    while size > 0:
        part = min(size, MIB)
        chunks.append(rng.randbytes(part))
        size -= part
    return b"".join(chunks)


def generate(root: str, spec: CorpusSpec, seed: int, pool: TextPool) -> dict:
    """Writes the corpus under `root` (which must not exist) and returns its totals."""
    rng = random.Random(f"{seed}/{spec.name}")
    os.makedirs(root, mode=0o755)
    total_bytes = 0
    small = small_file_paths(spec)
    for index, path in enumerate(small):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), mode=0o755, exist_ok=True)
        size = rng.randint(1 * KIB, 16 * KIB)
        data = rng.randbytes(size) if path.endswith(".bin") else pool.take(rng, size)
        with open(full, "wb") as handle:
            handle.write(data)
        total_bytes += size
        if index % 10 == 3:
            os.chmod(full, 0o600)
        elif index % 20 == 7:
            os.chmod(full, 0o755)
    for path in large_file_paths(spec):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), mode=0o755, exist_ok=True)
        with open(full, "wb") as handle:
            for _ in range(spec.large_size // MIB):
                handle.write(pool.take(rng, MIB) if rng.random() < 0.25 else rng.randbytes(MIB))
        total_bytes += spec.large_size
    if spec.symlinks:
        os.makedirs(os.path.join(root, "links"), mode=0o755)
        for index in range(spec.symlinks - 2):
            os.symlink(os.path.join("..", rng.choice(small)), os.path.join(root, "links", f"link-{index:03d}"))
        os.symlink("../d000", os.path.join(root, "links", "to-a-directory"))
        os.symlink("../does/not/exist", os.path.join(root, "links", "dangling"))
    for index in range(spec.empty_directories):
        os.makedirs(os.path.join(root, "empty", f"e{index}"), mode=0o755)
    age_entries(root, rng)
    return {"small_files": len(small), "large_files": spec.large_files, "symlinks": spec.symlinks,
            "bytes": total_bytes}


def age_entries(root: str, rng: random.Random) -> None:
    """Gives every entry an mtime from earlier in the year (nanoseconds set), as a real tree has. Freshly made
    entries would also trip rsync 3.5: it compares directory mtimes to the second and so leaves a replica
    directory made within the same second as the source's with its own, wrong, mtime."""
    base = 1_767_225_600 * 1_000_000_000  # 2026-01-01T00:00:00Z
    for directory, subdirectories, files in os.walk(root, topdown=False):
        for name in files + subdirectories:
            stamp = base + rng.randrange(0, 300 * 86_400 * 1_000_000_000)
            os.utime(os.path.join(directory, name), ns=(stamp, stamp), follow_symlinks=False)
    stamp = base + rng.randrange(0, 300 * 86_400 * 1_000_000_000)
    os.utime(root, ns=(stamp, stamp))


def apply_edits(root: str, spec: CorpusSpec, seed: int, pool: TextPool) -> dict:
    """Phase 2's changes: part of the content of 1 % of the small files rewritten in place (size kept); 4 KiB
    inserted in the middle of the first large file (everything after it shifts: a delta must cope); in the second,
    1 % of its bytes rewritten in place as 4 KiB pieces at random offsets; and 1 MiB appended to the third."""
    rng = random.Random(f"{seed}/{spec.name}/edits")
    small = small_file_paths(spec)
    chosen = sorted(rng.sample(small, max(1, round(len(small) * 0.01)))) if small else []
    rewritten = 0
    for path in chosen:
        full = os.path.join(root, path)
        size = os.path.getsize(full)
        length = max(1, int(size * rng.uniform(0.1, 0.5)))
        offset = rng.randrange(0, size - length + 1)
        data = rng.randbytes(length) if path.endswith(".bin") else pool.take(rng, length)
        with open(full, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)
        rewritten += length
    inserted = 0
    large = large_file_paths(spec)
    if large:
        full = os.path.join(root, large[0])
        insertion = random_bytes(rng, 4 * KIB)
        offset = spec.large_size // 2 + rng.randrange(0, MIB)
        with open(full, "r+b") as handle:
            handle.seek(offset)
            tail = handle.read()
            handle.seek(offset)
            handle.write(insertion)
            handle.write(tail)
        inserted = len(insertion)
    scattered = 0
    if len(large) > 1:
        full = os.path.join(root, large[1])
        pieces = spec.large_size // 100 // (4 * KIB)
        with open(full, "r+b") as handle:
            for offset in sorted(rng.randrange(0, spec.large_size - 4 * KIB) for _ in range(pieces)):
                handle.seek(offset)
                handle.write(random_bytes(rng, 4 * KIB))
        scattered = pieces * 4 * KIB
    appended = 0
    if len(large) > 2:
        with open(os.path.join(root, large[2]), "ab") as handle:
            handle.write(random_bytes(rng, MIB))
        appended = MIB
    return {"small_files_edited": len(chosen), "small_bytes_rewritten": rewritten,
            "large_file_insertion_bytes": inserted, "large_file_scattered_bytes": scattered,
            "large_file_appended_bytes": appended}
