"""What a client saw of a failover, from the file scripts/lab-poll writes: one line per attempt,
`MONOTONIC_START  ok|fail  BODY-OR-ERROR`, where an ok body is `lab-service NODE`.

The outage runs from the first attempt after the failure that the old node did not answer (a failure, or an
answer from anyone else) to the first answer from the new node. Answers from the old node after that, and
failures after that, are counted: both should be 0.
"""
from dataclasses import dataclass


@dataclass
class Attempt:
    at: float
    ok: bool
    text: str

    @property
    def node(self) -> str | None:
        """The node that answered, or None for a failure."""
        if self.ok and self.text.startswith("lab-service "):
            return self.text.split()[1]
        return None


def read(path: str) -> list[Attempt]:
    attempts = []
    with open(path, errors="replace") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("  ", 2)
            if len(fields) >= 2 and fields[1] in ("ok", "fail"):   # a torn last line is skipped
                try:
                    attempts.append(Attempt(float(fields[0]), fields[1] == "ok", fields[2] if len(fields) > 2 else ""))
                except ValueError:
                    pass
    return sorted(attempts, key=lambda attempt: attempt.at)   # overlapping attempts end out of order


def steady_since(attempts: list[Attempt], node: str, count: int, after: float = float("-inf")) -> float | None:
    """The start of the first run of `count` consecutive answers from `node` after `after`, or None."""
    run_start, run = None, 0
    for attempt in attempts:
        if attempt.at < after:
            continue
        if attempt.node == node:
            run_start = attempt.at if run == 0 else run_start
            run += 1
            if run >= count:
                return run_start
        else:
            run = 0
    return None


def outage(attempts: list[Attempt], failed_at: float, old: str, new: str) -> dict:
    """The client-visible outage of a switch from `old` to `new` caused at `failed_at` (seconds, monotonic)."""
    after = [attempt for attempt in attempts if attempt.at >= failed_at]
    first_bad = next((attempt for attempt in after if attempt.node != old), None)
    recovered = next((attempt for attempt in after if attempt.node == new), None)
    result = {"attempts": len(after), "first_bad_at": first_bad.at if first_bad else None,
              "recovered_at": recovered.at if recovered else None, "outage_s": None, "since_failure_s": None,
              "old_answers_after_failure": sum(1 for attempt in after if attempt.node == old),
              "old_answers_after_switch": 0, "failures_after_switch": 0, "other_answers": 0, "first_error": None}
    if first_bad is not None:
        result["first_error"] = first_bad.text
    if recovered is None or first_bad is None:
        return result
    result["outage_s"] = recovered.at - first_bad.at
    result["since_failure_s"] = recovered.at - failed_at
    later = [attempt for attempt in after if attempt.at > recovered.at]
    result["old_answers_after_switch"] = sum(1 for attempt in later if attempt.node == old)
    result["failures_after_switch"] = sum(1 for attempt in later if not attempt.ok)
    result["other_answers"] = sum(1 for attempt in after if attempt.ok and attempt.node not in (old, new))
    errors: dict[str, int] = {}
    for attempt in after:
        if not attempt.ok and attempt.at < recovered.at:
            kind = attempt.text.split(":")[0]
            errors[kind] = errors.get(kind, 0) + 1
    result["errors_during_outage"] = errors
    return result
