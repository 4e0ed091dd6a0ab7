"""``python -m services.fetcher``: run the fetcher's faust worker."""

from __future__ import annotations

import sys

from services.fetcher.app import app, settings


def main() -> None:
    """Start the worker with the settings' log level and web (metrics/health) port."""
    sys.argv = [
        sys.argv[0],
        "worker",
        "-l",
        settings.log_level.lower(),
        "--web-port",
        str(settings.web_port),
        "--web-host",
        settings.web_host,
    ]
    app.main()


if __name__ == "__main__":
    main()
