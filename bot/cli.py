"""Placeholder entry point; replaced as the CLI lands."""


def main() -> None:
    raise SystemExit("not yet")
