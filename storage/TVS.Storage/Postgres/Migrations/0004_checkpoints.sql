-- Signed checkpoints in the authority (docs/formats.md "PostgreSQL schema"). The flush stage
-- signs a partition's checkpoint at each sync and stores it in the same transaction as the
-- progress it covers, so PostgreSQL and the public bulletin board never disagree: the board
-- publisher (and, after a crash or an S3 outage, its successor) publishes from this table.
--
-- A small local (coordinator) table under Citus, like partition_progress: a few rows per
-- partition per minute.
create table if not exists checkpoints (
    election_id  uuid not null,
    partition    int not null,
    tree_size    bigint not null check (tree_size >= 0),
    root         bytea not null check (octet_length(root) = 32),
    note         text not null,
    signed_at    timestamptz not null default now(),
    primary key (election_id, partition, tree_size)
);
