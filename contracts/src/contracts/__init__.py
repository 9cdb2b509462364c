"""Shared event contracts of the Caserta parking platform."""

from contracts.envelope import Envelope, Event

__all__ = ["Envelope", "Event"]
