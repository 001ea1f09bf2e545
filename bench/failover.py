"""Client-visible outage of a failover: understudy against keepalived, in scripts/lab's network namespaces.

Started by bench/failover. Each trial gets a fresh lab: the service on alpha, the tool's two daemons, and a client
polling http://10.77.1.100/ every 20 ms over a new connection each time (scripts/lab-poll). Once the client sees
alpha steadily, alpha fails: either its failover daemon and its service are SIGKILLed ("kill"), or all its
interfaces go down ("isolate"). The trial ends when the client has seen beta steadily (bounded at 20 s), plus a
second. The outage runs from the first attempt alpha did not answer to the first answer from beta. After a kill,
alpha keeps the address; the client's ARP entry is then flushed to see which node answers a fresh lookup.
Results go to bench/out/ as JSON with a text table beside them; every trial's logs and poll file beside those.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import cli, failover_report, outage, results  # noqa: E402
from benchlib.failover_keepalived import KeepalivedPair, keepalived_version  # noqa: E402
from benchlib.failover_lab import Lab, SetupError  # noqa: E402
from benchlib.failover_understudy import UnderstudyPair, has_failover  # noqa: E402
from live import source_tree  # noqa: E402

TOOLS = {"understudy-default": ("understudy", False), "understudy-tuned": ("understudy", True),
         "keepalived-1": ("keepalived", 1.0), "keepalived-0.1": ("keepalived", 0.1)}
LABELS = {"understudy-default": "understudy (defaults)",
          "understudy-tuned": "understudy (50ms/250ms, checks 50ms/100ms, fall 2)",
          "keepalived-1": "keepalived advert_int 1", "keepalived-0.1": "keepalived advert_int 0.1"}
FAILURES = ("kill", "isolate")
STEADY = 25          # answers in a row (0.5 s at 20 ms) that make "the client sees NODE steadily"
TAIL_S = 1.0         # polling goes on this long after the client sees beta steadily
SWITCH_TIMEOUT_S = 20.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Run:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.logs = os.path.join(arguments.out, f"failover-logs-{self.stamp}")
        self.prefix = f"fo{os.getpid() % 10000}"
        self.failures: list[str] = []
        self.results = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "machine": {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
                        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
                        "load_at_start": os.getloadavg()[0], "keepalived": keepalived_version(),
                        "source_tree": os.environ.get("UNDERSTUDY_BUILT_FROM") or source_tree(),
                        "binary": arguments.binary},
            "settings": {key: value for key, value in vars(arguments).items() if key not in ("render", "markdown")}
            | {"steady_answers": STEADY, "tail_s": TAIL_S, "switch_timeout_s": SWITCH_TIMEOUT_S},
            "labels": LABELS, "trials": [], "setup_failures": [], "failures": self.failures, "logs": self.logs,
        }

    def make_pair(self, tool: str, lab: Lab):
        kind, setting = TOOLS[tool]
        if kind == "keepalived":
            return KeepalivedPair(lab, setting)
        return UnderstudyPair(lab, self.arguments.binary, tuned=setting)

    def trial(self, tool: str, failure: str, index: int) -> dict:
        record = {"tool": tool, "failure": failure, "trial": index}
        work = os.path.join(self.logs, f"{tool}-{failure}-{index}")
        while os.path.exists(work):   # a setup tried again keeps the failed one's logs
            work += "+"
        lab = Lab(self.prefix, work)
        failed_at, pair = None, None
        try:
            started = time.monotonic()
            lab.up()
            lab.start_poller(180, self.arguments.interval, self.arguments.timeout)
            pair = self.make_pair(tool, lab)
            pair.start()
            lab.wait_steady("alpha", STEADY, 10, after=time.monotonic())
            record["setup_s"] = time.monotonic() - started
            record["vip_before"] = [node for node in ("alpha", "beta") if lab.has_address(node)]
            failed_at = time.monotonic()
            if failure == "kill":
                pair.kill_primary()
                lab.kill_service("alpha")
            else:
                lab.lab("isolate", self.prefix, "alpha")
            lab.wait_steady("beta", STEADY, SWITCH_TIMEOUT_S, after=failed_at)
            time.sleep(TAIL_S)
            record["vip_after"] = [node for node in ("alpha", "beta") if lab.has_address(node)]
            record["client_arp_after"] = lab.client_neighbour()
            if failure == "kill":
                record["flush_probe"] = self.flush_probe(lab)
            record["tool_state"] = pair.describe()
        except Exception as error:  # noqa: BLE001 — the trial is recorded as failed and the run goes on
            record["error"] = f"{type(error).__name__}: {error}"
            self.failures.append(f"{tool} {failure} #{index}: {record['error']}")
            if isinstance(error, SetupError):
                self.results["trials"].append(record)
                raise
        finally:
            lab.stop_poller()
            if failed_at is not None:
                record["outage"] = outage.outage(lab.attempts(), failed_at, "alpha", "beta")
            lab.close()
            if hasattr(pair, "close"):
                pair.close()
        return record

    def flush_probe(self, lab: Lab) -> dict:
        """alpha's kernel still holds the address after its daemon was killed: who answers a fresh ARP lookup?"""
        flushed_at = time.monotonic()
        lab.flush_client_neighbour()
        time.sleep(2)
        seen = [attempt for attempt in lab.attempts() if attempt.at >= flushed_at]
        return {"beta": sum(1 for a in seen if a.node == "beta"), "alpha": sum(1 for a in seen if a.node == "alpha"),
                "fail": sum(1 for a in seen if not a.ok), "client_arp": lab.client_neighbour()}

    def measured_trial(self, tool: str, failure: str, index: int) -> dict:
        """A trial whose setup failed before alpha was failed (nothing measured) is run again, twice at most;
        the failed setups are kept in the results."""
        for attempt in range(3):
            record = self.trial(tool, failure, index)
            if record.get("outage") is not None or attempt == 2:
                return record
            log(f"{tool} {failure} #{index}: setup failed ({record.get('error')}); trying again")
            self.results["setup_failures"].append(record)
            self.failures.pop()   # counted once, in setup_failures, unless the last attempt fails too
        return record

    def run(self) -> None:
        for index in range(1, self.arguments.trials + 1):
            for tool in self.arguments.tools:
                for failure in self.arguments.failures:
                    record = self.measured_trial(tool, failure, index)
                    self.results["trials"].append(record)
                    result = record.get("outage") or {}
                    shown = (f"outage {result['outage_s']:.3f} s (failure → beta {result['since_failure_s']:.3f} s), "
                             f"alpha answers after the switch {result['old_answers_after_switch']}, "
                             f"failures after it {result['failures_after_switch']}, VIP after on {record.get('vip_after')}"
                             if result.get("outage_s") is not None else f"NOT MEASURED: {record.get('error')}")
                    log(f"{tool} {failure} #{index}: {shown}"
                        + (f"; after ARP flush {record['flush_probe']}" if record.get("flush_probe") else ""))

    def save(self) -> str:
        return results.save(self.results, self.arguments.out, "failover", self.stamp,
                            failover_report.render(self.results), "failover-latest.json")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/failover", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="the understudy executable (bench/failover passes UNDERSTUDY_BIN)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated: {', '.join(TOOLS)}")
    parser.add_argument("--failures", default=",".join(FAILURES), help="comma-separated: kill, isolate")
    parser.add_argument("--trials", type=int, default=5, help="trials per tool and failure")
    parser.add_argument("--interval", type=float, default=0.02, help="the client's polling interval, s")
    parser.add_argument("--timeout", type=float, default=0.2, help="the client's timeout per request, s")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--render", metavar="JSON", help="only print the tables of an earlier run's JSON")
    parser.add_argument("--markdown", action="store_true", help="with --render: Markdown tables")
    arguments = parser.parse_args()
    if arguments.render:
        return arguments
    arguments.tools = [name for name in arguments.tools.split(",") if name]
    arguments.failures = [name for name in arguments.failures.split(",") if name]
    for name in arguments.tools:
        if name not in TOOLS:
            parser.error(f"unknown tool {name!r}; choose from {', '.join(TOOLS)}")
    for name in arguments.failures:
        if name not in FAILURES:
            parser.error(f"unknown failure {name!r}; choose from {', '.join(FAILURES)}")
    if arguments.trials < 1 or arguments.interval <= 0 or arguments.timeout <= 0:
        parser.error("--trials, --interval and --timeout must be positive")
    if any(TOOLS[name][0] == "understudy" for name in arguments.tools):
        if not arguments.binary:
            parser.error("--binary is required for the understudy tools (bench/failover passes UNDERSTUDY_BIN)")
        if not has_failover(arguments.binary):
            parser.error(f"{arguments.binary} has no failover yet (no `failover` subcommand); "
                         f"run --tools keepalived-1,keepalived-0.1, or build a binary with issue 4's failover")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    if cli.render_requested(arguments, failover_report.render):
        return 0
    run = Run(arguments)
    cli.exit_on_signals()
    started = time.monotonic()
    try:
        run.run()
    except SetupError:
        pass   # recorded with its trial; the tables and PROBLEMS below show it
    except BaseException as error:
        run.failures.append(f"{type(error).__name__}: {error}")
        raise
    finally:
        run.results["total_s"] = time.monotonic() - started
        run.results["machine"]["load_at_end"] = os.getloadavg()[0]
        subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lab"), "down",
                        run.prefix], capture_output=True, timeout=60)
        path = run.save()
    print()
    print(failover_report.render(run.results))
    print(f"\nraw results: {path}")
    if run.failures:
        print("\nPROBLEMS:\n  " + "\n  ".join(run.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
