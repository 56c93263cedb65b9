"""The template is sized for a flash sale (docs/capacity.md): each setting below is what lets one hot
product take thousands of orders a second, checked against the AWS quota it must fit in."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synth
from tests.infra.test_identity_infra import function_by_handler

#: API Gateway's default account-level throttle per Region: 10,000 requests/s, burst 5,000; a stage or
#: method setting cannot exceed it.
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
ACCOUNT_RATE, ACCOUNT_BURST = 10_000, 5_000


def method_settings(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    return {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["Properties"]["MethodSettings"]}


def mapping_of(synth: Synth, handler: str) -> dict[str, Any]:
    function_id, _ = function_by_handler(synth, handler)
    return next(
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    )


def test_prod_lets_post_orders_take_a_flash_sale_within_the_account_throttle(prod: Synth) -> None:
    settings = method_settings(prod)
    orders = settings[("/~1orders", "POST")]
    assert orders["ThrottlingRateLimit"] >= 5_000  # the goal: 5,000 orders/s on one SKU
    assert orders["ThrottlingRateLimit"] <= ACCOUNT_RATE
    assert orders["ThrottlingBurstLimit"] <= ACCOUNT_BURST
    assert orders["ThrottlingRateLimit"] > settings[("/*", "*")]["ThrottlingRateLimit"]


def test_dev_keeps_post_orders_at_its_modest_throttle(dev: Synth) -> None:
    assert method_settings(dev)[("/~1orders", "POST")]["ThrottlingRateLimit"] <= 200


def test_prod_reserve_consumer_polls_enough_batches_for_thousands_of_orders_a_second(prod: Synth) -> None:
    # An SQS event source's maximum concurrency is 2..1,000.
    # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
    mapping = mapping_of(prod, "inventory.reserve_stock.lambda_handler")
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert 2 <= concurrency <= 1000
    # ~15 ms a reservation, batches of 10: each poller takes ~60/s, so 100 take ~6,000/s.
    assert concurrency * mapping.get("BatchSize", 10) * (1000 / 150) >= 5_000


def test_reserve_consumer_may_shard_a_throttled_product_by_itself(stage: Synth) -> None:
    _, function = function_by_handler(stage, "inventory.reserve_stock.lambda_handler")
    assert int(function["Properties"]["Environment"]["Variables"]["AUTO_SHARDS_MAX"]) >= 10


def test_outbox_relays_batch_full_put_events_and_fan_out_per_shard(stage: Synth) -> None:
    # Stream sources: BatchSize up to 10,000, ParallelizationFactor 1..10 per shard.
    # https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
    relays = [
        m["Properties"]
        for m in stage.resources("AWS::Lambda::EventSourceMapping").values()
        if "StartingPosition" in m["Properties"]
    ]
    assert relays
    for relay in relays:
        assert relay["BatchSize"] >= 10 * 10  # ten full PutEvents requests (10 entries each) per batch
        assert relay["ParallelizationFactor"] == 10
        assert "MaximumBatchingWindowInSeconds" not in relay  # no wait added at low rates


def test_no_deployed_function_dilates_its_cache_ages(stage: Synth) -> None:
    # The scale model's dilation (local/limits.py) is the stand-in's alone: on AWS every hot fact is
    # re-read as often as its code says (a sharded product's price at most 1 s old, its cells 0.1 s).
    from commerce.environment_cache import AGE_FACTOR_VARIABLE

    for function_id, function in stage.resources("AWS::Lambda::Function").items():
        variables = (function["Properties"].get("Environment") or {}).get("Variables") or {}
        assert AGE_FACTOR_VARIABLE not in variables, function_id
