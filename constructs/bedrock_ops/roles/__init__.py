"""IAM service roles that Amazon Bedrock assumes, with confused-deputy conditions."""
