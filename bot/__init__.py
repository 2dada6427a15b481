"""Coralogix incidents in Slack: live incident cards and one-click actions."""

__version__ = "0.1.0"
