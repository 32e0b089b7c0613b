"""Reporting: partnership metrics from every service's canonical events."""
