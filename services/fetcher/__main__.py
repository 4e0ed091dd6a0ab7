"""`python -m services.fetcher`: run the fetcher's worker (one per sources file)."""

from services.fetcher.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
