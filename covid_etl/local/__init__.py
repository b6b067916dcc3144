"""The local stack: `covid-etl up` on one machine, and the embedded emulator it starts.

`stack` (the processes, the schedule, the state file), `state` (the table and bucket kept across
stops), `watch` (runs' ends, from the topic) and `emulator` with its fixes to moto and werkzeug
(`moto_transactions`, `moto_serialize`, `keepalive`), pinned to the versions they were written for.

Nothing in `shared/`, `services/` or the rest of `covid_etl/` imports this package: the CLI imports
it for `up` alone, so `covid-etl run | runs | status | replay` against AWS never loads moto. moto is
the optional `local` extra (`pip install covid-etl[local]`; requirements-local.lock), which
`make run` and `make test` install.
"""
