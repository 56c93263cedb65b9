"""Move messages from a dead-letter queue back to the queue they came from.

    make redrive QUEUE=<dlq name or URL> [TO=<queue name or URL>] [MAX=<n>]
    python -m tools.redrive <dlq> [--to <queue>] [--max N] [--outputs .local/outputs.json]

Without --to, the destination is the queue whose redrive policy names this DLQ (SQS
ListDeadLetterSourceQueues). EventBridge delivery DLQs have no source queue: pass --to with the
consumer queue. Each message is sent to the destination before it is deleted from the DLQ, so a
crash mid-way duplicates at most one batch (consumers are idempotent) and never loses one.
--outputs points boto3 at the stack the file describes (the local stack's AWS stand-in, or a
deployed stack's region).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from local import outputs as stack_outputs


def queue_url(sqs: Any, name_or_url: str) -> str:
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    return str(sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"])


def source_queue(sqs: Any, dlq_url: str) -> str:
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) != 1:
        raise SystemExit(f"cannot tell where to redrive: {len(sources)} source queues; pass --to")
    return str(sources[0])


def redrive(sqs: Any, dlq_url: str, destination_url: str, *, limit: int | None = None) -> int:
    """Move up to `limit` messages (all when None); returns how many were moved."""
    moved = 0
    while limit is None or moved < limit:
        batch_size = 10 if limit is None else max(1, min(10, limit - moved))
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = []
        for index, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=destination_url, Entries=entries)
        ok = {entry["Id"] for entry in sent.get("Successful", [])}
        delete = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if str(index) in ok
        ]
        if delete:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=delete)
        moved += len(delete)
        if sent.get("Failed"):
            raise SystemExit(f"{len(sent['Failed'])} messages could not be sent; they stay in the DLQ")
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("queue", help="the dead-letter queue (name or URL)")
    parser.add_argument("--to", help="destination queue (name or URL); default: the DLQ's source queue")
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument("--outputs", help="the stack's outputs file (.local/outputs.json: the local stack)")
    parser.add_argument("--stack", help="the stack in the outputs file, when it has several")
    args = parser.parse_args(argv)
    if args.outputs and Path(args.outputs).exists():
        _stack, outputs = stack_outputs.read(Path(args.outputs), args.stack)
        stack_outputs.target_stack(outputs)
    import boto3

    sqs = boto3.client("sqs")
    dlq = queue_url(sqs, args.queue)
    destination = queue_url(sqs, args.to) if args.to else source_queue(sqs, dlq)
    moved = redrive(sqs, dlq, destination, limit=args.max)
    print(f"moved {moved} message(s) from {dlq} to {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
