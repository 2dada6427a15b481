"""The Slack side: Bolt app, Block Kit builders, listeners and the notifier."""
