-- docker-compose: one role and one database per service (the same names as
-- deploy/postgres/pg.sh create-dbs); no service can read another's tables.
CREATE ROLE ek_attendance LOGIN PASSWORD 'ek_attendance';
CREATE ROLE ek_activity LOGIN PASSWORD 'ek_activity';
CREATE ROLE ek_scoring LOGIN PASSWORD 'ek_scoring';
CREATE ROLE ek_gateway LOGIN PASSWORD 'ek_gateway';
CREATE DATABASE ek_attendance OWNER ek_attendance;
CREATE DATABASE ek_activity OWNER ek_activity;
CREATE DATABASE ek_scoring OWNER ek_scoring;
CREATE DATABASE ek_gateway OWNER ek_gateway;
REVOKE ALL ON DATABASE ek_attendance, ek_activity, ek_scoring, ek_gateway FROM PUBLIC;
