"""Payments: charges confirmed orders through Stripe, refunds cancelled ones, takes Stripe webhooks."""
