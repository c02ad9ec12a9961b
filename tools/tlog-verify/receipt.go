package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// receipt is a TVS voter receipt (docs/formats.md "Voter receipt").
type receipt struct {
	Version        int      `json:"version"`
	ElectionID     string   `json:"electionId"`
	Nullifier      string   `json:"nullifier"`
	Partition      int64    `json:"partition"`
	Index          int64    `json:"index"`
	Record         string   `json:"record"`
	LeafHash       string   `json:"leafHash"`
	TreeSize       int64    `json:"treeSize"`
	InclusionProof []string `json:"inclusionProof"`
	Checkpoint     string   `json:"checkpoint"`
}

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	nullifierRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Offsets in the v1 vote record (docs/formats.md "Vote record (v1)").
const (
	recordHeader      = 347
	recordElectionID  = 6
	recordNullifierAt = 55
	recordLengthAt    = 343
)

func checkReceipt(keyFile, file string, partitions int) (string, error) {
	data, err := readFileBounded(file, file, 4*maxNote)
	if err != nil {
		return "", err
	}
	// Every field is required: a missing one must not read as zero (index 0, partition 0).
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return "", fmt.Errorf("receipt JSON: %w", err)
	}
	for _, k := range []string{"version", "electionId", "nullifier", "partition", "index", "record", "leafHash", "treeSize", "inclusionProof", "checkpoint"} {
		if v, ok := fields[k]; !ok || string(v) == "null" {
			return "", fmt.Errorf("receipt: no %s", k)
		}
	}
	var r receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return "", fmt.Errorf("receipt JSON: %w", err)
	}
	if r.Version != 1 {
		return "", fmt.Errorf("receipt version %d, only 1 is known", r.Version)
	}
	if !uuidRE.MatchString(r.ElectionID) {
		return "", fmt.Errorf("receipt electionId %q is not a lowercase UUID", r.ElectionID)
	}
	if !nullifierRE.MatchString(r.Nullifier) {
		return "", errors.New("receipt nullifier is not 64 lowercase hex digits")
	}
	nullifier, _ := hex.DecodeString(r.Nullifier)
	election, _ := hex.DecodeString(strings.ReplaceAll(r.ElectionID, "-", ""))
	record, err := decodeB64(r.Record)
	if err != nil {
		return "", fmt.Errorf("receipt record: %w", err)
	}
	leaf, err := parseHash(r.LeafHash)
	if err != nil {
		return "", fmt.Errorf("receipt leafHash: %w", err)
	}
	proof, err := parseHashes(r.InclusionProof)
	if err != nil {
		return "", fmt.Errorf("receipt inclusionProof: %w", err)
	}
	cp, err := openCheckpoint(keyFile, []byte(r.Checkpoint))
	if err != nil {
		return "", err
	}
	if partitions > 0 {
		if want := partitionOf(nullifier, partitions); r.Partition != int64(want) {
			return "", fmt.Errorf("partition %d, the nullifier belongs to partition %d of %d", r.Partition, want, partitions)
		}
	}
	if origin := fmt.Sprintf("tvs/%s/p%d", r.ElectionID, r.Partition); cp.origin != origin {
		return "", fmt.Errorf("checkpoint origin %q, expected %q", cp.origin, origin)
	}
	if cp.size != r.TreeSize {
		return "", fmt.Errorf("checkpoint size %d, receipt treeSize %d", cp.size, r.TreeSize)
	}
	if r.Index < 0 || r.Index >= r.TreeSize {
		return "", fmt.Errorf("index %d outside a tree of size %d", r.Index, r.TreeSize)
	}
	if tlog.RecordHash(record) != leaf {
		return "", errors.New("leafHash is not the RFC 9162 leaf hash of the record")
	}
	recordNullifier, err := voteRecordNullifier(record, election)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(recordNullifier, nullifier) {
		return "", errors.New("record carries another nullifier")
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, r.Index, leaf); err != nil {
		return "", fmt.Errorf("inclusion proof (index %d, size %d): %w", r.Index, cp.size, err)
	}
	return fmt.Sprintf("receipt election %s partition %d index %d size %d root %s", r.ElectionID, r.Partition, r.Index, cp.size, cp.root), nil
}

// voteRecordNullifier checks the framing of a v1 vote record (magic, version, flags, the ballot
// length equal to the bytes after the header) and that it is for the election (16 bytes, RFC 4122
// order), and returns its nullifier. The proof and the values below r are the engine's business;
// a verifier of the board only needs to know which election and which nullifier a record claims.
func voteRecordNullifier(record, election []byte) ([]byte, error) {
	if len(record) <= recordHeader || !bytes.HasPrefix(record, []byte("TVSV\x01\x00")) ||
		binary.BigEndian.Uint32(record[recordLengthAt:]) != uint32(len(record)-recordHeader) {
		return nil, errors.New("not a v1 vote record")
	}
	if !bytes.Equal(record[recordElectionID:recordElectionID+16], election) {
		return nil, errors.New("record is for another election")
	}
	return record[recordNullifierAt : recordNullifierAt+32], nil
}

// b64Strict refuses non-canonical padding bits: one record, one encoding.
var b64Strict = base64.StdEncoding.Strict()

func decodeB64(s string) ([]byte, error) {
	b, err := b64Strict.DecodeString(s)
	if err != nil {
		return nil, errors.New("not base64")
	}
	return b, nil
}

// partitionOf is Kafka's default partitioner for keyed records, as the gateway's producers place
// a vote: (murmur2(key) & 0x7fffffff) mod partitions.
func partitionOf(key []byte, partitions int) int {
	return int(uint32(murmur2(key))&0x7fffffff) % partitions
}

// murmur2 is Kafka's (Utils.murmur2): seed 0x9747b28c, little-endian 4-byte blocks.
func murmur2(data []byte) int32 {
	const m = 0x5bd1e995
	h := uint32(0x9747b28c) ^ uint32(len(data))
	n := len(data) &^ 3
	for i := 0; i < n; i += 4 {
		k := binary.LittleEndian.Uint32(data[i:])
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
	}
	switch len(data) & 3 {
	case 3:
		h ^= uint32(data[n+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[n+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[n])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}
