"""The manifest is how a team installs the app; a mistake in it surfaces only in Slack's settings
page or, worse, as a feature that silently never receives its events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from bot.slack.ids import Shortcut

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "manifest.yml"
SCHEMA = REPO.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"

# Every bot scope the app may request, with the reason. A scope added to manifest.yml without a
# line here fails, so widening the app's access is always a reviewed, explained change.
JUSTIFIED_BOT_SCOPES = {
    "commands": "receive /walkaway and the Check this deal message shortcut",
    "chat:write": "post and update questions, verdicts, drafts and manager pings",
    "im:write": "open a DM with a rep or manager (conversations.open)",
    "mpim:write": "open the group DM of rep and manager when the manager chooses Discuss",
    "im:history": "receive message.im: answers typed in the bot's DM",
    "mpim:history": "look in the rep and manager's group DM for a post whose outcome was lost",
    "channels:history": "look in the deal-desk channel for a ping whose outcome was lost",
    "users:read": "users.info: admin checks and display names",
    "channels:read": "conversations.members: only deal-desk channel members may answer its pings",
    "files:write": "files_upload_v2: /walkaway report sends the records export as a CSV in a DM; "
    "the weekly digest uploads its 12-week chart to each manager's DM",
}

# Events and the scope Slack requires before it will deliver them.
EVENT_SCOPES = {
    "message.im": "im:history",
    "app_home_opened": None,
    "app_uninstalled": None,
    "tokens_revoked": None,
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text("utf-8"))
    assert isinstance(loaded, dict), "manifest.yml must be a YAML mapping"
    return loaded


def _bot_scopes(manifest: dict[str, Any]) -> list[str]:
    return list(manifest.get("oauth_config", {}).get("scopes", {}).get("bot", []))


def _bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest.get("settings", {}).get("event_subscriptions", {}).get("bot_events", []))


def test_manifest_matches_slacks_published_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not available at {SCHEMA}")
    validator = Draft7Validator(json.loads(SCHEMA.read_text("utf-8")))
    errors = sorted(validator.iter_errors(manifest), key=lambda error: list(map(str, error.path)))
    listed = "\n".join(
        f"  {'/'.join(map(str, error.path)) or '(top)'}: {error.message}" for error in errors
    )
    assert not errors, f"manifest.yml breaks Slack's schema:\n{listed}"


def test_background_color_is_a_hex_colour(manifest: dict[str, Any]) -> None:
    # The schema spells this constraint "regex", which JSON Schema ignores, so check it here.
    colour = manifest["display_information"].get("background_color", "")
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", colour), colour


def test_the_slash_command_is_walkaway(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [command["command"] for command in commands] == ["/walkaway"]
    (walkaway,) = commands
    # Mentions must arrive as <@U…|name> ids for `manager @someone` and `search rep:@someone`.
    assert walkaway["should_escape"] is True
    for word in ("deal name", "search", "manager", "help"):
        assert word in walkaway["usage_hint"]


def _request_urls(manifest: dict[str, Any]) -> dict[str, str | None]:
    settings = manifest["settings"]
    events = settings.get("event_subscriptions", {})
    interactivity = settings.get("interactivity", {})
    urls = {
        "settings.event_subscriptions.request_url": events.get("request_url"),
        "settings.interactivity.request_url": interactivity.get("request_url"),
    }
    for index, command in enumerate(manifest["features"].get("slash_commands", [])):
        urls[f"features.slash_commands[{index}].url"] = command.get("url")
    return urls


def test_request_urls_agree_with_the_connection_mode(manifest: dict[str, Any]) -> None:
    urls = _request_urls(manifest)
    if manifest["settings"].get("socket_mode_enabled"):
        present = {where: url for where, url in urls.items() if url}
        assert not present, f"Socket Mode is on, so Slack rejects request URLs: {present}"
        assert not manifest["settings"]["interactivity"].get("message_menu_options_url")
    else:
        missing = [where for where, url in urls.items() if not url]
        assert not missing, f"HTTP mode needs a request URL at: {missing}"


def _schema_errors(document: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(json.loads(SCHEMA.read_text("utf-8")))
    return [error.message for error in validator.iter_errors(document)]


def test_schema_check_would_catch_a_broken_manifest(manifest: dict[str, Any]) -> None:
    # Guards the guard: a schema file that loaded but validated nothing would pass everything.
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not available at {SCHEMA}")
    broken = json.loads(json.dumps(manifest))
    broken["features"]["slash_commands"][0]["command"] = "walkaway"
    broken["display_information"]["name"] = "W" * 36
    del broken["settings"]["interactivity"]["is_enabled"]
    errors = _schema_errors(broken)
    assert len(errors) == 3, errors


def test_typed_dm_answers_can_reach_the_app(manifest: dict[str, Any]) -> None:
    assert "message.im" in _bot_events(manifest)
    assert "im:history" in _bot_scopes(manifest)
    app_home = manifest["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False


def test_every_subscribed_event_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = set(_bot_scopes(manifest))
    for event in _bot_events(manifest):
        assert event in EVENT_SCOPES, f"{event}: add it to EVENT_SCOPES with its required scope"
        needed = EVENT_SCOPES[event]
        assert needed is None or needed in scopes, f"{event} needs the {needed} scope"


def test_home_tab_is_enabled_because_app_home_opened_is_subscribed(
    manifest: dict[str, Any],
) -> None:
    if "app_home_opened" in _bot_events(manifest):
        assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_every_scope_is_justified(manifest: dict[str, Any]) -> None:
    unexplained = sorted(set(_bot_scopes(manifest)) - JUSTIFIED_BOT_SCOPES.keys())
    assert not unexplained, (
        f"scopes without a reason in JUSTIFIED_BOT_SCOPES: {unexplained}; "
        "add the reason there (and in manifest.yml) or drop the scope"
    )
    assert not manifest["oauth_config"]["scopes"].get("user"), "the app needs no user scopes"


def test_no_justified_scope_is_left_unused(manifest: dict[str, Any]) -> None:
    # The other half of "smallest set": a reason kept for a scope the app dropped would let the
    # scope creep back unreviewed.
    assert set(_bot_scopes(manifest)) == JUSTIFIED_BOT_SCOPES.keys()


def test_interactivity_is_on_for_buttons_and_modals(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_deployment_settings_are_the_simple_ones(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    bot_user = manifest["features"]["bot_user"]
    assert (bot_user["display_name"], bot_user["always_online"]) == ("walkaway", False)
    assert manifest["display_information"]["name"] == "Walk-away advisor"


def test_check_this_deal_is_a_message_shortcut_the_app_listens_for(
    manifest: dict[str, Any],
) -> None:
    shortcuts = manifest["features"].get("shortcuts", [])
    by_id = {shortcut["callback_id"]: shortcut for shortcut in shortcuts}
    assert set(by_id) == {s.value for s in Shortcut}, "every Shortcut id is declared, and only they"
    check = by_id[Shortcut.CHECK_THIS_DEAL]
    assert (check["type"], check["name"]) == ("message", "Check this deal")
    # Slack delivers shortcuts over interactivity, to apps holding the commands scope.
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "commands" in _bot_scopes(manifest)


def test_an_oauth_install_hears_of_its_uninstall(manifest: dict[str, Any]) -> None:
    # bot/slack/install.py removes the installation on these two events.
    assert {"app_uninstalled", "tokens_revoked"} <= set(_bot_events(manifest))
