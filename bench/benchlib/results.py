"""Writing a benchmark run's results: JSON for --render, the text tables beside it, and a *latest.json link."""
import json
import os


def save(results: dict, out_dir: str, prefix: str, stamp: str, text: str, latest_name: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{prefix}-{stamp}.json")
    with open(path, "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    with open(os.path.join(out_dir, f"{prefix}-{stamp}.txt"), "w") as handle:
        handle.write(text + "\n")
    latest = os.path.join(out_dir, latest_name)
    if os.path.lexists(latest):
        os.remove(latest)
    os.symlink(os.path.basename(path), latest)
    return path
