"""Measures: pure computations over frames and statement builders that need only the tables.

The rollup refresh and the query functions both build on them; a measure imports no query function
and no refresh, so the same rule (a drop, a fraud flag, a worker's visit state) is written once."""
