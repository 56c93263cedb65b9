"""Inventory: reserves and releases stock on the catalog's products as orders move through the saga."""
