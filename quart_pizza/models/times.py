"""Times as the database stores them: UTC, ISO 8601 with milliseconds (as SQLite's
`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` writes them), so that text order is time order."""

from datetime import UTC, datetime, timedelta


def utc_text(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_text() -> str:
    return utc_text(datetime.now(UTC))


def ago_text(period: timedelta) -> str:
    """The time `period` ago."""
    return utc_text(datetime.now(UTC) - period)


def seconds_until(text: str, period: timedelta) -> int:
    """Whole seconds (at least 1) until `period` after the time `text` has passed."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    remaining = (moment + period - datetime.now(UTC)).total_seconds()
    return max(1, int(remaining) + 1)
