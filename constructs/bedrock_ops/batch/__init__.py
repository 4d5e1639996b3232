"""Batch inference: model-native batch records, job submission, and the ``BatchInference`` workflow."""
