"""The shift report (scheduled per route, or `/cx report`) and `/cx stats mtta|mttr`, as Block Kit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.domain import Severity
from bot.durations import in_words
from bot.reports.response_times import Measure, ResponseSummary
from bot.reports.shift import ShiftReport
from bot.slack.blocks.elements import context, header, packed_sections, section
from bot.slack.blocks.mrkdwn import (
    MAX_LIST_LINE,
    MAX_TITLE_IN_LINE,
    SlackUserOf,
    date_token,
    fit,
    nobody,
    severity_emoji,
    title_text,
    user_ref,
)
from bot.slack.limits import MAX_MESSAGE_BLOCKS, truncate
from bot.slack.payload import Block, MessagePayload

REPORT_EVENT_TYPE = "coralogix_report"
"""Message metadata of a posted report: `event_payload` names the route and the run."""


def _span(value: timedelta | None) -> str:
    return "—" if value is None else in_words(value)


def _counts(by_severity: Mapping[Severity, int]) -> str:
    total = sum(by_severity.values())
    if not total:
        return "0"
    parts = [
        f"{severity_emoji(severity)} {severity.value} {count}" for severity, count in by_severity.items()
    ]
    return f"{total} ({' · '.join(parts)})"


def _trend(now: timedelta | None, before: timedelta | None) -> str:
    if now is None or before is None or before.total_seconds() == 0:
        return ""
    change = (now - before) / before
    if abs(change) < 0.005:
        return " (same as the period before)"
    arrow = ":small_red_triangle:" if change > 0 else ":small_red_triangle_down:"
    return f" ({arrow} {abs(change):.0%} vs {in_words(before)})"


def measure_line(name: str, now: Measure, before: Measure | None, *, missing: str) -> str:
    """ "MTTA 12 minutes (▼ 20% vs 15 minutes) over 8 incidents · 2 never acknowledged"."""
    line = f"*{name}* {_span(now.mean)}"
    if before is not None:
        line += _trend(now.mean, before.mean)
    line += f" over {now.count} incident{'' if now.count == 1 else 's'}"
    if now.never:
        line += f" · {now.never} {missing}"
    if now.unknown:
        line += f" · {now.unknown} without a known time"
    return line


def report_message(report: ShiftReport, *, slack_user_of: SlackUserOf = nobody) -> MessagePayload:
    """The whole report in one message; the open list is cut to what fits (the count says how many)."""
    period = report.period
    title = f"Shift report: {report.route}"
    blocks: list[Block] = [header(fit(title, 150))]
    when = f"{date_token(period.start)} → {date_token(period.end)}"
    if report.late and report.run is not None:
        due, posted = date_token(report.run), date_token(report.generated_at)
        when = f":warning: *Late*: due {due}, posted {posted} · {when}"
    blocks.append(context(when))
    blocks.append(
        section(
            f"*New* {_counts(report.new_by_severity)}\n*Resolved* {_counts(report.resolved_by_severity)}\n"
            + measure_line("MTTA", report.responses.mtta, report.previous.mtta, missing="never acknowledged")
            + "\n"
            + measure_line("MTTR", report.responses.mttr, report.previous.mttr, missing="not resolved")
        )
    )
    if report.noisiest:
        lines = [
            f"{rank}. *{fit(alert.alert, MAX_TITLE_IN_LINE)}*"
            + (f" · {fit(alert.application, 100)}" if alert.application else "")
            + f" — {alert.count}"
            for rank, alert in enumerate(report.noisiest, start=1)
        ]
        blocks.append(section("*Noisiest alerts*\n" + "\n".join(lines)))
    open_lines = [
        truncate(
            f"{severity_emoji(item.incident.severity)} *{fit(title_text(item.incident), MAX_TITLE_IN_LINE)}* "
            f"`{fit(item.incident.id, 100, code=True)}` · open {in_words(item.age)} · "
            + (user_ref(item.incident.assignee, slack_user_of) if item.incident.assignee else "unassigned"),
            MAX_LIST_LINE,
        )
        for item in report.open_incidents
    ]
    heading = f"*Still open* {report.open_total}"
    if open_lines:
        blocks.append(section(heading))
        sections, _dropped = packed_sections(open_lines, MAX_MESSAGE_BLOCKS - len(blocks) - 1)
        blocks.extend(sections)
        shown = len(report.open_incidents)
        if report.open_total > shown:
            blocks.append(
                context(f"{report.open_total - shown} more open, oldest and least severe not shown")
            )
    else:
        blocks.append(section(heading + " — nothing open"))
    text = f"{title}: {report.new_total} new, {report.resolved_total} resolved, {report.open_total} open" + (
        " (late)" if report.late else ""
    )
    metadata = None
    if report.run is not None:
        metadata = {
            "event_type": REPORT_EVENT_TYPE,
            "event_payload": {"route": report.route, "run": report.run.isoformat()},
        }
    return MessagePayload(text=text, blocks=blocks, metadata=metadata)


def response_stats_message(
    measure: str, groups: Mapping[str, ResponseSummary], *, by: str, since: timedelta
) -> MessagePayload:
    """`/cx stats mtta|mttr [by=…]`: the overall mean, then one line per group (slowest first)."""
    name = measure.upper()
    title = f"{name} of the last {in_words(since)}, by {by}"
    missing = "never acknowledged" if measure == "mtta" else "not resolved"

    def pick(summary: ResponseSummary) -> Measure:
        return summary.mtta if measure == "mtta" else summary.mttr

    blocks: list[Block] = [header(title)]
    if not groups:
        blocks.append(section("No incidents started in that time."))
        return MessagePayload(text=f"{title}: no incidents", blocks=blocks)
    ordered = sorted(
        groups.items(), key=lambda item: (-(pick(item[1]).mean or timedelta(0)).total_seconds(), item[0])
    )
    lines = [
        truncate(measure_line(fit(key, 200), pick(summary), None, missing=missing), MAX_LIST_LINE)
        for key, summary in ordered
    ]
    sections, dropped = packed_sections(lines, MAX_MESSAGE_BLOCKS - 2)
    blocks.extend(sections)
    footer = (
        f"{len(groups)} group{'' if len(groups) == 1 else 's'}; measured from each incident's first trigger"
    )
    if dropped:
        footer += f" · {dropped} more not shown"
    blocks.append(context(footer))
    return MessagePayload(text=title, blocks=blocks)
