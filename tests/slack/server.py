"""Serve a Bolt app over real HTTP for end-to-end tests, the way production serves it.

The app runs behind waitress and the signature-checking WSGI handler of bot/slack/http.py, the
same stack as ``walkaway serve``, on an ephemeral port so parallel test runs never collide.
Going through a socket (rather than calling ``app.dispatch`` directly) keeps signature checks,
header handling and the ack-then-continue threading honest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import App
from waitress import wasyncore
from waitress.server import TcpWSGIServer, create_server

from bot.slack.http import VerifiedRequestHandler

__all__ = ["serve_bolt"]


@contextmanager
def serve_bolt(
    app: App,
    *,
    signing_secret: str,
    path: str = "/slack/events",
    threads: int = 4,
    wrap: Callable[[Any], Any] | None = None,
) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT`` while ``app`` answers Slack requests at ``path``.

    ``signing_secret`` is the app's: the handler verifies every request with it before Bolt
    (which checks again) sees it, as in production.

    Shutdown runs inside waitress's own event loop (via its trigger) because closing sockets
    from another thread while the loop polls them races; the loop then ends on its own.
    """
    channels: dict[int, Any] = {}  # every socket this server's loop watches
    edge: Any = VerifiedRequestHandler(app, signing_secret=signing_secret, path=path)
    server = create_server(
        wrap(edge) if wrap is not None else edge,  # `wrap`: e.g. serve's probes and /metrics
        map=channels,
        host="127.0.0.1",
        port=0,
        threads=threads,
    )
    assert isinstance(server, TcpWSGIServer), "one host and port give a single TCP server"
    loop = threading.Thread(target=server.run, name="bolt-waitress", daemon=True)
    loop.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        # Let requests already being served finish first: their responses wake the loop
        # through the trigger, which must still be open.
        server.task_dispatcher.shutdown(timeout=5)
        trigger: Any = server.trigger  # the stubs type it loosely
        # pull_trigger() queues the thunk, then writes to the pipe outside its lock; if a worker
        # thread woke the loop in between, the loop runs our thunk, closes the pipe, and the
        # write fails (or lands on a reused descriptor). Holding the lock across both steps
        # keeps the loop from running the thunk until the write is done.
        with trigger.lock:
            trigger.thunks.append(lambda: wasyncore.close_all(channels))
            trigger._physical_pull()
        loop.join(timeout=5)
