"""The HTTP edge: app factory, dependencies, error handlers, operations endpoints."""
