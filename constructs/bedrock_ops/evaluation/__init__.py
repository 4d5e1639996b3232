"""Model evaluation jobs, their prompt datasets and offline scoring."""
