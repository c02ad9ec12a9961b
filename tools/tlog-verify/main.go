// Command tlog-verify checks TVS checkpoints and proofs with Go's own implementations of signed
// notes (golang.org/x/mod/sumdb/note) and RFC 6962/9162 Merkle trees (golang.org/x/mod/sumdb/tlog),
// independently of the C# code that produced them. Four modes:
//
//	tlog-verify -key verifier.key -note checkpoint.note [-origin O] [-combined] [-proofs proofs.json|-]
//	tlog-verify -key verifier.key -tiles DIR [-origin O] [-proofs-every K] [-partitions P]
//	tlog-verify -make-tiles DIR -entries FILE
//	tlog-verify -key verifier.key -receipt receipt.json [-partitions P]
//
// -note: the checkpoint note must be signed by the verifier key (note.Open) and hold a C2SP
// tlog-checkpoint body (origin, size, base64 root, optional extension lines). proofs.json:
//
//	{"leaves":      ["base64 leaf data", ...],  // optional: all leaves; then the root is recomputed
//	                                             // and every proof must equal tlog.ProveRecord/ProveTree byte for byte
//	 "inclusion":   [{"index": 3, "leafHash": "b64", "proof": ["b64", ...]}],  // tlog.CheckRecord
//	 "consistency": [{"oldSize": 5, "oldRoot": "b64", "proof": ["b64", ...]}]} // tlog.CheckTree
//
// -combined checks a combined checkpoint: every extension line "p{k} {size} {b64 root}", the
// size equal to their number and the root equal to the tree of those lines.
//
// -tiles checks one partition's board published as a C2SP tlog-tiles log: DIR/checkpoint (signed
// note), the hash tiles DIR/tile/{L}/{N}[.p/{W}] and the entry bundles DIR/tile/entries/{N}[.p/{W}]
// (uint16 big-endian length-prefixed records). The tree hash is recomputed from the tiles and must
// equal the checkpoint root; every full tile must hash to its entry in its parent tile (checked
// here: tlog.TileHashReader misses some, see authenticateFullTiles); tiles must be exactly 8,192
// bytes, or W*32 for a partial one; bundles hold exactly their W records, none empty; every entry of [0, size) must hash to its level-0 tile hash; inclusion
// proofs are built from the tiles (tlog.ProveRecord) and checked (tlog.CheckRecord) for every K-th
// index, or by default for a handful including the first and the last. With -partitions P the
// origin must be tvs/{electionId}/p{k} and every entry a v1 vote record of that election whose
// nullifier is in partition k of P. Prints "OK tiles size N entries N proofs M".
//
// -make-tiles is a reference writer: it reads FILE (concatenated uint16 big-endian length-prefixed
// records) and writes into DIR every hash tile and entry bundle that a tlog-tiles log of that size
// holds (the full tiles and the partial tiles of exactly that size), computed with tlog.StoredHashes,
// tlog.NewTiles and tlog.ReadTileData, then prints the tree hash in base64 on a line of its own.
//
// -receipt checks a TVS voter receipt (docs/formats.md "Voter receipt"): the checkpoint note,
// its origin tvs/{electionId}/p{partition}, its size, the record's election id and nullifier, the
// leaf hash (tlog.RecordHash of the record) and its inclusion proof (tlog.CheckRecord); with
// -partitions also the nullifier's partition (Kafka's murmur2 partitioner).
//
// Exit status 0 and "OK ..." on success; 1 with "FAIL: reason" otherwise; 2 on bad usage.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index    int64    `json:"index"`
	LeafHash string   `json:"leafHash"`
	Proof    []string `json:"proof"`
}

type consistency struct {
	OldSize int64    `json:"oldSize"`
	OldRoot string   `json:"oldRoot"`
	Proof   []string `json:"proof"`
}

type proofs struct {
	Leaves      []string      `json:"leaves"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
}

func main() {
	keyFile := flag.String("key", "", "file holding the verifier key name+hash+base64")
	noteFile := flag.String("note", "", "file holding the signed checkpoint note")
	origin := flag.String("origin", "", "required origin (optional)")
	combined := flag.Bool("combined", false, "check the checkpoint as a combined checkpoint")
	proofFile := flag.String("proofs", "", "JSON proofs file, - for stdin (optional)")
	tilesDir := flag.String("tiles", "", "check the tlog-tiles board of one partition in this directory")
	proofsEvery := flag.Int64("proofs-every", 0, "with -tiles: check an inclusion proof for every K-th index (default: a handful)")
	makeTiles := flag.String("make-tiles", "", "write the tiles and entry bundles of -entries into this directory")
	entriesFile := flag.String("entries", "", "with -make-tiles: uint16-BE length-prefixed records")
	receiptFile := flag.String("receipt", "", "check this voter receipt (JSON)")
	partitions := flag.Int("partitions", 0, "with -receipt or -tiles: the election's partition count (checks the nullifiers' partition; -tiles: and the records)")
	flag.Parse()
	var msg string
	var err error
	switch {
	case *makeTiles != "":
		if *entriesFile == "" {
			usage()
		}
		msg, err = writeTiles(*makeTiles, *entriesFile)
		if err == nil {
			// The tree hash alone, so a caller can read it without parsing.
			fmt.Println(msg)
			return
		}
	case *tilesDir != "":
		if *keyFile == "" || *proofsEvery < 0 || *partitions < 0 {
			usage()
		}
		msg, err = checkTiles(*keyFile, *tilesDir, *origin, *proofsEvery, *partitions)
	case *receiptFile != "":
		if *keyFile == "" || *partitions < 0 {
			usage()
		}
		msg, err = checkReceipt(*keyFile, *receiptFile, *partitions)
	default:
		if *keyFile == "" || *noteFile == "" {
			usage()
		}
		msg, err = run(*keyFile, *noteFile, *origin, *combined, *proofFile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("OK", msg)
}

func usage() {
	flag.Usage()
	os.Exit(2)
}

func run(keyFile, noteFile, origin string, combined bool, proofFile string) (string, error) {
	keyText, err := os.ReadFile(keyFile)
	if err != nil {
		return "", err
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(keyText)))
	if err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	msg, err := os.ReadFile(noteFile)
	if err != nil {
		return "", err
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return "", fmt.Errorf("note: %w", err)
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return "", err
	}
	if origin != "" && cp.origin != origin {
		return "", fmt.Errorf("origin %q, expected %q", cp.origin, origin)
	}
	if combined {
		if err := checkCombined(cp); err != nil {
			return "", err
		}
	}
	var p proofs
	if proofFile != "" {
		var data []byte
		if proofFile == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(proofFile)
		}
		if err != nil {
			return "", err
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("proofs JSON: %w", err)
		}
	}
	var stored hashStore
	if p.Leaves != nil {
		leaves := make([][]byte, len(p.Leaves))
		for i, l := range p.Leaves {
			if leaves[i], err = base64.StdEncoding.DecodeString(l); err != nil {
				return "", fmt.Errorf("leaf %d: %w", i, err)
			}
		}
		if int64(len(leaves)) != cp.size {
			return "", fmt.Errorf("%d leaves for a tree of size %d", len(leaves), cp.size)
		}
		var root tlog.Hash
		if root, stored, err = treeHash(leaves); err != nil {
			return "", err
		} else if root != cp.root {
			return "", errors.New("root of the leaves differs from the checkpoint root")
		}
	}
	for i, inc := range p.Inclusion {
		leaf, err := parseHash(inc.LeafHash)
		if err != nil {
			return "", fmt.Errorf("inclusion %d leaf hash: %w", i, err)
		}
		proof, err := parseHashes(inc.Proof)
		if err != nil {
			return "", fmt.Errorf("inclusion %d: %w", i, err)
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, inc.Index, leaf); err != nil {
			return "", fmt.Errorf("inclusion %d (index %d, size %d): %w", i, inc.Index, cp.size, err)
		}
		if stored != nil {
			want, err := tlog.ProveRecord(cp.size, inc.Index, stored)
			if err != nil || !equalHashes(want, proof) {
				return "", fmt.Errorf("inclusion %d differs from tlog.ProveRecord (%v)", i, err)
			}
		}
	}
	for i, c := range p.Consistency {
		old, err := parseHash(c.OldRoot)
		if err != nil {
			return "", fmt.Errorf("consistency %d old root: %w", i, err)
		}
		proof, err := parseHashes(c.Proof)
		if err != nil {
			return "", fmt.Errorf("consistency %d: %w", i, err)
		}
		if err := tlog.CheckTree(tlog.TreeProof(proof), cp.size, cp.root, c.OldSize, old); err != nil {
			return "", fmt.Errorf("consistency %d (%d -> %d): %w", i, c.OldSize, cp.size, err)
		}
		if stored != nil {
			want, err := tlog.ProveTree(cp.size, c.OldSize, stored)
			if err != nil || !equalHashes(want, proof) {
				return "", fmt.Errorf("consistency %d differs from tlog.ProveTree (%v)", i, err)
			}
		}
	}
	return fmt.Sprintf("origin=%s size=%d root=%s leaves=%d inclusion=%d consistency=%d",
		cp.origin, cp.size, cp.root, len(p.Leaves), len(p.Inclusion), len(p.Consistency)), nil
}

var sizeRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,18})$`)

func parseCheckpoint(text string) (*checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("checkpoint: no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || lines[0] == "" || !sizeRE.MatchString(lines[1]) {
		return nil, errors.New("checkpoint: malformed origin or size line")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("checkpoint size: %w", err)
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return nil, fmt.Errorf("checkpoint root: %w", err)
	}
	for _, e := range lines[3:] {
		if e == "" {
			return nil, errors.New("checkpoint: empty extension line")
		}
	}
	return &checkpoint{lines[0], size, root, lines[3:]}, nil
}

var partitionRE = regexp.MustCompile(`^p(0|[1-9][0-9]*) (0|[1-9][0-9]*) ([A-Za-z0-9+/]{43}=)$`)

func checkCombined(cp *checkpoint) error {
	if len(cp.extensions) == 0 || int64(len(cp.extensions)) != cp.size {
		return errors.New("combined: size must equal the number of partition lines")
	}
	last := int64(-1)
	lines := make([][]byte, len(cp.extensions))
	for i, e := range cp.extensions {
		m := partitionRE.FindStringSubmatch(e)
		if m == nil {
			return fmt.Errorf("combined: bad partition line %q", e)
		}
		k, _ := strconv.ParseInt(m[1], 10, 64)
		if k <= last {
			return errors.New("combined: partitions not strictly increasing")
		}
		last = k
		if _, err := parseHash(m[3]); err != nil {
			return err
		}
		lines[i] = []byte(e)
	}
	root, _, err := treeHash(lines)
	if err != nil {
		return err
	}
	if root != cp.root {
		return errors.New("combined: root differs from the tree of the partition lines")
	}
	return nil
}

// treeHash computes the RFC 6962 tree hash with tlog's own storage layout.
func treeHash(leaves [][]byte) (tlog.Hash, hashStore, error) {
	stored := hashStore{}
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), l, stored)
		if err != nil {
			return tlog.Hash{}, nil, err
		}
		stored = append(stored, hs...)
	}
	if len(leaves) == 0 {
		return tlog.Hash{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
			0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}, stored, nil
	}
	root, err := tlog.TreeHash(int64(len(leaves)), stored)
	return root, stored, err
}

func equalHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type hashStore []tlog.Hash

func (s hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = s[x]
	}
	return out, nil
}

func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("not a base64 32-byte hash: %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func parseHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}
