"""What every capability uses: Lambda functions, singleton providers, buckets, cdk-nag helpers, assets."""
