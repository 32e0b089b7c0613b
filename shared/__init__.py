"""Contracts and plumbing shared by every Partnership Pulse service."""
