"""What every benchmark's main does the same way: `--render FILE` prints an earlier run's tables, and a signal
ends the run through SystemExit so that its `finally` blocks stop the tools and write what was measured."""
import json
import signal


def render_requested(arguments, render) -> bool:
    """With --render: print the tables of that run's JSON (Markdown with --markdown) and return True."""
    if not arguments.render:
        return False
    with open(arguments.render) as handle:
        print(render(json.load(handle), markdown=arguments.markdown))
    return True


def exit_on_signals() -> None:
    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
