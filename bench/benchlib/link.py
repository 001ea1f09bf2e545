"""A shaped link between the two sides of a comparison, for `bench/run --link RATE`: the "standby" side (understudy's
standby daemon, rsync's client) runs in a network namespace of its own, joined to the machine by a veth pair whose
two ends each carry a `tc tbf` qdisc with that rate (this kernel has no netem; a veth adds microseconds, not the
tenth of a millisecond of a switched LAN), so every byte either tool moves crosses the same link. The primary side (understudy's primary, the rsync daemon) stays in the machine's namespace.

Addresses are private ones the bench makes and removes (10.231.0.1 and .2); nothing leaves the machine.
"""
import os
import re
import subprocess

PRIMARY_ADDRESS = "10.231.0.1"
STANDBY_ADDRESS = "10.231.0.2"


def _run(*command: str) -> None:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")


def valid_rate(rate: str) -> bool:
    """tc's rates as bench/run accepts them: a number and a unit (e.g. 1gbit, 100mbit)."""
    return re.fullmatch(r"[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit)", rate) is not None


class ShapedLink:
    """Loopback when `rate` is None: both sides on 127.0.0.1 in the machine's namespace."""

    def __init__(self, rate: str | None):
        self.rate = rate
        self.namespace: str | None = None
        self.outside: str | None = None
        self.primary_address = PRIMARY_ADDRESS if rate else "127.0.0.1"
        self.standby_address = STANDBY_ADDRESS if rate else "127.0.0.1"

    @property
    def standby_prefix(self) -> list[str]:
        """What runs a command on the standby side."""
        return ["ip", "netns", "exec", self.namespace] if self.namespace else []

    @property
    def description(self) -> str:
        if not self.rate:
            return "loopback (127.0.0.1)"
        return f"veth between network namespaces, each end shaped by tc tbf to {self.rate}"

    def open(self) -> None:
        if not self.rate:
            return
        suffix = str(os.getpid() % 100000)
        namespace, outside, inside = f"usbench-{suffix}", f"usb{suffix}a", f"usb{suffix}b"
        _run("ip", "netns", "add", namespace)
        self.namespace = namespace
        _run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        self.outside = outside
        _run("ip", "link", "set", inside, "netns", namespace)
        _run("ip", "addr", "add", f"{PRIMARY_ADDRESS}/24", "dev", outside)
        _run("ip", "link", "set", outside, "up")
        _run("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{STANDBY_ADDRESS}/24", "dev", inside)
        _run("ip", "netns", "exec", namespace, "ip", "link", "set", inside, "up")
        _run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        # The bucket holds several GSO packets of 64 KiB (a smaller one would drop them); 20 ms of queue.
        shaping = ["root", "tbf", "rate", self.rate, "burst", "512kb", "latency", "20ms"]
        _run("tc", "qdisc", "add", "dev", outside, *shaping)
        _run("ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", inside, *shaping)

    def close(self) -> None:
        # Removing the namespace removes the veth pair with it, unless setting up failed before the pair was split.
        if self.outside:
            subprocess.run(["ip", "link", "del", self.outside], capture_output=True, timeout=30)
            self.outside = None
        if self.namespace:
            subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, timeout=30)
            self.namespace = None
