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
environment sees it at once and nothing is built at import time. Under SnapStart, priming builds
every Provider the function imported once before the snapshot (commerce.snapstart), so the
adapters' clients exist when the first request arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Provider(Generic[T]):
    _instances: list[Provider[Any]] = []

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._overrides: list[T] = []
        Provider._instances.append(self)

    def __call__(self) -> T:
        return self._overrides[-1] if self._overrides else self._build()

    def build(self) -> T:
        """A new value from the environment, whatever is overridden."""
        return self._build()

    @classmethod
    def instances(cls) -> list[Provider[Any]]:
        """Every Provider declared in this process (the wiring modules the function imported)."""
        return list(cls._instances)

    @classmethod
    @contextmanager
    def all_overridden(cls, value: Any) -> Iterator[None]:
        """Within the block, every Provider returns `value` (SnapStart priming's stand-in)."""
        providers = cls.instances()
        for provider in providers:
            provider._overrides.append(value)
        try:
            yield
        finally:
            for provider in providers:
                provider._overrides.remove(value)

    @contextmanager
    def override(self, value: T) -> Iterator[T]:
        """Within the block, every call returns `value` (a fake, or a real one built differently)."""
        self._overrides.append(value)
        try:
            yield value
        finally:
            self._overrides.remove(value)
