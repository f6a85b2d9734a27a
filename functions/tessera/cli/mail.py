"""``tessera mail quarantined|reprocess|redrive``: the mail intake could not turn into a ticket,
and the mail whose intake failed after Lambda's retries (the intake dead-letter queue)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mail", help="inbound mail intake could not finish: list, reprocess, redrive"
    )
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("quarantined", help="list quarantined mail, oldest first")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=run_list)

    reprocess = actions.add_parser(
        "reprocess", help="run stored mail through intake again (SES verdicts count as passed)"
    )
    which = reprocess.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", help="the raw mail's S3 key, e.g. inbound/<id>")
    which.add_argument("--quarantined", action="store_true", help="every quarantined mail")
    reprocess.add_argument("--limit", type=int, default=100)
    reprocess.set_defaults(run=run_reprocess)

    redrive = actions.add_parser(
        "redrive",
        help=(
            "run the mail whose intake failed after Lambda's retries (the intake dead-letter "
            "queue, $INTAKE_DEAD_LETTER_QUEUE_URL) through intake again"
        ),
    )
    redrive.add_argument("--queue-url", help="the IntakeDeadLetterQueueUrl output")
    redrive.set_defaults(run=run_redrive)


def run_list(args: argparse.Namespace) -> int:
    from tessera.bootstrap import dependencies

    held = dependencies().tickets.quarantined(limit=args.limit)
    for item in held:
        print(f"{item.at.isoformat()}  {item.key}  {item.reason}")
    if not held:
        print("no quarantined mail", file=sys.stderr)
    return 0


def run_reprocess(args: argparse.Namespace) -> int:
    from tessera import settings
    from tessera.bootstrap import dependencies
    from tessera.mail.intake import reprocess

    deps = dependencies()
    prefix = settings.mail_intake().raw_mail_prefix
    keys = (
        [q.key for q in deps.tickets.quarantined(limit=args.limit)]
        if args.quarantined
        else [args.key]
    )
    still_held = 0
    for key in keys:
        outcome = reprocess(deps, key, prefix)
        detail = outcome.ticket_id or outcome.reason
        print(f"{key}: {outcome.result} {detail}".rstrip())
        still_held += outcome.result == "quarantined"
    return 1 if still_held else 0


def run_redrive(args: argparse.Namespace) -> int:
    """Each dead letter is SES's event: its mail runs through intake as the handler would have
    run it (intake is idempotent on the mail, so a redrive never makes a second ticket). A
    letter leaves the queue once its every mail has an outcome; one that fails again stays."""
    import os

    from tessera import settings
    from tessera.adapters.sqs import SqsDeadLetters
    from tessera.bootstrap import dependencies
    from tessera.mail.intake import receive_ses_record

    queue_url = args.queue_url or os.environ.get("INTAKE_DEAD_LETTER_QUEUE_URL", "").strip()
    if not queue_url:
        print(
            "tessera: name the queue: --queue-url or INTAKE_DEAD_LETTER_QUEUE_URL", file=sys.stderr
        )
        return 2
    deps = dependencies()
    prefix = settings.mail_intake().raw_mail_prefix
    letters = SqsDeadLetters(queue_url)
    redriven = failed = 0
    for letter in letters.take():
        try:
            for record in letter.event.get("Records", []):
                ses_message_id, outcome = receive_ses_record(deps, record, prefix)
                detail = outcome.ticket_id or outcome.reason
                print(f"{ses_message_id}: {outcome.result} {detail}".rstrip())
        except Exception as error:
            failed += 1
            print(f"tessera: still failing ({error}); it stays in the queue", file=sys.stderr)
            continue
        letters.done(letter)
        redriven += 1
    print(f"redriven {redriven}, still failing {failed}", file=sys.stderr)
    return 1 if failed else 0
