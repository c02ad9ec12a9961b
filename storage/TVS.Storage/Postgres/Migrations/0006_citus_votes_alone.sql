-- requires: citus
-- supersedes: 0002
-- 0002_citus.sql for the schema after 0005_votes_alone.sql (no nullifiers table). 0002 is
-- applied only once citus is available, so on a server that gets citus after 0005 ran, 0002
-- would fail on the missing nullifiers; the migrator skips 0002 wherever it is not recorded
-- (outcome "superseded") and applies this instead. Where 0002 was applied (the tables are
-- distributed already) every call below is skipped by its guard, so this is a no-op there.
--
-- votes is distributed by nullifier_hash, not by election_id, which would put a whole national
-- election on one shard (docs/design.md, "Storage"); its primary key starts with nullifier_hash, so
-- uniqueness of (nullifier_hash, election_id) holds within each shard, which is all of it.
create extension if not exists citus;
select create_reference_table(t::regclass)
from unnest(array['elections', 'candidates', 'trustees']) as t
where not exists (select 1 from pg_dist_partition where logicalrelid = t::regclass);
select create_distributed_table('votes', 'nullifier_hash')
where not exists (select 1 from pg_dist_partition where logicalrelid = 'votes'::regclass);
select create_distributed_table('credentials', 'commitment')
where not exists (select 1 from pg_dist_partition where logicalrelid = 'credentials'::regclass);
