-- Two roles for the cockpit's PostgreSQL database: the OWNER runs migrations (creates and alters tables); the APP
-- role, which the app processes and the daily sync connect as, reads and writes rows and can neither create, alter
-- nor drop a table. Run once as a superuser, in the cockpit's database:
--
--   sudo -u postgres psql -d cockpit -v owner=cockpit_owner -v app=cockpit_app -v schema=public \
--        -f deploy/postgres-roles.sql
--   sudo -u postgres psql -d cockpit -c '\password cockpit_owner' -c '\password cockpit_app'
--
-- Then: migrations with DATABASE_URL=postgresql+psycopg://cockpit_owner:...@host/cockpit (python manage.py migrate,
-- seed, restore), the app and the sync with DATABASE_URL=postgresql+psycopg://cockpit_app:...@host/cockpit.
-- Safe to run again (after each migration it also grants on tables that a migration added before this ran).
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner')
\gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')
\gexec

CREATE SCHEMA IF NOT EXISTS :"schema";
ALTER SCHEMA :"schema" OWNER TO :"owner";
REVOKE CREATE ON SCHEMA :"schema" FROM PUBLIC;
REVOKE CREATE ON SCHEMA :"schema" FROM :"app";
GRANT USAGE ON SCHEMA :"schema" TO :"app";

-- rows, not tables: what the owner creates from now on, and what already exists
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app";

ALTER ROLE :"owner" SET search_path = :"schema";
ALTER ROLE :"app" SET search_path = :"schema";
