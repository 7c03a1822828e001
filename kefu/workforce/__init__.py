"""Workforce planning: forecast contact volume, staff it with Erlang C/A, roster it, watch for surges.

The numeric modules (`erlang`, `erlang_a`, `seats`, `staffing`, `forecast`, `rules`, `surge`) are pure;
`scheduling` wraps OR-Tools CP-SAT and `cli` is the Typer sub-app `kefu wfm`.
"""
