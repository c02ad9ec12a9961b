-- Stop storing each vote's bytes twice (docs/formats.md "PostgreSQL schema", docs/PERFORMANCE.md
-- "PostgreSQL binary COPY"). votes.record is the whole v1 plaintext; merkle_root, proof and
-- ballot were copies of its fields at fixed offsets and made a row ~1.1 KB instead of ~0.6 KB,
-- which is WAL, heap and checkpoint I/O on the hot path. The view votes_v1 gives them back to
-- queries, cut out of record by the offsets of "Vote record (v1)".
--
-- Idempotent on its own (if exists / or replace), and applies on top of a v1 schema that already
-- holds rows: dropping a column does not rewrite the table (old rows keep the bytes until they
-- are rewritten, e.g. by VACUUM FULL), so it is instant whatever the size.
--
-- votes_by_position stays: it is what reads a partition in MMR order (PostgresVoteStore.ReadAll,
-- audits, rebuilding inclusion proofs from the database), and its inserts are sequential per
-- partition (mmr_index grows), so it costs little next to the random primary-key inserts.
-- nullifiers keeps partition and mmr_index: 12 bytes of a ~90-byte row, and they let the
-- status lookup by nullifier say where the vote is without touching votes' 0.6 KB rows.
alter table votes drop column if exists merkle_root;
alter table votes drop column if exists proof;
alter table votes drop column if exists ballot;
-- Ciphertext does not compress: a record over the TOAST threshold (large ballots) is moved out
-- of line without pglz trying first.
alter table votes alter column record set storage external;

create or replace view votes_v1 as
select nullifier_hash, election_id, partition, mmr_index, input_offset, depth,
       substring(record from 24 for 32) as merkle_root,
       substring(record from 88 for 256) as proof,
       substring(record from 348) as ballot,
       record, accepted_at
from votes;
