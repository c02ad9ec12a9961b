-- One row per vote (docs/formats.md "PostgreSQL schema", docs/PERFORMANCE.md "PostgreSQL binary
-- COPY", "One row per vote"). nullifiers repeated votes' primary key (nullifier_hash,
-- election_id) plus partition and mmr_index: a second random b-tree insert, a second heap row and
-- a second COPY per vote. votes' primary key now carries partition and mmr_index as INCLUDE
-- columns, so the status lookup nullifier -> (partition, mmr_index) is an index-only scan where
-- the visibility map allows (autovacuum sets it on insert-only tables), and uniqueness of
-- (nullifier_hash, election_id) is enforced by that same primary key, exactly as before.
--
-- On a database that already holds rows: the migrator runs this file in one transaction, so no
-- moment exists without a unique constraint on votes (the old primary key is dropped and the new
-- one built in the same statement) and nothing is lost: every nullifiers row was written in the
-- same transaction as its votes row, with the same key and positions, so votes already holds all
-- of it. Building the new index reads the whole table under an ACCESS EXCLUSIVE lock on votes:
-- writes and reads of votes wait for it (about a minute per ten million rows on modest disks).
-- Run it (`tvs db migrate`) with the engines stopped, not in the middle of an election's ingest;
-- the engines' COPYs would only wait for the lock, but the gateways' Kafka backlog grows meanwhile.
--
-- Under Citus (0002_citus.sql applied): votes is distributed by nullifier_hash. The new primary
-- key still starts with the distribution column, which Citus requires of every unique constraint
-- (uniqueness is checked inside each shard, and a nullifier's rows all live in one shard);
-- INCLUDE columns are not key columns and are allowed. Citus propagates the ALTER TABLE to every
-- shard placement in one distributed transaction (two-phase commit across the workers), each
-- worker building its shards' indexes in parallel, under the same lock on the distributed table;
-- if a worker fails, the whole migration rolls back on all of them. drop table nullifiers drops
-- its shards on every worker the same way. If citus is installed only after this migration ran,
-- 0002_citus.sql would still try to distribute nullifiers: 0006_citus_votes_alone.sql (the same
-- distribution without nullifiers) supersedes it, so the migrator skips 0002 wherever 0002 is
-- not recorded yet, and applies 0006 where citus is available.
drop table if exists nullifiers;
alter table votes
    drop constraint votes_pkey,
    add constraint votes_pkey primary key (nullifier_hash, election_id) include (partition, mmr_index);
