"""The morning brief pushed to each branch's WeCom group robot (issue 16), on top of the sync layer.

- `brief`: what a branch's brief says, as data (`branch_brief`: sentences, alerts, freshness).
- `wecom`: the group-robot webhook: `Sender` (queue, 20 a minute per robot, retries), the documented codes.
- `runner`: `push_briefs(engine, compose, ...)`: per branch with a robot key, compose, queue, send, audit.
"""
