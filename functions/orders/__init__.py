"""Orders service: placing orders (idempotent, priced from the catalog), reading, listing and
cancelling them, and the guarded status transitions the order saga drives (`Orders.transition`)."""
