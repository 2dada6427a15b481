"""What a POST to a response_url does: records the body, then replaces, deletes, posts or whispers."""

from __future__ import annotations

from bot.sandbox.slack.failure import SlackMethodError
from bot.sandbox.slack.models import JsonObject
from bot.sandbox.slack.validation import MAX_MESSAGE_BLOCKS, block_problems, parse_bool
from bot.sandbox.slack.workspace import SlackWorkspace

NOT_FOUND_ERRORS = frozenset({"no_service", "used_url"})


def deliver(workspace: SlackWorkspace, response_id: str, body: JsonObject) -> None:
    """Applies one response_url body the way Slack does; SlackMethodError carries Slack's plain-text error."""
    delete = parse_bool(body.get("delete_original", False))
    blocks = body.get("blocks")
    if blocks is not None and block_problems(blocks, limit=MAX_MESSAGE_BLOCKS, pointer="/blocks"):
        raise SlackMethodError("invalid_blocks")
    text = str(body.get("text") or "")
    if not delete and not text and not blocks:
        raise SlackMethodError("no_text")
    binding = workspace.claim_response_url(response_id, body)
    message_blocks: list[JsonObject] = list(blocks) if isinstance(blocks, list) else []
    bound_message = binding.channel is not None and binding.message_ts is not None
    if delete:
        if bound_message:
            workspace.delete_message(str(binding.channel), str(binding.message_ts))
    elif parse_bool(body.get("replace_original", False)) and bound_message:
        workspace.update_message(
            str(binding.channel), str(binding.message_ts), text=text, blocks=message_blocks, metadata=None
        )
    elif body.get("response_type") == "in_channel" and binding.channel is not None:
        thread_ts = body.get("thread_ts")
        workspace.post_message(
            binding.channel,
            text=text,
            blocks=message_blocks,
            metadata=None,
            thread_ts=str(thread_ts) if thread_ts else None,
        )
    else:
        workspace.post_ephemeral(
            channel=binding.channel, user=binding.user, text=text, blocks=message_blocks, via="response_url"
        )
