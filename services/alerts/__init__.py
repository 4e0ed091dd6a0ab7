"""Alerts: watch rules over the consolidated events, one alert per (rule, event)."""
