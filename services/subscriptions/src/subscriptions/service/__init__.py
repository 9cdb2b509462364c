"""Use cases of the subscriptions service: plain values in, domain results out, never a commit."""
