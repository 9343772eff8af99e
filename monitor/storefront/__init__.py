"""Simulated Amazon storefront for tests and `ismon demo`."""
