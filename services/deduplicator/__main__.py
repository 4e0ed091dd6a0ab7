"""`python -m services.deduplicator`: run one deduplicator worker (run more copies to scale out)."""

from services.deduplicator.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
