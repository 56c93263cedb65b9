"""The payments functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from payments.service import Payments
from payments.store import DynamoPaymentStore
from payments.stripe_gateway import StripeGateway

payments = Provider(lambda: Payments(store=DynamoPaymentStore.from_env(), gateway=StripeGateway.from_env()))
