"""Simulations: a baseline and scenarios over one roster, compared (`incentives simulate`)."""

from incentives.simulation.simulate import Scenario, Simulation, Variant, simulate

__all__ = ["Scenario", "Simulation", "Variant", "simulate"]
