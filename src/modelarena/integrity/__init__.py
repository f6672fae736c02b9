"""Integrity: rate limits, voter anomaly detection, and the integrity report."""
