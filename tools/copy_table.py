"""Copy a restored DynamoDB table's items into a stack's table (the regional restore drill).

    python -m tools.copy_table --source <restored table> --target <stack table> [--region R]

Items are copied as they are, except the outbox (`pk` starting `OUTBOX#`): those events were
published already, and copying them would publish them again through the target table's relay.
Existing target items with the same key are overwritten (the copy is idempotent: run it again after
an interruption). Read with a parallel scan, written with BatchWriteItem, unprocessed items retried.
docs/runbook.md#restore-in-another-region-the-regional-failure-drill
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SKIPPED_PREFIXES = ("OUTBOX#",)


def _write(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    pending = [{"PutRequest": {"Item": item}} for item in items]
    delay = 0.05
    while pending:
        answer = ddb.batch_write_item(RequestItems={table: pending})
        pending = answer.get("UnprocessedItems", {}).get(table, [])
        if pending:
            time.sleep(delay)
            delay = min(delay * 2, 2)


def _copy_segment(ddb: Any, source: str, target: str, segment: int, segments: int) -> tuple[int, int]:
    copied = skipped = 0
    kwargs: dict[str, Any] = {"TableName": source, "Segment": segment, "TotalSegments": segments}
    while True:
        page = ddb.scan(**kwargs)
        keep = [i for i in page["Items"] if not str(i["pk"]["S"]).startswith(SKIPPED_PREFIXES)]
        skipped += len(page["Items"]) - len(keep)
        for start in range(0, len(keep), 25):
            _write(ddb, target, keep[start : start + 25])
        copied += len(keep)
        if "LastEvaluatedKey" not in page:
            return copied, skipped
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def copy_table(ddb: Any, source: str, target: str, segments: int = 4) -> tuple[int, int]:
    """(items copied, outbox items left out)."""
    with ThreadPoolExecutor(max_workers=segments) as pool:
        results = list(pool.map(lambda s: _copy_segment(ddb, source, target, s, segments), range(segments)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--region")
    parser.add_argument("--segments", type=int, default=4)
    args = parser.parse_args(argv)
    import boto3

    ddb = boto3.client("dynamodb", region_name=args.region)
    copied, skipped = copy_table(ddb, args.source, args.target, args.segments)
    print(f"copied {copied} items from {args.source} to {args.target}; left out {skipped} outbox items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
