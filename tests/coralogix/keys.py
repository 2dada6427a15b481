"""The simulated service's default API keys the tests use, and who owns them."""

TEAM_KEY = "cx-team-key"
TEAM_USER = "oncall-bot@example.com"
ALICE_KEY = "cx-alice-key"
READONLY_KEY = "cx-readonly-key"
