"""Use cases of the notifications service: plain values in, domain results out, never a commit."""
