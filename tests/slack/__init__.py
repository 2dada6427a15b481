"""Tests of the Slack side: Block Kit builders and limits."""
