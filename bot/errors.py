"""The bot's own exceptions. Each carries a sentence fit to show a person; logs get the detail."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot expects; `str(err)` is the sentence for a person."""


class SettingsError(BotError):
    """Invalid settings: one line per problem, each naming the setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class CoralogixError(BotError):
    """Any failed call to Coralogix."""

    def __init__(self, message: str, *, rpc: str = "", code: str = "") -> None:
        super().__init__(message)
        self.rpc = rpc
        self.code = code


class CoralogixAuthError(CoralogixError):
    """UNAUTHENTICATED: the API key was rejected."""


class CoralogixPermissionError(CoralogixError):
    """PERMISSION_DENIED: the key lacks `permission`."""

    def __init__(self, message: str, *, permission: str, rpc: str = "", code: str = "") -> None:
        super().__init__(message, rpc=rpc, code=code)
        self.permission = permission


class IncidentNotFoundError(CoralogixError):
    """NOT_FOUND for an incident id."""

    def __init__(self, message: str, *, incident_id: str, rpc: str = "", code: str = "") -> None:
        super().__init__(message, rpc=rpc, code=code)
        self.incident_id = incident_id


class CoralogixUnavailableError(CoralogixError):
    """UNAVAILABLE or DEADLINE_EXCEEDED: Coralogix could not be reached in time."""


class CoralogixRequestError(CoralogixError):
    """INVALID_ARGUMENT, FAILED_PRECONDITION and the other codes a caller cannot retry away."""


class SlackError(BotError):
    """Any failed Slack Web API call."""

    def __init__(self, message: str, *, method: str = "", error: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.error = error


class SlackRateLimitedError(SlackError):
    """HTTP 429 that outlived the client's own retry; `retry_after` is Slack's advice in seconds."""

    def __init__(self, message: str, *, retry_after: float, method: str = "") -> None:
        super().__init__(message, method=method, error="ratelimited")
        self.retry_after = retry_after


class SlackUnavailableError(SlackError):
    """Slack could not be reached or answered 5xx: worth retrying later."""


class SlackRequestError(SlackError):
    """Slack refused the call (`ok: false`): retrying the same request will not help."""


class SlackPermanentError(SlackRequestError):
    """Slack will never take this work (a channel the bot cannot post to, a message it cannot hold, a dead
    token): the outbox drops it instead of retrying forever."""
