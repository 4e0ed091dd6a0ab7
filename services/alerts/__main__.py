"""`python -m services.alerts`: run one alerts worker (WIREWATCH_ALERTS_FILE names the rules)."""

from services.alerts.app import app, settings
from shared.worker import run_worker

if __name__ == "__main__":
    run_worker(app, settings)
