"""System: the health check and the outbox relay every service table feeds."""
