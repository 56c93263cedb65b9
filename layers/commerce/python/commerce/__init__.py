"""Code every Commerce service shares: HTTP plumbing, problem+json, events, the outbox, AWS clients."""
