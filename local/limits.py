"""Opt-in limits for the AWS stand-in and the Stripe stub: the published quotas, scaled by one factor.

    python -m local serve --limits scale=0.01          # every limit below at 1 % of AWS's/Stripe's
    python -m local serve --limits scale=0.01,stripe=test,events=off
    python -m local serve --limits scale=0.0001,stripe_scale=0.003   # Stripe scaled on its own
    python -m local serve --limits scale=0.0001,scaled_keys=PRODUCT+STOCK#  # as `make flash` runs

moto accepts any request rate; AWS and Stripe do not. With limits on, the stand-in answers the way
the real services do when a rate is exceeded, so the SDKs' own retry paths and ours run:

- DynamoDB, per partition, approximated by the partition-key value (of the table, and of each GSI
  for the writes that maintain it): 3,000 read units and 1,000 write units per second, read and
  write independently. A read of up to 4 KB costs 1 unit strongly consistent, 0.5 eventually
  consistent, 2 in a transaction; a write of up to 1 KB costs 1 unit, 2 in a transaction; a write
  whose condition fails still costs its units. Over a partition's rate, a single-item request is
  refused with `ProvisionedThroughputExceededException` and `ThrottlingReasons`
  (`TableReadKeyRangeThroughputExceeded`, `TableWriteKeyRangeThroughputExceeded`,
  `IndexWriteKeyRangeThroughputExceeded`); a batch returns what it could not serve in
  `UnprocessedKeys` / `UnprocessedItems` (and is refused like a single request when nothing could
  be served); a transaction is cancelled with the reason `ThrottlingError` for each throttled item.
  Per table, the account's default on-demand quota of 40,000 read and 40,000 write units per second
  → `ThrottlingException` (`TableReadAccountLimitExceeded` / `TableWriteAccountLimitExceeded`).
- EventBridge `PutEvents`: 10,000 requests per second per account in us-east-1 → `ThrottlingException`.
- Stripe (the stub): 100 operations per second in live mode (25 in test mode) per account, and 25
  requests per second per endpoint → HTTP 429 with Stripe's `rate_limit` error.

`stripe_scale` (default: `scale`) scales Stripe's limits by their own factor: Stripe allows 200
times fewer requests a second than a sale's orders, so a scale model slow enough for this machine's
orders would charge one order every few minutes; `make flash` says which factor each stage ran at.

What does not scale by itself is an execution environment's own pace: each re-reads a hot fact
(a sharded product's price, its shard count, its cells) at most every so many seconds, and at
`scale` those reads would weigh 1 / scale times more against a partition than at full scale. So
with limits on, the functions run with `ENVIRONMENT_CACHE_AGE_FACTOR` = 1 / scale (every
commerce.environment_cache age dilated by it): per-environment periodic work scales with the quotas.
Latencies (timeouts, retry and deferral backoffs) are not dilated: they are not rates.

Each limit is a token bucket holding one second of its (scaled) rate, which a request may overdraw
(see `TokenBucket.has`). Limits are off unless asked
for; `install()` patches moto's request handlers in this process (the moto server and in-process
`mock_aws` alike) and `uninstall()` restores them.

Sources: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html, https://docs.stripe.com/rate-limits.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

PARTITION_READ_UNITS = 3_000
PARTITION_WRITE_UNITS = 1_000
TABLE_READ_UNITS = 40_000
TABLE_WRITE_UNITS = 40_000
PUT_EVENTS_PER_SECOND = 10_000
STRIPE_OPERATIONS_PER_SECOND = {"live": 100, "test": 25}
STRIPE_ENDPOINT_REQUESTS_PER_SECOND = 25
# commerce.environment_cache.AGE_FACTOR_VARIABLE (the stand-in does not import the functions' layer)
CACHE_AGE_FACTOR_VARIABLE = "ENVIRONMENT_CACHE_AGE_FACTOR"

THROTTLED_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling "
    "your table or index so please try again shortly. If exceptions persist, check if you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html."
)
STRIPE_RATE_LIMITED_MESSAGE = (
    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."
)


class LimitsError(ValueError):
    """A `--limits` value that cannot be read."""


@dataclass(frozen=True)
class Limits:
    scale: float
    dynamodb: bool = True
    events: bool = True
    stripe: str = "live"  # "live", "test" or "off"
    stripe_scale: float | None = None  # None: `scale`
    # Partition-key prefixes (any case) of the partitions whose quota scales: the ones a sale
    # concentrates its load on (`PRODUCT`, `STOCK#`: the hot product, its shards). None: every
    # partition. A partition of one entity's items (an order, a user's credential, a user's orders
    # index) keeps DynamoDB's own quota: a sale multiplies the orders and customers, not the
    # requests one order or one customer makes, so a scaled quota there would throttle what no real
    # partition does (an order's four saga writes within a minute). Table quotas always scale.
    scaled_keys: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, spec: str) -> Limits:
        """`scale=<factor>[,dynamodb=on|off][,events=on|off][,stripe=live|test|off][,stripe_scale=<factor>]
        [,scaled_keys=<prefix>[+<prefix>...]]`."""
        values: dict[str, str] = {}
        for part in spec.split(","):
            name, sep, value = part.strip().partition("=")
            if not sep or not value:
                raise LimitsError(f"expected name=value, got {part!r}")
            values[name.strip()] = value.strip().lower()
        unknown = set(values) - {"scale", "dynamodb", "events", "stripe", "stripe_scale", "scaled_keys"}
        if unknown:
            raise LimitsError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        scale = _factor(values, "scale")
        stripe_scale = _factor(values, "stripe_scale") if "stripe_scale" in values else None
        switches = {"on": True, "off": False}
        try:
            dynamodb = switches[values.get("dynamodb", "on")]
            events = switches[values.get("events", "on")]
        except KeyError as exc:
            raise LimitsError(f"dynamodb and events take on|off, not {exc.args[0]!r}") from exc
        stripe = values.get("stripe", "live")
        if stripe not in ("live", "test", "off"):
            raise LimitsError(f"stripe takes live|test|off, not {stripe!r}")
        scaled_keys = (
            tuple(key for key in values["scaled_keys"].split("+") if key) if "scaled_keys" in values else None
        )
        return cls(
            scale=scale,
            dynamodb=dynamodb,
            events=events,
            stripe=stripe,
            stripe_scale=stripe_scale,
            scaled_keys=scaled_keys,
        )

    def rate(self, per_second: float) -> float:
        return per_second * self.scale

    @property
    def cache_age_factor(self) -> float:
        """What the functions' per-environment cache ages are multiplied by (commerce.environment_cache):
        1 / scale, so that an environment's periodic re-reads shrink with the quotas they draw on."""
        return 1 / self.scale

    @property
    def function_environment(self) -> dict[str, str]:
        """The variables the functions run with while these limits are on."""
        return {CACHE_AGE_FACTOR_VARIABLE: f"{self.cache_age_factor:g}"}

    def stripe_rate(self, per_second: float) -> float:
        return per_second * (self.scale if self.stripe_scale is None else self.stripe_scale)

    @property
    def stripe_limits(self) -> StripeLimits | None:
        if self.stripe == "off":
            return None
        return StripeLimits(
            operations_per_second=self.stripe_rate(STRIPE_OPERATIONS_PER_SECOND[self.stripe]),
            endpoint_requests_per_second=self.stripe_rate(STRIPE_ENDPOINT_REQUESTS_PER_SECOND),
        )


def _factor(values: dict[str, str], name: str) -> float:
    try:
        factor = float(values.get(name, "1"))
    except ValueError as exc:
        raise LimitsError(f"{name} must be a number, got {values[name]!r}") from exc
    if not 0 < factor <= 1:
        raise LimitsError(f"{name} must be in (0, 1]")
    return factor


class TokenBucket:
    """`rate` tokens a second, holding at most one second's worth (`capacity`)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = rate
        self.tokens = rate
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def has(self, cost: float) -> bool:
        """Whether a request of `cost` is admitted now: while the bucket holds anything, and it may
        overdraw it (what it overdraws is paid back before the next request is admitted). So the
        long-run rate is exactly `rate` whatever the request sizes; a rule that waited for `cost`
        tokens would let a stream of small requests starve a large one (at a scale where one
        second's worth is less than a transaction, for ever)."""
        self._refill()
        return self.tokens > 0

    def take(self, cost: float) -> None:
        self.tokens -= cost


@dataclass(frozen=True)
class Throttle:
    service: str  # "dynamodb", "events", "stripe"
    operation: str
    reason: str  # e.g. TableWriteKeyRangeThroughputExceeded, global-rate
    resource: str
    partition: str = ""  # DynamoDB: the throttled partition's kind (its key up to `#`, e.g. STOCK)


Listener = Callable[[Throttle], None]


@dataclass
class Recorder:
    """Counts every throttle and tells the listeners (a harness attributes them to a stage)."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    partitions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (reason, partition kind)
    listeners: list[Listener] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, throttle: Throttle) -> None:
        with self.lock:
            self.counts[(throttle.service, throttle.reason)] += 1
            if throttle.partition:
                self.partitions[(throttle.reason, throttle.partition)] += 1
        for listener in list(self.listeners):
            listener(throttle)


RECORDER = Recorder()


# -- DynamoDB -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """Capacity one item of a request needs, on one bucket."""

    bucket: tuple[
        str, ...
    ]  # (table, "read"|"write"), (table, index, "write", key) or (table, "read"|"write", key)
    units: float
    reason: str


class DynamoDBLimiter:
    """The per-partition and per-table buckets of one stand-in, and the cost of each request item."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self.lock = threading.RLock()

    def _bucket(self, key: tuple[str, ...]) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(key) == 2:  # a whole table
                rate = TABLE_READ_UNITS if key[1] == "read" else TABLE_WRITE_UNITS
            else:
                rate = PARTITION_READ_UNITS if "read" in key else PARTITION_WRITE_UNITS
            scaled = self.limits.rate(rate) if len(key) == 2 or self._scaled(key[-1]) else rate
            bucket = self._buckets[key] = TokenBucket(scaled, self._clock)
        return bucket

    def _scaled(self, partition: str) -> bool:
        """Whether the quota of `partition` (a key value, as JSON) scales (see `Limits.scaled_keys`)."""
        prefixes = self.limits.scaled_keys
        if prefixes is None:
            return True
        text = key_text(partition)
        return text is None or any(text.upper().startswith(prefix.upper()) for prefix in prefixes)

    def admit(self, charges: Iterable[Charge]) -> list[Charge]:
        """Take every charge, or none: the charges that cannot be served now (empty: all taken)."""
        charges = list(charges)
        with self.lock:
            totals: dict[tuple[str, ...], float] = {}
            for charge in charges:
                totals[charge.bucket] = totals.get(charge.bucket, 0.0) + charge.units
            refused = {key for key, units in totals.items() if not self._bucket(key).has(units)}
            if refused:
                return [charge for charge in charges if charge.bucket in refused]
            for key, units in totals.items():
                self._bucket(key).take(units)
            return []


def read_units(size_bytes: int, *, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(size_bytes / 4096))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size_bytes: int, *, transactional: bool = False) -> float:
    units = max(1, math.ceil(size_bytes / 1024))
    return 2.0 * units if transactional else float(units)


class _Items:
    """What the limiter needs from moto's backend: key schema, GSIs, current items and sizes."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def table(self, name: str) -> Any:
        return self.backend.get_table(name)

    def partition(self, table_name: str, key: dict[str, Any]) -> str:
        table = self.table(table_name)
        return json.dumps(key.get(table.hash_key_attr), sort_keys=True)

    def current(self, table_name: str, key: dict[str, Any]) -> Any:
        try:
            return self.backend.get_item(table_name, key)
        except Exception:  # noqa: BLE001 - a malformed key: moto answers the request itself
            return None

    @staticmethod
    def size_of(attributes: dict[str, Any]) -> int:
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.utilities import bytesize

        return sum(bytesize(name) + DynamoType(value).size() for name, value in attributes.items())

    def index_partitions(self, table_name: str, attributes: dict[str, Any]) -> list[tuple[str, str]]:
        """(index name, partition value) of every GSI the item (low-level attributes) is in."""
        found = []
        for index in self.table(table_name).global_indexes or []:
            hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            if hash_attr in attributes:
                found.append((index.name, json.dumps(attributes[hash_attr], sort_keys=True)))
        return found


def _attributes(item: Any) -> dict[str, Any]:
    """Low-level attribute values of a moto Item (or {})."""
    if item is None:
        return {}
    return dict(item.to_json()["Attributes"])


def write_charges(
    items: _Items,
    table_name: str,
    key: dict[str, Any],
    new_item: dict[str, Any] | None,
    *,
    transactional: bool,
) -> list[Charge]:
    """A write of one item: its partition, the table, and each GSI partition the item is in."""
    before = _attributes(items.current(table_name, key))
    size = max(items.size_of(before), items.size_of(new_item) if new_item else 0)
    units = write_units(size, transactional=transactional)
    partition = items.partition(table_name, key)
    charges = [
        Charge((table_name, "write", partition), units, "TableWriteKeyRangeThroughputExceeded"),
        Charge((table_name, "write"), units, "TableWriteAccountLimitExceeded"),
    ]
    for index, value in dict.fromkeys(
        items.index_partitions(table_name, new_item or {}) + items.index_partitions(table_name, before)
    ):
        charges.append(
            Charge(
                (table_name, index, "write", value), write_units(size), "IndexWriteKeyRangeThroughputExceeded"
            )
        )
    return charges


def read_charges(
    items: _Items, table_name: str, key: dict[str, Any], *, consistent: bool, transactional: bool = False
) -> list[Charge]:
    size = items.size_of(_attributes(items.current(table_name, key)))
    units = read_units(size, consistent=consistent, transactional=transactional)
    return [
        Charge(
            (table_name, "read", items.partition(table_name, key)),
            units,
            "TableReadKeyRangeThroughputExceeded",
        ),
        Charge((table_name, "read"), units, "TableReadAccountLimitExceeded"),
    ]


def _key_of(items: _Items, table_name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    table = items.table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attributes[name] for name in names if name in attributes}


def _table_arn(handler: Any, table_name: str) -> str:
    return f"arn:aws:dynamodb:{handler.region}:{handler.current_account}:table/{table_name}"


def _refusal(handler: Any, operation: str, refused: list[Charge]) -> Any:
    """The exception DynamoDB answers a refused request with (and the throttles are recorded)."""
    from moto.core.exceptions import JsonRESTError

    first = refused[0]
    table_name = first.bucket[0]
    resource = _table_arn(handler, table_name)
    if len(first.bucket) > 3:
        resource += f"/index/{first.bucket[1]}"
    for charge in {c.reason: c for c in refused}.values():
        RECORDER(Throttle("dynamodb", operation, charge.reason, resource, partition_kind(charge)))
    reasons = [{"reason": first.reason, "resource": resource}]
    if first.reason.endswith("AccountLimitExceeded"):
        error = JsonRESTError("com.amazonaws.dynamodb.v20120810#ThrottlingException", THROTTLED_MESSAGE)
        error.description = json.dumps(
            {"__type": error.error_type, "message": THROTTLED_MESSAGE, "throttlingReasons": reasons}
        )
        return error
    error = JsonRESTError(
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", THROTTLED_MESSAGE
    )
    error.description = json.dumps(
        {"__type": error.error_type, "message": THROTTLED_MESSAGE, "ThrottlingReasons": reasons}
    )
    return error


def key_text(partition: str) -> str | None:
    """The value of a bucket's partition key (kept as its attribute value's JSON), or None."""
    try:
        value = json.loads(partition)
    except ValueError:
        return None
    return str(next(iter(value.values()), "")) if isinstance(value, dict) else str(value)


def partition_kind(charge: Charge) -> str:
    """What kind of partition a charge is on: its key value up to the first `#` (`PRODUCT`,
    `STOCK`, `ORDER`, ...), `table` for a table's own quota."""
    if len(charge.bucket) == 2:
        return "table"
    text = key_text(charge.bucket[-1])
    if text is None:
        return "?"
    kind = text.split("#", 1)[0]
    return f"{kind} (index)" if len(charge.bucket) > 3 else kind


def _cancelled(handler: Any, refused_indexes: set[int], count: int, refused: list[Charge]) -> Any:
    from moto.dynamodb.exceptions import TransactionCanceledException

    resource = _table_arn(handler, refused[0].bucket[0])
    for charge in {c.reason: c for c in refused}.values():
        RECORDER(Throttle("dynamodb", "TransactWriteItems", charge.reason, resource, partition_kind(charge)))
    return TransactionCanceledException(
        [
            ("ThrottlingError", THROTTLED_MESSAGE, None) if i in refused_indexes else (None, None, None)
            for i in range(count)
        ]
    )


class _DynamoDBPatch:
    """Wraps moto's DynamoHandler actions with the limiter (installed once per process)."""

    def __init__(self, limiter: DynamoDBLimiter) -> None:
        self.limiter = limiter
        self.originals: dict[str, Any] = {}

    def install(self) -> None:
        from moto.dynamodb.responses import DynamoHandler

        for name in (
            "get_item",
            "put_item",
            "update_item",
            "delete_item",
            "batch_get_item",
            "batch_write_item",
            "transact_get_items",
            "transact_write_items",
            "query",
            "scan",
        ):
            original = getattr(DynamoHandler, name)
            self.originals[name] = original
            setattr(DynamoHandler, name, self._wrap(name, original))

    def uninstall(self) -> None:
        from moto.dynamodb.responses import DynamoHandler

        for name, original in self.originals.items():
            setattr(DynamoHandler, name, original)
        self.originals.clear()

    def _wrap(self, name: str, original: Any) -> Any:
        patch = self

        def limited(handler: Any) -> Any:
            with patch.limiter.lock:
                return getattr(patch, f"_{name}")(handler, original)

        limited.__name__ = name
        return limited

    # -- single items ---------------------------------------------------------------------------
    def _single(self, handler: Any, original: Any, operation: str, charges: list[Charge]) -> Any:
        refused = self.limiter.admit(charges)
        if refused:
            raise _refusal(handler, operation, refused)
        return original(handler)

    def _get_item(self, handler: Any, original: Any) -> Any:
        body, items = handler.body, _Items(handler.dynamodb_backend)
        charges = read_charges(
            items, body["TableName"], body["Key"], consistent=bool(body.get("ConsistentRead"))
        )
        return self._single(handler, original, "GetItem", charges)

    def _put_item(self, handler: Any, original: Any) -> Any:
        body, items = handler.body, _Items(handler.dynamodb_backend)
        key = _key_of(items, body["TableName"], body["Item"])
        charges = write_charges(items, body["TableName"], key, body["Item"], transactional=False)
        return self._single(handler, original, "PutItem", charges)

    def _update_item(self, handler: Any, original: Any) -> Any:
        body, items = handler.body, _Items(handler.dynamodb_backend)
        charges = write_charges(items, body["TableName"], body["Key"], None, transactional=False)
        return self._single(handler, original, "UpdateItem", charges)

    def _delete_item(self, handler: Any, original: Any) -> Any:
        body, items = handler.body, _Items(handler.dynamodb_backend)
        charges = write_charges(items, body["TableName"], body["Key"], None, transactional=False)
        return self._single(handler, original, "DeleteItem", charges)

    def _query(self, handler: Any, original: Any) -> Any:
        body = handler.body
        table, index = body["TableName"], body.get("IndexName")
        consistent = bool(body.get("ConsistentRead"))
        partition = json.dumps(body.get("ExpressionAttributeValues") or {}, sort_keys=True)
        bucket = (table, index, "read", partition) if index else (table, "read", partition)
        units = 1.0 if consistent else 0.5
        charges = [
            Charge(
                bucket,
                units,
                "IndexReadKeyRangeThroughputExceeded" if index else "TableReadKeyRangeThroughputExceeded",
            ),
            Charge((table, "read"), units, "TableReadAccountLimitExceeded"),
        ]
        return self._single(handler, original, "Query", charges)

    def _scan(self, handler: Any, original: Any) -> Any:
        table = handler.body["TableName"]
        return self._single(
            handler, original, "Scan", [Charge((table, "read"), 0.5, "TableReadAccountLimitExceeded")]
        )

    # -- transactions ---------------------------------------------------------------------------
    def _transact_write_items(self, handler: Any, original: Any) -> Any:
        items = _Items(handler.dynamodb_backend)
        per_item: list[list[Charge]] = []
        for entry in handler.body["TransactItems"]:
            kind, op = next(iter(entry.items()))
            table_name = op["TableName"]
            if kind == "Put":
                key, new_item = _key_of(items, table_name, op["Item"]), op["Item"]
            else:
                key, new_item = op["Key"], None
            per_item.append(write_charges(items, table_name, key, new_item, transactional=True))
        return self._transaction(handler, original, per_item)

    def _transact_get_items(self, handler: Any, original: Any) -> Any:
        items = _Items(handler.dynamodb_backend)
        per_item = [
            read_charges(
                items, entry["Get"]["TableName"], entry["Get"]["Key"], consistent=True, transactional=True
            )
            for entry in handler.body["TransactItems"]
        ]
        return self._transaction(handler, original, per_item)

    def _transaction(self, handler: Any, original: Any, per_item: list[list[Charge]]) -> Any:
        refused = self.limiter.admit(charge for charges in per_item for charge in charges)
        if not refused:
            return original(handler)
        buckets = {charge.bucket for charge in refused}
        indexes = {i for i, charges in enumerate(per_item) if any(c.bucket in buckets for c in charges)}
        raise _cancelled(handler, indexes, len(per_item), refused)

    # -- batches --------------------------------------------------------------------------------
    def _batch_get_item(self, handler: Any, original: Any) -> Any:
        items = _Items(handler.dynamodb_backend)
        request = handler.body["RequestItems"]
        unprocessed: dict[str, Any] = {}
        refused_all: list[Charge] = []
        served = 0
        for table_name, table_request in request.items():
            consistent = bool(table_request.get("ConsistentRead"))
            kept = []
            for key in table_request["Keys"]:
                refused = self.limiter.admit(read_charges(items, table_name, key, consistent=consistent))
                if refused:
                    refused_all += refused
                    unprocessed.setdefault(table_name, {**table_request, "Keys": []})["Keys"].append(key)
                else:
                    kept.append(key)
                    served += 1
            table_request["Keys"] = kept
        if not served and refused_all:
            raise _refusal(handler, "BatchGetItem", refused_all)
        handler.body["RequestItems"] = {name: req for name, req in request.items() if req["Keys"]}
        result = original(handler)
        if unprocessed:
            for throttle_reason in {c.reason for c in refused_all}:
                RECORDER(
                    Throttle(
                        "dynamodb",
                        "BatchGetItem",
                        throttle_reason,
                        _table_arn(handler, refused_all[0].bucket[0]),
                    )
                )
            result.result.setdefault("UnprocessedKeys", {}).update(unprocessed)
        return result

    def _batch_write_item(self, handler: Any, original: Any) -> Any:
        items = _Items(handler.dynamodb_backend)
        request = handler.body["RequestItems"]
        unprocessed: dict[str, list[Any]] = {}
        refused_all: list[Charge] = []
        served = 0
        for table_name, requests in request.items():
            kept = []
            for entry in requests:
                if "PutRequest" in entry:
                    new_item = entry["PutRequest"]["Item"]
                    key = _key_of(items, table_name, new_item)
                else:
                    new_item, key = None, entry["DeleteRequest"]["Key"]
                refused = self.limiter.admit(
                    write_charges(items, table_name, key, new_item, transactional=False)
                )
                if refused:
                    refused_all += refused
                    unprocessed.setdefault(table_name, []).append(entry)
                else:
                    kept.append(entry)
                    served += 1
            request[table_name] = kept
        if not served and refused_all:
            raise _refusal(handler, "BatchWriteItem", refused_all)
        handler.body["RequestItems"] = {name: reqs for name, reqs in request.items() if reqs}
        result = original(handler)
        if unprocessed:
            for throttle_reason in {c.reason for c in refused_all}:
                RECORDER(
                    Throttle(
                        "dynamodb",
                        "BatchWriteItem",
                        throttle_reason,
                        _table_arn(handler, refused_all[0].bucket[0]),
                    )
                )
            result.result["UnprocessedItems"] = unprocessed
        return result


# -- EventBridge ----------------------------------------------------------------------------------


class _EventsPatch:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.bucket = TokenBucket(limits.rate(PUT_EVENTS_PER_SECOND), clock)
        self.lock = threading.Lock()
        self.original: Any = None

    def install(self) -> None:
        from moto.events.responses import EventsHandler

        self.original = EventsHandler.put_events
        patch = self

        def put_events(handler: Any) -> Any:
            with patch.lock:
                admitted = patch.bucket.has(1)
                if admitted:
                    patch.bucket.take(1)
            if not admitted:
                from moto.core.exceptions import JsonRESTError

                RECORDER(Throttle("events", "PutEvents", "PutEventsThrottleLimitExceeded", "account"))
                raise JsonRESTError("ThrottlingException", "Rate exceeded")
            return patch.original(handler)

        EventsHandler.put_events = put_events  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        from moto.events.responses import EventsHandler

        if self.original is not None:
            EventsHandler.put_events = self.original  # type: ignore[method-assign]
            self.original = None


_INSTALLED: list[Any] = []


def install(limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
    """Enforce `limits` on moto's DynamoDB and EventBridge in this process (replaces any earlier)."""
    uninstall()
    if limits.dynamodb:
        patch = _DynamoDBPatch(DynamoDBLimiter(limits, clock))
        patch.install()
        _INSTALLED.append(patch)
    if limits.events:
        events = _EventsPatch(limits, clock)
        events.install()
        _INSTALLED.append(events)


def uninstall() -> None:
    while _INSTALLED:
        _INSTALLED.pop().uninstall()


# -- Stripe ---------------------------------------------------------------------------------------


@dataclass
class StripeLimits:
    """The Stripe stub's limiters: one for the account's operations, one per endpoint."""

    operations_per_second: float
    endpoint_requests_per_second: float
    clock: Callable[[], float] = time.monotonic
    _global: TokenBucket | None = None
    _endpoints: dict[str, TokenBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, method: str, path: str) -> str | None:
        """None if the request may go on, else why it is limited (Stripe-Rate-Limited-Reason)."""
        endpoint = f"{method} {_endpoint(path)}"
        with self._lock:
            if self._global is None:
                self._global = TokenBucket(self.operations_per_second, self.clock)
            bucket = self._endpoints.get(endpoint)
            if bucket is None:
                bucket = self._endpoints[endpoint] = TokenBucket(
                    self.endpoint_requests_per_second, self.clock
                )
            if not self._global.has(1):
                reason = "global-rate"
            elif not bucket.has(1):
                reason = "endpoint-rate"
            else:
                self._global.take(1)
                bucket.take(1)
                return None
        RECORDER(Throttle("stripe", endpoint, reason, "account"))
        return reason


def _endpoint(path: str) -> str:
    """`/v1/payment_intents/pi_123` → `/v1/payment_intents/{id}`: Stripe counts an endpoint, not an object."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    return "/".join(part if index < 3 else "{id}" for index, part in enumerate(parts))


def stripe_rate_limited_body() -> dict[str, Any]:
    """Stripe's answer to a rate-limited request (HTTP 429)."""
    return {
        "error": {
            "type": "invalid_request_error",
            "code": "rate_limit",
            "message": STRIPE_RATE_LIMITED_MESSAGE,
            "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
        }
    }
