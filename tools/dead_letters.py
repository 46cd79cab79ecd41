"""What sits in the dead-letter queues, and moving it back. `make dlq`, `make redrive [QUEUE=name]`.

python -m tools.dead_letters list [--show N] [QUEUE]
python -m tools.dead_letters redrive [QUEUE]

QUEUE is one of the shop's dead-letter queues, or any queue that some queue's RedrivePolicy names
(client/dead_letters.py finds its source).
"""

import argparse
import sys

from client.dead_letters import (  # noqa: F401 (the names tests and the demo use through this tool)
    DeadLetter,
    DeadLetterQueue,
    Moved,
    UnknownQueue,
    error_context,
    listing,
    move_matching,
    redrive_all,
)


def print_listing(found: list[DeadLetterQueue]) -> None:
    for queue in found:
        print(f"{queue.name}: {queue.count} message(s){f' (redrive to {queue.source})' if queue.source else ''}")
        for letter in queue.first:
            print(f"  - {letter.message_id}: {letter.why}")
            print(f"    {letter.body[:200]}{'...' if len(letter.body) > 200 else ''}")
    print(f"total: {sum(queue.count for queue in found)}")


def print_moves(moves: list[Moved]) -> None:
    for move in moves:
        print(f"{move.dead_letter}: moved {move.count} message(s) back to {move.source}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dead_letters", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing_parser = commands.add_parser(
        "list", help="count per dead-letter queue, with the first messages and why they failed"
    )
    listing_parser.add_argument("--show", type=int, default=3, help="messages to show per queue")
    listing_parser.add_argument("queue", nargs="?", help="one dead-letter queue (default: the shop's)")
    move = commands.add_parser("redrive", help="move messages back to their source queue")
    move.add_argument("queue", nargs="?", help="one dead-letter queue (default: every one that has a source)")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            print_listing(listing(args.queue or None, args.show))
        else:
            print_moves(redrive_all(args.queue or None))
    except UnknownQueue as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
