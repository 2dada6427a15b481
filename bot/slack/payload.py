"""What a builder hands to the gateway: a message's blocks, its notification text and its metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Block = dict[str, Any]
"""One Block Kit block (or element, or text object) as the Web API takes it."""


@dataclass(frozen=True)
class MessagePayload:
    """A message ready for chat.postMessage/chat.update: `text` is the notification fallback."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any] | None = None
