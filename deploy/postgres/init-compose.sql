-- docker-compose: per service the same roles as deploy/postgres/pg.sh create-dbs.
--   ek_<service>      owns the database and its tables; the service migrates as it
--                     (EK_MIGRATION_DATABASE_URL)
--   ek_<service>_app  the service's connection (EK_DATABASE_URL): it logs in, reads and
--                     writes the rows of what the owner creates, owns nothing, is no
--                     superuser and does not bypass row-level security, so the regency
--                     isolation of every tenant-scoped table applies to it
-- No service can read another's tables.
CREATE ROLE ek_attendance LOGIN PASSWORD 'ek_attendance';
CREATE ROLE ek_activity LOGIN PASSWORD 'ek_activity';
CREATE ROLE ek_scoring LOGIN PASSWORD 'ek_scoring';
CREATE ROLE ek_gateway LOGIN PASSWORD 'ek_gateway';
CREATE ROLE ek_attendance_app LOGIN PASSWORD 'ek_attendance_app' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE ek_activity_app LOGIN PASSWORD 'ek_activity_app' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE ek_scoring_app LOGIN PASSWORD 'ek_scoring_app' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE ek_gateway_app LOGIN PASSWORD 'ek_gateway_app' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE ek_attendance OWNER ek_attendance;
CREATE DATABASE ek_activity OWNER ek_activity;
CREATE DATABASE ek_scoring OWNER ek_scoring;
CREATE DATABASE ek_gateway OWNER ek_gateway;
REVOKE ALL ON DATABASE ek_attendance, ek_activity, ek_scoring, ek_gateway FROM PUBLIC;
GRANT CONNECT ON DATABASE ek_attendance TO ek_attendance_app;
GRANT CONNECT ON DATABASE ek_activity TO ek_activity_app;
GRANT CONNECT ON DATABASE ek_scoring TO ek_scoring_app;
GRANT CONNECT ON DATABASE ek_gateway TO ek_gateway_app;

-- the application role's rights on what the owner creates, now and later (the schema
-- rights are per database: connect to each)
\connect ek_attendance
GRANT USAGE ON SCHEMA public TO ek_attendance_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_attendance GRANT USAGE ON SCHEMAS TO ek_attendance_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_attendance GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ek_attendance_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_attendance GRANT USAGE, SELECT ON SEQUENCES TO ek_attendance_app;

\connect ek_activity
GRANT USAGE ON SCHEMA public TO ek_activity_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_activity GRANT USAGE ON SCHEMAS TO ek_activity_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_activity GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ek_activity_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_activity GRANT USAGE, SELECT ON SEQUENCES TO ek_activity_app;

\connect ek_scoring
GRANT USAGE ON SCHEMA public TO ek_scoring_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_scoring GRANT USAGE ON SCHEMAS TO ek_scoring_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_scoring GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ek_scoring_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_scoring GRANT USAGE, SELECT ON SEQUENCES TO ek_scoring_app;

\connect ek_gateway
GRANT USAGE ON SCHEMA public TO ek_gateway_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_gateway GRANT USAGE ON SCHEMAS TO ek_gateway_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_gateway GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ek_gateway_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ek_gateway GRANT USAGE, SELECT ON SEQUENCES TO ek_gateway_app;
