"""Serve a folder over HTTP with the headers that make a page cross-origin isolated
(COOP: same-origin, COEP: require-corp), so ONNX Runtime Web may use WebAssembly threads.

Standard library only: `artifactsdk export-web` copies this file into its output, where
`python serve.py [--port 8000]` serves the demo.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
                      ".onnx": "application/octet-stream", ".json": "application/json"}

    def end_headers(self) -> None:
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # quiet: one line per request is noise here
        pass


class IsolatedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A browser that drops a connection it no longer needs is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def make_server(directory: str | Path, port: int = 0, host: str = "127.0.0.1") -> IsolatedServer:
    """A server for `directory` (port 0 = any free port; read it from server.server_address)."""
    handler = functools.partial(IsolatedHandler, directory=str(directory))
    return IsolatedServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--directory", default=str(Path(__file__).resolve().parent))
    options = parser.parse_args()
    server = make_server(options.directory, options.port, options.host)
    print(f"serving {options.directory} at http://{options.host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
