"""Workforce planning: forecast contact volume, staff it with Erlang C/A, roster it, watch for surges.

Pure modules (values in, values out): `erlang`, `erlang_a`, `seats`, `staffing`, `forecast`, `shifts`,
`rules`, `roster_greedy`, `roster_export`, `surge`, `adherence`, `csv_io`, `errors`. The CP-SAT models
are `headcount` and `scheduling` (with `cpsat` and `roster_hints`); `cli` is the Typer sub-app `wfm_app`.
See docs/workforce.md.
"""
