"""The opencsms load benchmark: ``python -m benchmarks.run`` (or ``make bench``) writes docs/benchmarks.md.

- ``ceiling``: a server that answers every CALL with a prebuilt result (no validation, no storage).
- ``mixes``: the station message mixes (OCPP 1.6 session, OCPP 2.0.1 session).
- ``load``: the load generator (busy stations cycling a mix, or idle stations).
- ``run``: the orchestration (servers, worker processes, measurements) and the report.
"""
