"""The mentorship bot: keeps GrowthExperiments' mentorship healthy on a wiki."""

__version__ = "0.1.0"
