"""A DATABASE_URL the app cannot use stops every command with one line naming it, exit 2.

An operator who mistypes the URL, points it at a server that is down or a database that does
not exist, or at a file that cannot be opened, gets the setting, the URL (password masked) and
the reason, instead of a hundred lines of traceback ending in the driver's message.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.cli import main
from storage.db import explain, mask_url, normalize_url
from storage.errors import DatabaseUrlError
from tests.slack.world import SECRET, TOKEN

POSTGRES_URL = os.environ.get(
    "WALKAWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REFUSED = "postgresql://walkaway:hunter22@127.0.0.1:1/walkaway"
"""Nothing listens on port 1 (only root may, and nothing does), so the connection is refused."""
MALFORMED = "::::"
UNOPENABLE = "sqlite:////proc/walkaway.db"
"""/proc takes no new files, whoever runs the tests."""
UNKNOWN_KIND = "mongodb://walkaway@127.0.0.1/walkaway"

COMMANDS = [
    ["serve"],
    ["worker"],
    ["console", "Acme renewal", "--as", "sam"],
    ["tick"],
    ["remind"],
    ["records", "list"],
    ["records", "show", "1"],
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _no_such_database() -> str:
    """The test server's URL with a database name that does not exist on it."""
    server = normalize_url(POSTGRES_URL).update_query_dict({"connect_timeout": "3"})
    probe = create_engine(server)
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = f"PostgreSQL not reachable at {server.host}:{server.port}: {exc.orig}"
        if _in_ci():
            pytest.fail(f"{reason} (CI is set, so the PostgreSQL cases must run)")
        pytest.skip(reason)
    finally:
        probe.dispose()
    missing = server.set(database=f"walkaway_no_such_db_{secrets.token_hex(4)}")
    return missing.render_as_string(hide_password=False)


@pytest.fixture(
    params=[
        pytest.param((REFUSED, "Connection refused"), id="refused"),
        pytest.param((None, "does not exist"), id="no-such-database", marks=pytest.mark.postgres),
        pytest.param((MALFORMED, "not a database URL"), id="malformed"),
        pytest.param((UNOPENABLE, "unable to open database file"), id="sqlite-under-proc"),
        pytest.param((UNKNOWN_KIND, "unknown kind of database 'mongodb'"), id="unknown-kind"),
    ]
)
def bad_url(request: pytest.FixtureRequest) -> tuple[str, str]:
    url, reason = request.param
    return (url or _no_such_database(), reason)


@pytest.fixture
def slack_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings good enough for every command, so only the database can be what stops it."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.startswith(("SLACK_", "WALKAWAY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, out, err


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_every_command_that_opens_the_store_stops_with_one_line_and_exit_2(
    argv: list[str],
    bad_url: tuple[str, str],
    slack_settings: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, reason = bad_url
    monkeypatch.setenv("DATABASE_URL", url)

    code, out, err = _run(argv, capsys)

    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"walkaway: DATABASE_URL {mask_url(url)!r}: "), lines[0]
    assert reason in lines[0]
    assert "hunter22" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["serve"], ["worker"], ["records", "list"]])
@pytest.mark.parametrize("url", [REFUSED, MALFORMED, UNOPENABLE])
def test_the_real_process_prints_no_traceback_and_no_password(
    argv: list[str], url: str, tmp_path: Path
) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "WALKAWAY_"))
    }
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET)

    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )

    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("walkaway: DATABASE_URL '"), lines[0]
    assert "Traceback" not in done.stderr
    assert "hunter22" not in done.stderr


def test_a_job_queue_file_that_cannot_be_made_is_named(
    slack_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (slack_settings / "walkaway-jobs.db").mkdir()  # where the SQLite queue's file must go
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{slack_settings / 'walkaway.db'}")

    code, _, err = _run(["records", "list"], capsys)

    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"its job queue file {slack_settings / 'walkaway-jobs.db'}: " in lines[0]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (REFUSED, "postgresql://walkaway:***@127.0.0.1:1/walkaway"),
        ("postgres://u:p%40ss@db:5432/w", "postgres://u:***@db:5432/w"),
        ("postgresql://u:p@ss@db/w", "postgresql://u:***@db/w"),  # an unescaped '@'
        ("postgresql://u@db/w", "postgresql://u@db/w"),
        ("u:secret@db/w", "u:***@db/w"),  # no scheme: unparseable, still masked
        ("postgresql://u:secret@db:port/w", "postgresql://u:***@db:port/w"),
        ("sqlite:////tmp/a:b@c.db", "sqlite:////tmp/a:b@c.db"),  # a path, not credentials
        (MALFORMED, MALFORMED),
    ],
)
def test_urls_are_shown_with_their_password_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_no_piece_of_the_password_reaches_the_reason() -> None:
    # With an unescaped '@' the driver sees part of the password as the host, and says so.
    url = "postgresql://u:top@secret@db.invalid/w"
    problem = DatabaseUrlError("failed to resolve host 'secret@db.invalid': top")

    line = explain(url, problem)

    assert "secret" not in line and "top" not in line
    assert line.startswith("'postgresql://u:***@db.invalid/w': ")
