"""Serving models: provisioned throughput, on-demand custom model deployments, cross-Region model copies,
imported models."""
