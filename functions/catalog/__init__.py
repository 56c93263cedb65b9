"""Catalog service: products (name, description, price, stock) — public reads, admin writes.

Catalog and inventory are one bounded context: they share this service's table, and the
inventory consumers reserve and release stock on the product item itself (`stock` attribute).
"""
