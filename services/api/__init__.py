"""Read API and live events page over the sink's event store."""
