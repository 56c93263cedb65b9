"""Cancelling orders over HTTP and the transition API the saga consumers call, against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commerce.aws import client
from tests.integration.catalog.helpers import body_of
from tests.integration.orders.conftest import OrdersEnv
from tests.integration.orders.helpers import cancel, get, outbox, place, transition


def placed(env: OrdersEnv, user: str = "u-1") -> dict[str, Any]:
    body = {"items": [{"productId": env.products["cup"], "quantity": 2}], "paymentMethodId": "pm_card_visa"}
    return dict(body_of(place(body, user=user, key=f"k-{user}")))


def test_owner_cancels_a_pending_order_and_order_cancelled_is_recorded(orders_env: OrdersEnv) -> None:
    order = placed(orders_env)

    response = cancel(order["orderId"])

    assert response["statusCode"] == 200
    cancelled = body_of(response)
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["updatedAt"] >= order["updatedAt"]
    assert body_of(get(order["orderId"])) == cancelled
    [event] = outbox(orders_env.table, "OrderCancelled")
    assert event["data"] == {
        "orderId": order["orderId"],
        "userId": "u-1",
        "status": "CANCELLED",
        "total": {"amount": 2500, "currency": "EUR"},
        "reason": "cancelled by customer",
        "items": [
            {
                "productId": orders_env.products["cup"],
                "quantity": 2,
                "unitPrice": {"amount": 1250, "currency": "EUR"},
            }
        ],
    }


def test_admin_cancels_someone_elses_order(orders_env: OrdersEnv) -> None:
    order = placed(orders_env, user="owner")
    assert cancel(order["orderId"], user="admin-1", roles="customer,admin")["statusCode"] == 200
    [event] = outbox(orders_env.table, "OrderCancelled")
    assert event["data"]["reason"] == "cancelled by admin"


def test_a_stranger_cannot_cancel_and_learns_nothing(orders_env: OrdersEnv) -> None:
    order = placed(orders_env, user="owner")
    response = cancel(order["orderId"], user="stranger")
    assert response["statusCode"] == 404
    assert body_of(get(order["orderId"], user="owner"))["status"] == "PENDING"
    assert outbox(orders_env.table, "OrderCancelled") == []


def test_a_confirmed_order_can_be_cancelled(orders_env: OrdersEnv) -> None:

    order = placed(orders_env)
    transition(order["orderId"], "CONFIRMED", trigger_event_id="pay-1")
    assert body_of(cancel(order["orderId"]))["status"] == "CANCELLED"


@pytest.mark.parametrize("path", [["CONFIRMED", "SHIPPED"], ["REJECTED"], ["CANCELLED"]])
def test_cancel_is_409_once_shipped_rejected_or_cancelled(orders_env: OrdersEnv, path: list[str]) -> None:

    order = placed(orders_env)
    for n, status in enumerate(path):
        transition(order["orderId"], status, trigger_event_id=f"t-{n}")
    before = len(outbox(orders_env.table))

    response = cancel(order["orderId"])

    assert response["statusCode"] == 409
    assert body_of(get(order["orderId"]))["status"] == path[-1]
    assert len(outbox(orders_env.table)) == before


def test_cancel_of_an_unknown_order_is_404(orders_env: OrdersEnv) -> None:
    assert cancel("nope")["statusCode"] == 404


# ---- the saga's transition API ----------------------------------------------------------------


def test_payment_succeeded_confirms_once_even_when_redelivered(orders_env: OrdersEnv) -> None:
    from orders.service import TransitionOutcome

    order = placed(orders_env)

    first = transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay", correlation_id="c-9")
    again = transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay", correlation_id="c-9")

    assert first.outcome is TransitionOutcome.APPLIED
    assert first.previous_status == "PENDING"
    assert again.outcome is TransitionOutcome.ALREADY
    [event] = outbox(orders_env.table, "OrderConfirmed")
    assert event["metadata"]["correlationId"] == "c-9"
    assert event["data"]["status"] == "CONFIRMED"
    assert event["data"]["total"] == {"amount": 2500, "currency": "EUR"}
    assert body_of(get(order["orderId"]))["status"] == "CONFIRMED"


def test_a_late_trigger_is_not_allowed_and_writes_nothing(orders_env: OrdersEnv) -> None:
    from orders.service import TransitionOutcome

    order = placed(orders_env)
    cancel(order["orderId"])
    before = len(outbox(orders_env.table))

    late = transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-late")

    assert late.outcome is TransitionOutcome.NOT_ALLOWED
    assert late.order is not None
    assert late.order["status"] == "CANCELLED"
    assert len(outbox(orders_env.table)) == before


def test_payment_failed_cancels_only_pending_orders(orders_env: OrdersEnv) -> None:
    from orders.domain import PENDING
    from orders.service import TransitionOutcome

    order = placed(orders_env)
    transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay")

    result = transition(
        order["orderId"], "CANCELLED", trigger_event_id="evt-fail", reason="payment failed",
        allowed_from=frozenset({PENDING}),
    )  # fmt: skip

    assert result.outcome is TransitionOutcome.NOT_ALLOWED


def test_shipment_details_reach_order_shipped(orders_env: OrdersEnv) -> None:

    order = placed(orders_env)
    transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay")
    result = transition(
        order["orderId"], "SHIPPED", trigger_event_id="evt-ship",
        details={"carrier": "UPS", "trackingNumber": "1Z999"},
    )  # fmt: skip

    assert result.applied
    [event] = outbox(orders_env.table, "OrderShipped")
    assert event["data"]["carrier"] == "UPS"
    assert event["data"]["trackingNumber"] == "1Z999"


def test_an_unknown_order_is_reported_not_found(orders_env: OrdersEnv) -> None:
    from orders.service import TransitionOutcome

    assert transition("nope", "CONFIRMED", trigger_event_id="e").outcome is TransitionOutcome.NOT_FOUND


def test_a_stale_read_is_re_decided_on_the_fresh_order(orders_env: OrdersEnv) -> None:
    """The version guard: a decision made on an old read never overwrites a newer state."""
    from orders.service import TransitionOutcome
    from orders.store import DynamoOrderStore

    order = placed(orders_env)
    stale = DynamoOrderStore.from_env().get(order["orderId"])
    transition(order["orderId"], "REJECTED", trigger_event_id="evt-stock")

    result = transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay", current=stale)

    assert result.outcome is TransitionOutcome.NOT_ALLOWED
    assert body_of(get(order["orderId"]))["status"] == "REJECTED"
    assert outbox(orders_env.table, "OrderConfirmed") == []


def test_event_ids_derive_from_the_trigger(orders_env: OrdersEnv) -> None:
    from orders.service import event_id_for

    order = placed(orders_env)
    transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay")
    [event] = outbox(orders_env.table, "OrderConfirmed")
    assert event["metadata"]["eventId"] == event_id_for(order["orderId"], "CONFIRMED", "evt-pay")
    item = client("dynamodb").get_item(
        TableName=orders_env.table, Key={"pk": {"S": f"ORDER#{order['orderId']}"}, "sk": {"S": "ORDER"}}
    )["Item"]
    assert item["version"] == {"N": "2"}
    assert json.loads(json.dumps(item["status"])) == {"S": "CONFIRMED"}


def _cancelled_by(*codes: str) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def test_a_throttled_transition_is_throttling_not_a_conflict_and_is_never_dropped(
    orders_env: OrdersEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sale's throttled transaction once counted as a conflict: three of them and the payment was
    # reported "not allowed" and acknowledged, leaving a paid order PENDING for ever.
    from botocore.exceptions import ClientError

    from commerce import aws
    from commerce.dynamodb import throttled

    order = placed(orders_env)
    real = aws.dynamodb()

    class Throttling:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def transact_write_items(self, **_kwargs: Any) -> Any:
            raise _cancelled_by("ThrottlingError", "None")

    monkeypatch.setattr("orders.store.dynamodb", lambda: Throttling())
    with pytest.raises(ClientError) as raised:
        transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay")
    assert throttled(raised.value)  # the consumer defers it (commerce.consumer)
    assert body_of(get(order["orderId"]))["status"] == "PENDING"


def test_a_transition_that_keeps_conflicting_is_retried_later_not_reported_not_allowed(
    orders_env: OrdersEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orders.domain import OrderContended
    from orders.ports import TransitionConflict
    from orders.store import DynamoOrderStore

    from commerce.errors import RateLimited

    order = placed(orders_env)

    def always_conflicts(*_args: Any, **_kwargs: Any) -> Any:
        raise TransitionConflict()

    monkeypatch.setattr(DynamoOrderStore, "apply_transition", always_conflicts)
    with pytest.raises(OrderContended) as raised:
        transition(order["orderId"], "CONFIRMED", trigger_event_id="evt-pay")
    assert isinstance(raised.value, RateLimited)  # deferred by the consumer, 429 on the API
    assert body_of(get(order["orderId"]))["status"] == "PENDING"
