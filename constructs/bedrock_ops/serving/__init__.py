"""Serving models: provisioned throughput."""
