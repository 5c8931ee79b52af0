"""Settings from the environment (and a local `.env`), shared by every mode of the app.

Secrets are SecretStr so they never end up in a log line or a traceback; malformed values are
rejected at start-up with one message saying what to set, instead of failing on first use.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///walkaway.db"
SLACK_API_URL = "https://slack.com/api/"
OAUTH_INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
_PLACEHOLDERS = ("changeme", "change-me", "your-", "xxx", "<", "...")


class SettingsError(ValueError):
    """Start-up cannot go on; the message tells the operator exactly what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, min_length=1)
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    """With SLACK_CLIENT_SECRET: install by OAuth in many workspaces (bot/slack/install.py)."""
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    """The Redirect URL registered in the app's OAuth settings; Slack's default when unset."""
    walkaway_manifest: Path | None = None
    """The manifest whose bot scopes OAuth asks for (default: the repository's manifest.yml)."""
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
    walkaway_log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per log line, with ref, team, kind and duration (bot/slack/logs)."""
    walkaway_retention_days: int = Field(default=30, ge=2, le=3650)
    """Claims and a job's own post records older than this are purged (storage/ops.py)."""
    walkaway_ready_max_job_age: int = Field(default=300, ge=0, le=86400)
    """/readyz fails while a job has waited longer than this many seconds for a worker; 0: never."""

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "slack_redirect_uri",
        mode="before",
    )
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

    @field_validator("slack_client_id")
    @classmethod
    def _client_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{3,20}\.[0-9]{3,20}", value.strip()):
            raise ValueError(
                "SLACK_CLIENT_ID should look like 1234567890.1234567890 (Basic Information, "
                "App Credentials)"
            )
        return value.strip() if value is not None else None

    @field_validator("slack_client_secret")
    @classmethod
    def _client_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_secret(value, "SLACK_CLIENT_SECRET", prefix="")

    @property
    def oauth(self) -> bool:
        """Installed by OAuth in many workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def can_call_slack(self) -> bool:
        """A bot token, or OAuth installs to take each workspace's token from."""
        return self.slack_bot_token is not None or self.oauth

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
        if self.slack_client_id is not None or self.slack_client_secret is not None:
            self._require_oauth()
            return
        missing = ["SLACK_BOT_TOKEN"] if self.slack_bot_token is None else []
        if not self.socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        if missing:
            raise SettingsError(
                f"Set {' and '.join(missing)} (in the environment or .env) to serve Slack; "
                "add SLACK_APP_TOKEN for Socket Mode. Without Slack, `walkaway console` works."
            )

    def _require_oauth(self) -> None:
        """OAuth half set, or set beside what contradicts it: one line saying what to change."""
        missing = [
            name
            for name, value in (
                ("SLACK_CLIENT_ID", self.slack_client_id),
                ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if value is None
        ]
        if missing:
            raise SettingsError(
                f"Installing by OAuth needs {' and '.join(missing)} as well (Basic Information "
                "in the app's settings); or unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to "
                "serve one workspace with SLACK_BOT_TOKEN."
            )
        if self.slack_bot_token is not None:
            raise SettingsError(
                "Set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (installed by OAuth in many workspaces), not both."
            )
        if self.socket_mode:
            raise SettingsError(
                "Installing by OAuth needs HTTP mode (Slack sends installers to "
                "/slack/oauth_redirect): unset SLACK_APP_TOKEN."
            )
        redirect = self.slack_redirect_uri
        if redirect is not None and (
            not redirect.startswith(("https://", "http://localhost", "http://127.0.0.1"))
            or not redirect.split("?")[0].endswith(OAUTH_REDIRECT_PATH)
        ):
            raise SettingsError(
                f"SLACK_REDIRECT_URI must be the https URL of this app's {OAUTH_REDIRECT_PATH} "
                f"(e.g. https://walkaway.example.com{OAUTH_REDIRECT_PATH}), the same as the "
                f"Redirect URL in the app's OAuth & Permissions; it is {redirect!r}."
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
