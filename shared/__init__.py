"""Code shared by every wirewatch service: message contracts, settings, logging, errors."""
