"""Routing (ACD): agent presence, queues, skill-based assignment, priorities, overflow and EWT.

The pure core lives in `state`, `presence`, `priority`, `pool`, `engine` and `ewt`; see docs/routing.md.
"""
