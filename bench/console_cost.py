"""What an open console costs the daemons in CPU: the same primary and standby (one share of `--files` small files,
in sync and idle), watched for `--seconds` with the console open on the primary (its event stream and the page's
5 s refresh) and for as long without, alternately, `--rounds` times each. The CPU both daemons use meanwhile is read
from /proc. The mirror's work is CPU-bound on this machine, so the share of a core the console takes bounds what it
can take from the mirror's throughput. Started by bench/console-cost; results go to bench/out/ as JSON.
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import measure  # noqa: E402
from benchlib.console_watcher import ConsoleWatcher  # noqa: E402
from benchlib.live_procs import GroupRegistry  # noqa: E402
from benchlib.live_understudy import UnderstudyLive  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    arguments = parser.parse_args()
    top = "/dev/shm/understudy-console-cost"
    shutil.rmtree(top, ignore_errors=True)
    source = os.path.join(top, "source")
    os.makedirs(source)
    for index in range(arguments.files):
        directory = os.path.join(source, f"d{index // 100}")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"f{index}"), "w") as handle:
            handle.write(f"file {index}\n" * 20)
    processes = GroupRegistry()
    tool = UnderstudyLive("understudy-console", arguments.binary, os.path.join(top, "tool"), source, processes,
                          console=True)
    samples = {"open": [], "closed": []}
    try:
        tool.prepare()
        tool.start(timeout=120)
        # start() opened the watcher; this measurement opens and closes its own.
        tool.watcher.stop()
        tool.watcher = None
        time.sleep(3)
        for _ in range(arguments.rounds):
            for state in ("closed", "open"):
                watcher = None
                if state == "open":
                    watcher = ConsoleWatcher(tool.tool.console_url, tool.tool.console_token, group="bench")
                    watcher.start()
                before = tool.cpu_seconds()
                time.sleep(arguments.seconds)
                used = tool.cpu_seconds() - before
                figures = watcher.stop() if watcher else {}
                samples[state].append({"cpu_s": used, "share_of_a_core": used / arguments.seconds, **figures})
                print(f"console {state}: {used:.3f} s CPU in {arguments.seconds:.0f} s {figures or ''}", flush=True)
    finally:
        tool.close()
        processes.stop_all()
        shutil.rmtree(top, ignore_errors=True)
    open_share = statistics.mean(s["share_of_a_core"] for s in samples["open"])
    closed_share = statistics.mean(s["share_of_a_core"] for s in samples["closed"])
    result = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "command": " ".join(sys.argv),
              "samples": samples, "open_share_of_a_core": open_share, "closed_share_of_a_core": closed_share,
              "console_share_of_a_core": open_share - closed_share}
    os.makedirs(arguments.out, exist_ok=True)
    path = os.path.join(arguments.out, f"console-cost-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"both daemons idle: {closed_share * 100:.2f} % of a core; with the console open: {open_share * 100:.2f} %; "
          f"the console: {(open_share - closed_share) * 100:.2f} % of a core ({path})")


if __name__ == "__main__":
    main()
