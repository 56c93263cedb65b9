"""Runs the event source mappings (local.mappings) as Lambda does: SQS and DynamoDB-stream pollers
with batching, filters, partial batch failures, retries, bisecting and on-failure destinations, and a
poller per rule Lambda target. `Mappings` starts and stops them all."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from local.functions import FunctionSpec, function_by_arn
from local.mappings import MappingSpec
from local.moto_server import Clients
from local.patterns import matches
from local.provision import RuleLambdaTarget
from local.runtime import InvokeResult
from local.template import REGION

log = logging.getLogger("local.pollers")

LONG_POLL_S = 5

Invoker = Callable[[FunctionSpec, Any, str], tuple[InvokeResult, str | None]]
"""invoke(function, event, trigger) -> (result, outcome text); the caller logs the invocation."""


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _plain(value: Any) -> Any:
    """boto3 shapes (datetimes, bytes) -> JSON-safe values as the Lambda event carries them."""
    return json.loads(json.dumps(value, default=_json_default))


def batch_item_failures(payload: Any, ids: list[str]) -> list[str] | None:
    """Failed item ids; None when the response says the whole batch failed (invalid ids)."""
    if not isinstance(payload, dict) or not payload.get("batchItemFailures"):
        return []
    failed = []
    for item in payload["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return None
        failed.append(str(identifier))
    return failed


class _Poller(threading.Thread):
    def __init__(self, name: str, stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.stop_event = stop

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except ClientError as exc:  # AWS said no (throttled, unavailable): as Lambda does, retry
                if self.stop_event.is_set():
                    return
                log.warning("%s: %s; retrying", self.name, exc.response.get("Error", {}).get("Code"))
                self.stop_event.wait(1)
            except Exception:
                if self.stop_event.is_set():
                    return
                log.exception("%s failed; retrying", self.name)
                self.stop_event.wait(1)

    def poll_once(self) -> None:
        raise NotImplementedError


class SqsPoller(_Poller):
    def __init__(
        self,
        spec: MappingSpec,
        clients: Clients,
        invoke: Invoker,
        stop: threading.Event,
        retry_delay_s: float | None = None,
        retry_after_timeout: bool = False,
    ) -> None:
        super().__init__(f"sqs:{spec.logical_id}", stop)
        self.spec = spec
        self.sqs = clients("sqs")
        self.invoke = invoke
        name = spec.source_arn.rsplit(":", 1)[-1]
        self.queue_name = name
        self.queue_url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        self.fifo = name.endswith(".fifo")
        self.retry_delay_s = retry_delay_s
        if retry_delay_s is not None and retry_after_timeout:
            # A shortened wait must still outlast the attempt before it: an attempt that died
            # mid-way may have left a Powertools Idempotency INPROGRESS record that expires only
            # at that invocation's deadline. On AWS the visibility timeout (>= 6x the function
            # timeout) guarantees this; a shorter local wait sends such messages to the DLQ.
            self.retry_delay_s = max(retry_delay_s, float(spec.function.timeout_s))
        workers = 1 if self.fifo else max(1, spec.max_concurrency)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"sqs-{name[:20]}")
        self.slots = threading.Semaphore(workers)

    def poll_once(self) -> None:
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.spec.window_s
        while len(messages) < self.spec.batch_size and not self.stop_event.is_set():
            # An idle long poll costs a request per LONG_POLL_S; moto answers as soon as a message arrives.
            wait = LONG_POLL_S if not messages else max(0, min(1, int(deadline - time.monotonic() + 0.999)))
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.spec.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages += received
            if not messages:
                return
            if not received or time.monotonic() >= deadline:
                break
        if not messages:
            return
        records = [self._record(m) for m in messages]
        if self.spec.filters:
            kept = [r for r in records if any(matches(f, self._filterable(r)) for f in self.spec.filters)]
            dropped = [r for r in records if r not in kept]
            self._delete_records(dropped)
            records = kept
        if not records:
            return
        self.slots.acquire()
        self.executor.submit(self._process, records)

    def _process(self, records: list[dict[str, Any]]) -> None:
        try:
            ids = [r["messageId"] for r in records]
            result, _ = self.invoke(self.spec.function, {"Records": records}, f"sqs {self.queue_name}")
            if not result.ok:
                self._retry_later(records)
                return
            failed = batch_item_failures(result.payload, ids) if self.spec.report_failures else []
            if failed is None:
                self._retry_later(records)
                return
            self._delete_records([r for r in records if r["messageId"] not in failed])
            self._retry_later([r for r in records if r["messageId"] in failed])
        except Exception:
            log.exception("processing a batch from %s failed", self.queue_name)
        finally:
            self.slots.release()

    def _retry_later(self, records: list[dict[str, Any]]) -> None:
        # Lambda leaves failed messages alone: they reappear after the visibility timeout and the
        # queue's redrive policy moves them to the DLQ. --sqs-retry-delay shortens the wait locally.
        if self.retry_delay_s is None or not records:
            return
        for record in records:
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=int(self.retry_delay_s),
                )
            except Exception:
                log.debug("could not change visibility", exc_info=True)

    def _delete_records(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            if chunk:
                try:
                    self._delete_batch(chunk)
                except ClientError as exc:
                    # Processed, but still in the queue: SQS delivers them again after the
                    # visibility timeout, and the (idempotent) consumer sees a duplicate.
                    log.warning(
                        "%s: could not delete %d processed messages (%s); they will be delivered again",
                        self.queue_name,
                        len(chunk),
                        exc.response.get("Error", {}).get("Code"),
                    )
                    self._retry_later(chunk)  # after the (locally shortened) visibility timeout

    def _delete_batch(self, chunk: list[dict[str, Any]]) -> None:
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
        )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
        message_attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            message_attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value.get("DataType"),
            }
            message_attributes[name] = {k: v for k, v in message_attributes[name].items() if v is not None}
        return _plain(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message.get("Body", ""),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": message.get("MD5OfBody"),
                "eventSource": "aws:sqs",
                "eventSourceARN": self.spec.source_arn,
                "awsRegion": REGION,
            }
        )

    @staticmethod
    def _filterable(record: dict[str, Any]) -> dict[str, Any]:
        body: Any = record["body"]
        with contextlib.suppress(ValueError):
            body = json.loads(body)
        return {**record, "body": body}


class StreamPoller(_Poller):
    """One DynamoDB stream -> one function, shard by shard, in order, blocking on failures."""

    IDLE_MAX_S = 0.25
    BUSY_S = 0.05
    HINTED_S = 0.05
    SAFETY_FETCH_S = 1.0

    def __init__(
        self,
        spec: MappingSpec,
        clients: Clients,
        invoke: Invoker,
        stop: threading.Event,
        length_hint: Callable[[str], int | None] | None = None,
    ) -> None:
        super().__init__(f"stream:{spec.logical_id}", stop)
        self.spec = spec
        self.streams = clients("dynamodbstreams")
        self.clients = clients
        self.invoke = invoke
        self.table = spec.source_arn.split(":table/", 1)[-1].split("/", 1)[0]
        self.shards: list[str] = []
        self.buffer: list[dict[str, Any]] = []
        self.idle_s = self.BUSY_S
        self.length_hint = length_hint
        self.seen_length: int | None = None
        self.next_fetch = 0.0
        self.last_sequence: dict[str, str] = {}

    def _init_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.spec.source_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in self.shards:
                self.shards.append(shard["ShardId"])

    def _iterator(self, shard_id: str) -> str:
        # A fresh iterator after the last record seen, every time: moto replaces a table's stream
        # shard object when it rolls back a failed TransactWriteItems, which orphans old iterators.
        # The tables are created empty together with their mappings, so LATEST means "from the
        # table's beginning" here; starting lazily must not lose early writes.
        last = self.last_sequence.get(shard_id)
        kwargs: dict[str, Any] = {"StreamArn": self.spec.source_arn, "ShardId": shard_id}
        if last is None:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=last)
        return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def poll_once(self) -> None:
        if not self.shards:
            self._init_shards()
        hinted = False
        if not self.buffer and self.length_hint is not None:
            length = self.length_hint(self.table)
            # The hint only saves calls: a real GetRecords still happens every SAFETY_FETCH_S.
            if length is not None and length == self.seen_length and time.monotonic() < self.next_fetch:
                self.stop_event.wait(self.HINTED_S)
                return
            hinted = length is not None and length == self.seen_length
            self.seen_length = length
        if not self.buffer:
            self.next_fetch = time.monotonic() + self.SAFETY_FETCH_S
            for shard_id in list(self.shards):
                response = self.streams.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)
                for record in response.get("Records", []):
                    record = _plain(record)
                    record["eventVersion"] = "1.1"
                    record["eventSourceARN"] = self.spec.source_arn
                    record["awsRegion"] = REGION
                    record["_arrival"] = time.time()
                    record["_shard"] = shard_id
                    self.buffer.append(record)
                    self.last_sequence[shard_id] = record["dynamodb"]["SequenceNumber"]
            if hinted and self.buffer:
                log.debug("%s: the stream length hint missed %d record(s)", self.table, len(self.buffer))
        if self.spec.filters:
            self.buffer = [r for r in self.buffer if any(matches(f, _public(r)) for f in self.spec.filters)]
        if not self.buffer:
            self.stop_event.wait(self.idle_s)
            self.idle_s = min(self.IDLE_MAX_S, self.idle_s * 1.5)
            return
        self.idle_s = self.BUSY_S
        if self.spec.window_s and len(self.buffer) < self.spec.batch_size:
            self.stop_event.wait(min(self.spec.window_s, 1.0))
        batch, self.buffer = self.buffer[: self.spec.batch_size], self.buffer[self.spec.batch_size :]
        self._process(batch)

    def _process(self, batch: list[dict[str, Any]]) -> None:
        pending: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while pending and not self.stop_event.is_set():
            records, attempts = pending.pop(0)
            event = {"Records": [_public(r) for r in records]}
            result, _ = self.invoke(self.spec.function, event, f"stream {self.table}")
            if result.ok:
                sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
                failed = (
                    batch_item_failures(result.payload, sequence_numbers) if self.spec.report_failures else []
                )
                if failed == []:
                    continue
                if failed is None:
                    retry = records
                else:
                    first = min(sequence_numbers.index(s) for s in failed)
                    retry = records[first:]
                condition = "RetryAttemptsExhausted"
            else:
                if self.spec.bisect and len(records) > 1:
                    half = len(records) // 2
                    pending[:0] = [(records[:half], attempts), (records[half:], attempts)]
                    continue
                retry, condition = records, "RetryAttemptsExhausted"
            attempts += 1
            if self._expired(retry):
                self._give_up(retry, "RecordAgeExceeded", attempts, result)
                continue
            if 0 <= self.spec.max_retries < attempts:
                self._give_up(retry, condition, attempts, result)
                continue
            self.stop_event.wait(min(2.0, 0.1 * 2 ** min(attempts, 5)))
            pending.insert(0, (retry, attempts))

    def _expired(self, records: list[dict[str, Any]]) -> bool:
        if self.spec.max_record_age_s < 0:
            return False
        oldest = min(r["_arrival"] for r in records)
        return time.time() - oldest > self.spec.max_record_age_s

    def _give_up(
        self, records: list[dict[str, Any]], condition: str, attempts: int, result: InvokeResult
    ) -> None:
        log.warning(
            "%s: dropping %d record(s) from %s after %d attempt(s) (%s)",
            self.spec.function.logical_id,
            len(records),
            self.table,
            attempts,
            condition,
        )
        destination = self.spec.on_failure_arn
        if not destination:
            return
        first, last = records[0], records[-1]
        failure = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.spec.function.arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if not result.ok else "",
            },
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": first.get("_shard", ""),
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first["dynamodb"].get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last["dynamodb"].get("ApproximateCreationDateTime")),
                "batchSize": len(records),
                "streamArn": self.spec.source_arn,
            },
        }
        send_to_destination(self.clients, destination, failure)


def send_to_destination(clients: Clients, arn: str, message: dict[str, Any]) -> None:
    service = arn.split(":")[2]
    body = json.dumps(message)
    if service == "sqs":
        sqs = clients("sqs")
        url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body)
    elif service == "sns":
        clients("sns").publish(TopicArn=arn, Message=body)
    else:
        log.warning("on-failure destination %s is not supported locally", arn)


class RuleTargetPoller(_Poller):
    """An EventBridge rule's Lambda target: asynchronous invocation with two retries."""

    def __init__(
        self,
        target: RuleLambdaTarget,
        function: FunctionSpec,
        clients: Clients,
        invoke: Invoker,
        stop: threading.Event,
    ) -> None:
        super().__init__(f"rule:{target.rule}", stop)
        self.target = target
        self.function = function
        self.sqs = clients("sqs")
        self.invoke = invoke

    def poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.target.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=LONG_POLL_S
        ).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            for attempt in range(3):
                result, _ = self.invoke(self.function, event, f"rule {self.target.rule}")
                if result.ok or self.stop_event.is_set():
                    break
                self.stop_event.wait(0.5 * (attempt + 1))
            self.sqs.delete_message(QueueUrl=self.target.queue_url, ReceiptHandle=message["ReceiptHandle"])


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _iso(epoch: Any) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(float(epoch), dt.UTC).isoformat().replace("+00:00", "Z")


class Mappings:
    """Starts a poller per mapping and per rule Lambda target; stops them all."""

    def __init__(
        self,
        specs: list[MappingSpec],
        rule_targets: list[RuleLambdaTarget],
        functions: dict[str, FunctionSpec],
        clients: Clients,
        invoke: Invoker,
        retry_delay_s: float | None = None,
        stream_length: Callable[[str], int | None] | None = None,
        *,
        retry_after_timeout: bool = False,
    ) -> None:
        self.stop_event = threading.Event()
        self.pollers: list[_Poller] = []
        for spec in specs:
            if not spec.enabled:
                continue
            if spec.kind == "sqs":
                self.pollers.append(
                    SqsPoller(spec, clients, invoke, self.stop_event, retry_delay_s, retry_after_timeout)
                )
            elif spec.kind == "dynamodb":
                self.pollers.append(StreamPoller(spec, clients, invoke, self.stop_event, stream_length))
            else:
                log.info("mapping %s: %s sources are not polled locally", spec.logical_id, spec.kind)
        for target in rule_targets:
            function = function_by_arn(functions, target.function_arn)
            if function is not None:
                self.pollers.append(RuleTargetPoller(target, function, clients, invoke, self.stop_event))

    def start(self) -> Mappings:
        for poller in self.pollers:
            poller.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        # Long polls end within a second; a batch still running is abandoned (its messages reappear).
        deadline = time.monotonic() + 1.5
        for poller in self.pollers:
            poller.join(timeout=max(0.0, deadline - time.monotonic()))
            if isinstance(poller, SqsPoller):
                poller.executor.shutdown(wait=False, cancel_futures=True)
