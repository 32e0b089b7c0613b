"""Operator tooling behind the `pulse` command: the local stack, running services, docs."""
