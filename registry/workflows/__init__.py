"""Workflows as explicit state machines: submission and review (入库), certificates."""
