"""Data that arrives by itself (issue 16): platform connectors on top of the data layer.

- `secret_box`: Fernet encryption of stored secrets and cached tokens (key from the settings).
- `credentials`: `save_credential` (admins; CLI `manage.py connect` and the admin page), `credential_refs`.
- `http`: `ApiClient` (pool, shared rate limit, retries, DB token cache, error codes -> exceptions).
- `lock`: `sync_lock(engine)` (PostgreSQL advisory lock / SQLite lock row).
- `wechat`: official-account followers through the import pipeline; `runner`: `run_sync` and `SOURCES`.
- `wecom` (staff-day statistics, shared WeCom helpers) and `wecom_groups` (groups and member lists): WeCom
  customer contact through the same pipeline.
"""
