"""uvicorn's h11 protocol with deadlines for incomplete requests: uvicorn times out idle
keep-alive connections but not a request that trickles in, so a few hundred slow clients
could hold the server's connections forever. Here a request's headers must arrive within
`header_timeout` seconds of the connection (or of the previous response), and its body
within `body_timeout` seconds of the headers; else the connection is closed.

Passed to uvicorn as `http=deadline_protocol(...)` (a Config accepts the protocol class).
"""

from __future__ import annotations

import functools

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class DeadlineH11Protocol(H11Protocol):
    def __init__(self, *args, header_timeout: float, body_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self._deadline = None
        self._waiting_for = None  # the h11 state the running deadline ends

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._expect(h11.IDLE, self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for is h11.IDLE and self.conn.their_state is h11.SEND_BODY:
            self._expect(h11.SEND_BODY, self.body_timeout)  # headers complete: now the body

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._expect(h11.IDLE, self.header_timeout)  # the next request on this connection

    def connection_lost(self, exc) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _expect(self, state, seconds: float) -> None:
        """Close the connection if the client is still in h11 `state` after `seconds`."""
        self._cancel()
        self._waiting_for = state
        self._deadline = self.loop.call_later(seconds, self._check, state)

    def _check(self, state) -> None:
        self._deadline = None
        if self.conn.their_state is state and not self.transport.is_closing():
            what = "headers" if state is h11.IDLE else "body"
            self.logger.info("closing a connection whose request %s did not arrive in time", what)
            self.transport.close()

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def deadline_protocol(header_timeout: float, body_timeout: float):
    """The protocol factory for uvicorn.Config(http=...)."""
    return functools.partial(DeadlineH11Protocol, header_timeout=header_timeout, body_timeout=body_timeout)
