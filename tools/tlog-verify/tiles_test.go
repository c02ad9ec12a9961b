package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// board writes a tlog-tiles board of size records with -make-tiles' writer and a checkpoint
// signed by a fresh key; it returns the board directory, the verifier key file and the records.
func board(t *testing.T, size int, origin string) (string, string, [][]byte) {
	t.Helper()
	records := make([][]byte, size)
	for i := range records {
		records[i] = []byte(fmt.Sprintf("record %d %s", i, strings.Repeat("x", i%7)))
	}
	dir, key := boardOf(t, records, origin)
	return dir, key, records
}

func boardOf(t *testing.T, records [][]byte, origin string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	var entries []byte
	for _, r := range records {
		entries = binary.BigEndian.AppendUint16(entries, uint16(len(r)))
		entries = append(entries, r...)
	}
	entriesFile := filepath.Join(t.TempDir(), "entries")
	must(t, os.WriteFile(entriesFile, entries, 0o644))
	rootB64, err := writeTiles(filepath.Join(dir, "board"), entriesFile)
	must(t, err)
	root, _, err := treeHash(records)
	must(t, err)
	if rootB64 != base64.StdEncoding.EncodeToString(root[:]) {
		t.Fatalf("size %d: printed root %s, tree hash %s", len(records), rootB64, root)
	}
	keyFile := writeCheckpoint(t, dir, origin, int64(len(records)), root)
	return filepath.Join(dir, "board"), keyFile
}

// writeCheckpoint signs origin/size/root with a fresh key into dir/board/checkpoint.
func writeCheckpoint(t *testing.T, dir, origin string, size int64, root tlog.Hash) string {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)}, signer)
	must(t, err)
	must(t, os.MkdirAll(filepath.Join(dir, "board"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "board", "checkpoint"), msg, 0o644))
	keyFile := filepath.Join(dir, "board.vkey")
	must(t, os.WriteFile(keyFile, []byte(vkey+"\n"), 0o644))
	return keyFile
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTilesAcceptsEveryShape(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 255, 256, 257, 300, 511, 512, 513, 65535, 65536, 65537, 70000} {
		dir, key, _ := board(t, size, "tvs/e/p0")
		msg, err := checkTiles(key, dir, "tvs/e/p0", 0, 0)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		want := fmt.Sprintf("tiles size %d entries %d proofs", size, size)
		if !strings.HasPrefix(msg, want) {
			t.Fatalf("size %d: %q", size, msg)
		}
	}
	dir, key, _ := board(t, 1000, "tvs/e/p0")
	msg, err := checkTiles(key, dir, "", 1, 0)
	if err != nil || msg != "tiles size 1000 entries 1000 proofs 1000" {
		t.Fatalf("every proof: %q %v", msg, err)
	}
}

// C2SP tlog-tiles' own example: "a tree of size 70,000 will be represented by 273 full level 0
// tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of
// width 17, and one partial level 2 tile of width 1".
func TestMakeTilesLayoutIsTheSpecExample(t *testing.T) {
	dir, _, _ := board(t, 70000, "o")
	var files []string
	must(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	count := map[string]int{}
	for _, f := range files {
		switch {
		case strings.HasPrefix(f, "tile/0/") && !strings.Contains(f, ".p/"):
			count["full0"]++
		case strings.HasPrefix(f, "tile/entries/") && !strings.Contains(f, ".p/"):
			count["fullE"]++
		default:
			count[f]++
		}
	}
	want := map[string]int{"full0": 273, "fullE": 273, "checkpoint": 1, "tile/0/273.p/112": 1, "tile/entries/273.p/112": 1,
		"tile/1/000": 1, "tile/1/001.p/17": 1, "tile/2/000.p/1": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", count, want)
	}
}

func TestC2spPath(t *testing.T) {
	for _, c := range []struct {
		t    tlog.Tile
		want string
	}{
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 3, N: 5, W: 7}, "tile/3/005.p/7"},
		{tlog.Tile{H: 8, L: -1, N: 1234067, W: 1}, "tile/entries/x001/x234/067.p/1"},
		{tlog.Tile{H: 8, L: -1, N: 0, W: 256}, "tile/entries/000"},
	} {
		if got := c2spPath(c.t); got != c.want {
			t.Errorf("%+v: %s, want %s", c.t, got, c.want)
		}
	}
}

func TestTilesRefusesTampering(t *testing.T) {
	const size = 70000
	cases := []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"entry byte", func(dir string) { flip(t, dir, "tile/entries/100", 10) }, "tile/entries/100: entry 25600 hashes to"},
		{"level-0 hash", func(dir string) { flip(t, dir, "tile/0/100", 40) }, "tile/0/100 hashes to"},
		{"consistent leaf", func(dir string) { replaceEntry(t, dir, 25601, []byte("forged")) }, "tile/0/100 hashes to"},
		{"partial level-0 hash", func(dir string) { flip(t, dir, "tile/0/273.p/112", 3) }, "differs from the checkpoint root"},
		{"level-1 hash", func(dir string) { flip(t, dir, "tile/1/000", 0) }, "tile/1/000 hashes to"},
		{"short tile", func(dir string) { truncate(t, dir, "tile/0/007", 8191) }, "tile/0/007: 8191 bytes, want 8192"},
		{"long partial tile", func(dir string) { appendTo(t, dir, "tile/1/001.p/17", []byte{0}) }, "tile/1/001.p/17: 545 bytes, at most 544"},
		{"missing partial bundle", func(dir string) { remove(t, dir, "tile/entries/273.p/112") }, "tile/entries/273.p/112: open"},
		{"missing tile", func(dir string) { remove(t, dir, "tile/0/050") }, "tile/0/050: open"},
		{"trailing byte", func(dir string) { appendTo(t, dir, "tile/entries/273.p/112", []byte{0}) }, "tile/entries/273.p/112: 1 trailing bytes after 112 entries"},
		{"extra entry", func(dir string) { appendTo(t, dir, "tile/entries/273.p/112", []byte{0, 1, 'z'}) }, "3 trailing bytes after 112 entries"},
		{"zero-length", func(dir string) { appendTo(t, dir, "tile/entries/273.p/112", []byte{0, 0}) }, "trailing bytes"},
		{"truncated record", func(dir string) { truncate(t, dir, "tile/entries/000", 100) }, "tile/entries/000: entry"},
		{"unsigned", func(dir string) { truncate(t, dir, "checkpoint", 40) }, "checkpoint note: malformed note"},
	}
	for _, c := range cases {
		dir, key, _ := board(t, size, "tvs/e/p0")
		c.tamper(dir)
		_, err := checkTiles(key, dir, "", 0, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}

	// An entry of zero length inside a bundle, with tiles that agree with it.
	recs := [][]byte{[]byte("a"), {}, []byte("c")}
	var entries []byte
	for _, r := range recs {
		entries = binary.BigEndian.AppendUint16(entries, uint16(len(r)))
		entries = append(entries, r...)
	}
	f := filepath.Join(t.TempDir(), "entries")
	must(t, os.WriteFile(f, entries, 0o644))
	if _, err := writeTiles(t.TempDir(), f); err == nil || !strings.Contains(err.Error(), "entry 1: zero-length record") {
		t.Errorf("zero-length entry written: %v", err)
	}

	// Wrong key, wrong origin, another root.
	dir, _, _ := board(t, 300, "tvs/e/p0")
	_, other, _ := board(t, 1, "tvs/e/p0")
	if _, err := checkTiles(other, dir, "", 0, 0); err == nil || !strings.Contains(err.Error(), "no verifiable signatures") {
		t.Errorf("other key: %v", err)
	}
	dir, key, _ := board(t, 300, "tvs/e/p0")
	if _, err := checkTiles(key, dir, "tvs/e/p1", 0, 0); err == nil || !strings.Contains(err.Error(), "origin") {
		t.Errorf("origin: %v", err)
	}
	root, _, _ := treeHash([][]byte{[]byte("other")})
	key = writeCheckpoint(t, filepath.Dir(dir), "tvs/e/p0", 300, root)
	if _, err := checkTiles(key, dir, "", 0, 0); err == nil || !strings.Contains(err.Error(), "differs from the checkpoint root") {
		t.Errorf("root: %v", err)
	}
	key = writeCheckpoint(t, filepath.Dir(dir), "tvs/e/p0", 299, root)
	if _, err := checkTiles(key, dir, "", 0, 0); err == nil || !strings.Contains(err.Error(), "tile/0/001.p/43: open") {
		t.Errorf("size: %v", err)
	}
}

// replaceEntry swaps record i (in a full bundle) for rec and its leaf hash in the level-0 tile,
// leaving the tiles above untouched: only the authentication of the level-0 tile can see it.
func replaceEntry(t *testing.T, dir string, i int64, rec []byte) {
	n, j := i>>tileHeight, int(i&(tileWidth-1))
	bundle := filepath.Join(dir, c2spPath(bundleTile(n, tileWidth)))
	b, err := os.ReadFile(bundle)
	must(t, err)
	recs, err := parseBundle("", 0, b, tileWidth)
	must(t, err)
	recs[j] = rec
	var out []byte
	for _, r := range recs {
		out = binary.BigEndian.AppendUint16(out, uint16(len(r)))
		out = append(out, r...)
	}
	must(t, os.WriteFile(bundle, out, 0o644))
	tile := filepath.Join(dir, c2spPath(tlog.Tile{H: tileHeight, L: 0, N: n, W: tileWidth}))
	td, err := os.ReadFile(tile)
	must(t, err)
	h := tlog.RecordHash(rec)
	copy(td[j*tlog.HashSize:], h[:])
	must(t, os.WriteFile(tile, td, 0o644))
}

func flip(t *testing.T, dir, rel string, at int) {
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	must(t, err)
	b[at] ^= 1
	must(t, os.WriteFile(p, b, 0o644))
}

func truncate(t *testing.T, dir, rel string, n int64) {
	must(t, os.Truncate(filepath.Join(dir, rel), n))
}

func appendTo(t *testing.T, dir, rel string, extra []byte) {
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	must(t, err)
	must(t, os.WriteFile(p, append(b, extra...), 0o644))
}

func remove(t *testing.T, dir, rel string) {
	must(t, os.Remove(filepath.Join(dir, rel)))
}

const election = "6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94"

// voteRecord is a v1 vote record (docs/formats.md "Vote record (v1)") of the election with the
// nullifier; proof, root and ballot are filler, the board check does not look at them.
func voteRecord(electionID string, nullifier []byte, ballot int) []byte {
	r := make([]byte, recordHeader+ballot)
	copy(r, "TVSV\x01\x00")
	id, _ := hex.DecodeString(strings.ReplaceAll(electionID, "-", ""))
	copy(r[recordElectionID:], id)
	r[22] = 20
	copy(r[recordNullifierAt:], nullifier)
	binary.BigEndian.PutUint32(r[recordLengthAt:], uint32(ballot))
	for i := recordLengthAt + 4; i < len(r); i++ {
		r[i] = byte(i)
	}
	return r
}

// nullifierIn is the n-th of the nullifiers SHA-256("nullifier i") that land in partition k.
func nullifierIn(k, partitions, n int) []byte {
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("nullifier %d", i)))
		if partitionOf(h[:], partitions) == k {
			if n == 0 {
				return h[:]
			}
			n--
		}
	}
}

func TestTilesPartitionsChecksTheRecords(t *testing.T) {
	const size = 600
	origin := "tvs/" + election + "/p1"
	records := func() [][]byte {
		rs := make([][]byte, size)
		for i := range rs {
			rs[i] = voteRecord(election, nullifierIn(1, 4, i), 1+i%300)
		}
		return rs
	}
	dir, key := boardOf(t, records(), origin)
	if msg, err := checkTiles(key, dir, origin, 0, 4); err != nil || msg != "tiles size 600 entries 600 proofs 7" {
		t.Fatalf("%q %v", msg, err)
	}
	// With -partitions the origin must be a TVS partition's, and one that exists.
	if _, err := checkTiles(key, dir, "", 0, 1); err == nil || !strings.Contains(err.Error(), "partition 1 of 1") {
		t.Errorf("p1 of 1: %v", err)
	}
	dir2, key2 := boardOf(t, records(), "tvs/e/p1")
	if _, err := checkTiles(key2, dir2, "", 0, 4); err == nil || !strings.Contains(err.Error(), "is not tvs/{electionId}/p{k}") {
		t.Errorf("origin: %v", err)
	}
	for _, c := range []struct {
		name   string
		change func([]byte) []byte
		want   string
	}{
		{"another partition", func(r []byte) []byte { return voteRecord(election, nullifierIn(2, 4, 0), 10) }, "tile/entries/001: entry 300: nullifier "},
		{"another election", func(r []byte) []byte { return voteRecord("00000000-0000-4000-8000-000000000000", r[55:87], 10) }, "entry 300: record is for another election"},
		{"ballot length", func(r []byte) []byte { return append(r, 0) }, "entry 300: not a v1 vote record"},
		{"flags", func(r []byte) []byte { r[5] = 1; return r }, "entry 300: not a v1 vote record"},
		{"header only", func(r []byte) []byte { return r[:recordHeader] }, "entry 300: not a v1 vote record"},
	} {
		rs := records()
		rs[300] = c.change(rs[300])
		dir, key := boardOf(t, rs, origin)
		if _, err := checkTiles(key, dir, "", 0, 4); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if _, err := checkTiles(key, dir, "", 0, 0); err != nil {
			t.Errorf("%s without -partitions: %v", c.name, err)
		}
	}
}

// Kafka's UtilsTest.testMurmur2 vectors, then keys SHA-256("tvs receipt nullifier i") with their
// murmur2 and partitions among 4, 7 and 64 as the C# engine's KeyPartitioner computes them.
func TestMurmur2(t *testing.T) {
	for i, c := range []struct {
		m           int32
		p4, p7, p64 int
	}{{609715270, 2, 3, 6}, {685736407, 3, 6, 23}, {1326691488, 0, 3, 32}, {68703332, 0, 5, 36},
		{-1030312630, 2, 5, 10}, {-941118124, 0, 0, 20}, {-269054764, 0, 3, 20}, {-97523176, 0, 0, 24}} {
		k := sha256.Sum256([]byte(fmt.Sprintf("tvs receipt nullifier %d", i)))
		if m, p := murmur2(k[:]), [3]int{partitionOf(k[:], 4), partitionOf(k[:], 7), partitionOf(k[:], 64)}; m != c.m || p != [3]int{c.p4, c.p7, c.p64} {
			t.Errorf("key %d: murmur2 %d partitions %v, C# says %d %d %d %d", i, m, p, c.m, c.p4, c.p7, c.p64)
		}
	}
	for s, want := range map[string]int32{"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
		"a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, "abc": 479470107} {
		if got := murmur2([]byte(s)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", s, got, want)
		}
	}
}
