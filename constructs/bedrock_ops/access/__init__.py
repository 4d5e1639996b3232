"""Model access: availability checks, the Anthropic use-case form, Marketplace agreements."""
