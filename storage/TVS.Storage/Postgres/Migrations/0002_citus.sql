-- requires: citus
-- Applied only where the citus extension is available (PostgresMigrator checks
-- pg_available_extensions); elsewhere it is reported as not applicable and not recorded, so it
-- applies once citus is installed (create_distributed_table then moves existing rows).
--
-- votes and nullifiers are distributed and colocated by nullifier_hash, not by election_id,
-- which would put a whole national election on one shard (DESIGN.md, "Storage"). A vote and
-- its nullifier row land on the same shard, so the flush's two COPYs touch the same workers.
create extension if not exists citus;
select create_reference_table('elections');
select create_reference_table('candidates');
select create_reference_table('trustees');
select create_distributed_table('votes', 'nullifier_hash');
select create_distributed_table('nullifiers', 'nullifier_hash', colocate_with => 'votes');
select create_distributed_table('credentials', 'commitment');
