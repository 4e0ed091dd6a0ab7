"""`python -m services.extractor`: run one extractor worker (run more copies to scale out)."""

from shared.worker import run_worker
from services.extractor.app import app, settings

if __name__ == "__main__":
    run_worker(app, settings)
