"""Calls: interactions (customer contacts), their legs and their state machines."""
from .interaction import CallMachine, Leg

__all__ = ["CallMachine", "Leg"]
