"""The web console: server-rendered pages for agents and supervisors (htmx for the live parts)."""
