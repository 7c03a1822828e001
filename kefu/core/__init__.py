"""Core services every domain uses: settings, database, clock, ids, events, i18n."""
