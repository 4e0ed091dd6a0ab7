"""`python -m services.api`: serve the read API and the live page (WIREWATCH_API_HOST/PORT)."""

from __future__ import annotations

import uvicorn

from services.api.app import create_app
from services.api.settings import ApiSettings
from shared.logging import configure_logging


def main() -> None:
    settings = ApiSettings()
    configure_logging(settings.log_level, settings.log_format, service="api")
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_config=None)


if __name__ == "__main__":
    main()
