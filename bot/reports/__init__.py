"""Shift reports' pure computation: response times from events, schedules, and what a report says."""
