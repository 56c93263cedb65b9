"""Notifications: a private projection of contact addresses and one email per customer-facing event."""
