"""How a function gets its use cases, and how a test swaps in fakes: one `Provider` per use-case
object, declared in the service's `wiring.py`.

    # functions/catalog/wiring.py
    catalog = Provider(lambda: Catalog(store=DynamoProductStore.from_env()))

    # functions/catalog/get_product.py (the handler)
    product = catalog().get_product(product_id)

    # a test
    with catalog.override(Catalog(store=FakeCatalogStore())):
        lambda_handler(event, context)

`provider()` builds from the function's environment on every call (adapters are a few attribute
reads; AWS clients are cached process-wide by `commerce.aws`), so a test that changes the
environment sees it at once and nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Provider(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._overrides: list[T] = []

    def __call__(self) -> T:
        return self._overrides[-1] if self._overrides else self._build()

    @contextmanager
    def override(self, value: T) -> Iterator[T]:
        """Within the block, every call returns `value` (a fake, or a real one built differently)."""
        self._overrides.append(value)
        try:
            yield value
        finally:
            self._overrides.remove(value)
