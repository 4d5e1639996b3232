"""Delivery: GitHub OIDC deploy roles."""
