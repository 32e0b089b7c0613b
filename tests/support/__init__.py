"""Helpers for the test suite: infrastructure, Kafka reading, services in-process."""
