"""Wirewatch services: one folder a process."""
