"""Query functions: (session, scope, filters) -> DataFrame, what pages and components call.

They read the rollup tables (and raw rows for drill-down), build on `models.measures`, and decide
inside the data layer whether a rollup or the raw rows answer a question."""
