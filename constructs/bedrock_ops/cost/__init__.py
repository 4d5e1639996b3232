"""Dated price tables and the cost advisor."""
