"""Settings from the environment (and a local `.env`), shared by every mode of the app.

Secrets are SecretStr so they never end up in a log line or a traceback; malformed values are
rejected at start-up with one message saying what to set, instead of failing on first use.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///walkaway.db"
SLACK_API_URL = "https://slack.com/api/"
_PLACEHOLDERS = ("changeme", "change-me", "your-", "xxx", "<", "...")


class SettingsError(ValueError):
    """Start-up cannot go on; the message tells the operator exactly what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, min_length=1)
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    walkaway_checklist: Path | None = None
    walkaway_admins: str = ""
    """Comma-separated Slack user ids allowed to change workspace settings besides admins."""
    walkaway_reminder_business_days: int = Field(default=2, ge=1, le=30)
    walkaway_worker_processes: int = Field(default=1, ge=0, le=16)
    """Processes `serve` starts to run queued work (bot/worker.py); 0 runs it in `serve` itself."""
    walkaway_worker_threads: int = Field(default=32, ge=1, le=64)
    """Threads per worker process: each runs one job at a time, mostly waiting on Slack (a job
    makes two or three Web API calls in a row, each about 100 ms), so a process needs many to
    keep up: 4 finished 11-13 requests/s (tests/bench/ack_latency.py, README)."""
    walkaway_slack_timeout: int = Field(default=15, ge=1, le=120)
    """Seconds a Web API call may take before it counts as failed (and its job is retried)."""
    walkaway_job_stale_seconds: int = Field(default=15, ge=3, le=3600)
    """A job whose worker has not refreshed its claim for this long is run by another."""
    walkaway_holidays: str = ""
    """Comma-separated ISO dates (2026-12-25,2027-01-01) that reminders skip like weekends."""

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_secret(value, "SLACK_BOT_TOKEN", prefix="xoxb-")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_secret(value, "SLACK_APP_TOKEN", prefix="xapp-")

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_secret(value, "SLACK_SIGNING_SECRET", prefix="")

    @field_validator("walkaway_holidays")
    @classmethod
    def _holidays_are_dates(cls, value: str) -> str:
        parse_holidays(value)
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_in_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("SLACK_API_URL must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def holidays(self) -> frozenset[date]:
        return parse_holidays(self.walkaway_holidays)

    @property
    def admin_user_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.walkaway_admins.split(",") if part.strip())

    def require_slack(self) -> None:
        """Serving Slack needs tokens; say all that is missing at once."""
        missing = ["SLACK_BOT_TOKEN"] if self.slack_bot_token is None else []
        if not self.socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        if missing:
            raise SettingsError(
                f"Set {' and '.join(missing)} (in the environment or .env) to serve Slack; "
                "add SLACK_APP_TOKEN for Socket Mode. Without Slack, `walkaway console` works."
            )


def parse_holidays(text: str) -> frozenset[date]:
    """WALKAWAY_HOLIDAYS as dates; a malformed entry is named, so start-up says what to fix.

    A plain comma-separated list rather than JSON, so it reads the way people write it in a
    .env file; blanks and a trailing comma are tolerated.
    """
    days: set[date] = set()
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            days.add(date.fromisoformat(entry))
        except ValueError:
            raise ValueError(
                f"WALKAWAY_HOLIDAYS takes comma-separated dates like 2026-12-25; "
                f"{entry!r} is not one"
            ) from None
    return frozenset(days)


def _check_secret(value: SecretStr | None, name: str, *, prefix: str) -> SecretStr | None:
    if value is None:
        return None
    raw = value.get_secret_value().strip()
    if any(marker in raw.lower() for marker in _PLACEHOLDERS):
        raise ValueError(f"{name} still holds a placeholder; paste the real value")
    if not raw.startswith(prefix):
        raise ValueError(f"{name} should start with '{prefix}'")
    if len(raw) < 8:
        raise ValueError(f"{name} looks too short to be real")
    return SecretStr(raw)


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            str(err["msg"]).removeprefix("Value error, ")
            + (f" ({'.'.join(map(str, err['loc'])).upper()})" if err["loc"] else "")
            for err in exc.errors()
        )
        raise SettingsError(
            f"Configuration problem: {problems}. `walkaway console` runs without Slack."
        ) from None
