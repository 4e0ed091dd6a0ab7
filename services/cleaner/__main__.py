"""`python -m services.cleaner`: run one cleaner worker (run more copies to scale out)."""

from services.cleaner.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
