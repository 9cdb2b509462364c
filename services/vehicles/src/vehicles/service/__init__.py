"""Use cases of the vehicles service: plain values in, domain results out, never a commit."""
