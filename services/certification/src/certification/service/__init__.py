"""Use cases of the certification service: plain values in, domain results out, never a commit."""
