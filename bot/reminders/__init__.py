"""Reminders of unacknowledged incidents, per route: the schedule, the job that posts them, the snooze.

They sit beside `notify/` and `actions/`: the runtime hands them the store, the Slack replies they post
through (`sending.ThreadReplies`) and whether this replica holds the poller lease.
"""
