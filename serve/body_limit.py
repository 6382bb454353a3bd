"""An ASGI middleware that refuses request bodies over a size limit with 413, by the
Content-Length header when there is one and by counting the bytes as they arrive (chunked
uploads), so an oversized upload is never held in memory."""

from __future__ import annotations

import json


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the request body is larger than the server's limit of {limit:,} bytes")


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await too_large(send, BodyTooLarge(self.max_bytes))
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)  # answered with 413 by the app's handler
            return message

        await self.app(scope, counted_receive, send)


async def too_large(send, error: BodyTooLarge) -> None:
    body = json.dumps({"detail": str(error)}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
