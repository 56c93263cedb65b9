"""Operator tools: create the first admin, redrive dead-letter queues, generate docs."""
