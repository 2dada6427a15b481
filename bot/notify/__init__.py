"""Polling Coralogix and turning incident changes into Slack messages."""
