"""Intake: the front door (MASH) — contacts about children, acknowledgement, decisions, clocks."""
