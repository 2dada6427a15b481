"""The Slack listeners, one module per surface; each `register(app, deps)` adds its own.

The same listeners serve HTTP mode and Socket Mode: Bolt hands both kinds of request to them.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, rooms, snooze, views
from bot.listeners.deps import Interactivity
from bot.listeners.work import BackgroundWork


def register_listeners(app: App, deps: Interactivity) -> None:
    commands.register(app, deps)
    snooze.register(app, deps)  # before actions: its fallback takes any action id left
    rooms.register(app, deps)  # before actions: its fallback takes any action id left
    actions.register(app, deps)
    views.register(app, deps)
    events.register(app, deps)  # the Home tab and link unfurls


__all__ = ["BackgroundWork", "Interactivity", "register_listeners"]
