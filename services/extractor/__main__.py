"""`python -m services.extractor`: run one extractor worker (run more copies to scale out)."""

from services.extractor.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
