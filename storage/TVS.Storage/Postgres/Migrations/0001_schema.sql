-- TVS schema v1 (docs/formats.md, "PostgreSQL schema"). Plain PostgreSQL; 0002_citus.sql
-- distributes it when the citus extension is available.
--
-- Every unique constraint of votes, nullifiers and credentials includes their distribution
-- column (nullifier_hash, commitment): Citus can only enforce uniqueness within one shard. No
-- foreign key from those tables to elections: the flush stage must never fail forever because a
-- reference row is missing, and the election lifecycle owns the reference tables.

create table elections (
    election_id   uuid primary key,
    name          text not null,
    state         text not null default 'setup',
    partitions    int not null check (partitions > 0),
    created_at    timestamptz not null default now()
);

create table candidates (
    election_id   uuid not null references elections (election_id),
    candidate_id  int not null,
    name          text not null,
    primary key (election_id, candidate_id)
);

create table trustees (
    election_id   uuid not null references elections (election_id),
    trustee_index int not null check (trustee_index > 0),
    public_key    bytea not null check (octet_length(public_key) = 32), -- ristretto255 element
    primary key (election_id, trustee_index)
);

-- One row per accepted vote. record is the whole v1 plaintext (docs/formats.md "Vote record
-- (v1)"), so the MMR leaf can be recomputed from the database alone; the other columns are
-- copies of its fields for queries.
create table votes (
    nullifier_hash bytea not null check (octet_length(nullifier_hash) = 32),
    election_id    uuid not null,
    partition      int not null,
    mmr_index      bigint not null,
    input_offset   bigint not null,
    depth          smallint not null,
    merkle_root    bytea not null,
    proof          bytea not null,
    ballot         bytea not null,
    record         bytea not null,
    accepted_at    timestamptz not null,
    primary key (nullifier_hash, election_id)
);
-- Not unique: Citus could not enforce it across shards; (partition, mmr_index) is unique by
-- construction (one engine per partition, progress checked in the same transaction).
create index votes_by_position on votes (election_id, partition, mmr_index);

create table nullifiers (
    nullifier_hash bytea not null check (octet_length(nullifier_hash) = 32),
    election_id    uuid not null,
    partition      int not null,
    mmr_index      bigint not null,
    primary key (nullifier_hash, election_id)
);

-- The voter registry's identity commitments (LeanIMT leaves, docs/formats.md "Voter registry").
create table credentials (
    commitment     bytea not null check (octet_length(commitment) = 32),
    election_id    uuid not null,
    leaf_index     bigint not null,
    registered_at  timestamptz not null default now(),
    primary key (commitment, election_id)
);
create index credentials_by_leaf on credentials (election_id, leaf_index);

-- What a partition has durably committed (IVoteStore's PartitionProgress); written in the
-- same transaction as the batch's rows. A small local (coordinator) table under Citus.
create table partition_progress (
    election_id  uuid not null,
    partition    int not null,
    next_offset  bigint not null,
    mmr_size     bigint not null,
    mmr_root     bytea not null check (octet_length(mmr_root) = 32),
    accepted     bigint not null,
    rejected     bigint not null,
    updated_at   timestamptz not null default now(),
    primary key (election_id, partition)
);
