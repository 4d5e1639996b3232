"""The model knowledge base: cited facts about Bedrock models, its loader and id resolution."""
