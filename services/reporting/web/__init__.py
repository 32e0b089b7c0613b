"""Reporting's website: the scorecard, the tables and their downloads as server-rendered HTML
(GOV.UK Frontend look), from exactly the figures the JSON API publishes."""
