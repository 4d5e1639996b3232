"""Model customization jobs: the Step Functions workflow and its hyperparameters."""
