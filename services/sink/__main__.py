"""`python -m services.sink`: run one sink worker (run more copies to scale out)."""

from services.sink.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
