"""Training data: the KMS key, the training bucket, dataset validation (core, Lambda, local datasets)."""
