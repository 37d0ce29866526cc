"""fssim - a protocol-faithful FreeSWITCH 1.10 simulator speaking ESL (see docs/simulator.md).

It never imports the controller: it only speaks the event socket protocol.
"""
from fssim.simulator import Simulator

__all__ = ["Simulator"]
