"""Tests of the poller-side logic: change detection."""
