"""`python -m bot` is the same as the `walkaway` command."""

from bot.cli import main

main()
