"""``make run``: start the local stack and keep it up until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import logging
import signal
import sys
import time

from tessera_local import allocator
from tessera_local.stack import LocalStack, Settings, StackInUse


def main() -> int:
    allocator.configure()  # before the stack allocates anything to keep
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = LocalStack(Settings.from_env())
    # The handler only notes the signal: a handler that took a lock (Event.set) could be
    # interrupted by a second signal (Ctrl-C twice, a second SIGTERM) while holding it, and the
    # second would wait for the first for ever.
    signals: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _: signals.append(number))
    signal.signal(signal.SIGINT, lambda number, _: signals.append(number))
    try:
        stack.start()
    except StackInUse as refused:
        print(f"Tessera local stack not started: {refused}", file=sys.stderr, flush=True)
        return 1
    print(stack.ready_line(), flush=True)
    while not signals:
        time.sleep(0.2)
    stack.stop()
    print("Tessera local stack stopped; data kept in", stack.settings.data_dir, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
