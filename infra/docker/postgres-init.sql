-- Runs once, as the superuser, when the postgres container starts with an empty data directory
-- (files in /docker-entrypoint-initdb.d). Each subgraph owns its data: one login and one
-- database per subgraph, so no service can read or migrate another's tables.
-- Development passwords only; docker-compose.yml uses the same ones in <NAME>_DATABASE_URL.

create user accounts with password 'accounts-dev';
create database accounts owner accounts;

create user catalog with password 'catalog-dev';
create database catalog owner catalog;

create user bookings with password 'bookings-dev';
create database bookings owner bookings;

create user billing with password 'billing-dev';
create database billing owner billing;

-- The bookings migration runs `create extension if not exists btree_gist` (for its no-overlap
-- exclusion constraint) as the owner, which needs the extension to exist already.
\connect bookings
create extension if not exists btree_gist;

-- catalog's search index over booked ranges (listing_occupancy) is a GiST index on (uuid, range).
\connect catalog
create extension if not exists btree_gist;
