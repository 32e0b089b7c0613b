"""The four Partnership Pulse services, one package each, all of the same shape."""
