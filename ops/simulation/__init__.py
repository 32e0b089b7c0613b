"""A simulated partnership year: pure generators of inbound events (no network), in time order,
with the simulator's own known totals. `ops.simulate` publishes what they generate.

Generation is separate from publishing so the year can be tested without a broker, and so an
end-to-end test can compare reporting's figures with totals the simulator knows independently.
"""
