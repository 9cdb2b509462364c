"""Use cases of the billing service: plain values in, domain results out, never a commit."""
