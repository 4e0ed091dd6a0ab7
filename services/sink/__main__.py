"""`python -m services.sink`: run one sink worker (run more copies to scale out)."""

from shared.worker import run_worker
from services.sink.app import app, settings

if __name__ == "__main__":
    run_worker(app, settings)
