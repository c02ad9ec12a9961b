package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is C2SP tlog-tiles' fixed height: 256 hashes per full tile.
const tileHeight = 8

const tileWidth = 1 << tileHeight

// maxNote bounds what is read of a checkpoint or receipt file: a hostile board must not make the
// verifier read an arbitrarily large file into memory (a checkpoint is a few hundred bytes).
const maxNote = 1 << 20

// emptyRoot is the RFC 9162 hash of the empty tree, SHA-256(""); tlog.TreeHash(0) returns zero.
var emptyRoot = tlog.Hash{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}

// c2spPath maps Go's tile coordinates to the C2SP tlog-tiles path: Go writes the height
// ("tile/8/L/N") and calls the entry level "data" (level -1); C2SP has a fixed height and no such
// element, and names the entry bundles "tile/entries/N". The N[.p/W] encoding is the same.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	if t.L == -1 {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// publishedTile widens t to the tile a log of size n publishes at t's place: full when the tree
// covers all of it, else the partial tile of width (n / 256^L) mod 256, the only partial tile a
// checkpoint of size n makes the log serve.
func publishedTile(t tlog.Tile, n int64) tlog.Tile {
	max := n >> uint(t.L*tileHeight)
	start := t.N << tileHeight
	if start+tileWidth <= max {
		t.W = tileWidth
	} else {
		t.W = int(max - start)
	}
	return t
}

// readExact reads DIR/rel, which must be a regular file of exactly want bytes. The size is checked
// before reading so that a wrong or huge file is refused without loading it.
func readExact(dir, rel string, want int64) ([]byte, error) {
	data, err := readBounded(dir, rel, want)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != want {
		return nil, fmt.Errorf("%s: %d bytes, want %d", rel, len(data), want)
	}
	return data, nil
}

// readBounded reads DIR/rel, refusing anything but a regular file of at most max bytes.
func readBounded(dir, rel string, max int64) ([]byte, error) {
	return readFileBounded(filepath.Join(dir, filepath.FromSlash(rel)), rel, max)
}

// readFileBounded reads path (named rel in errors), a regular file of at most max bytes.
func readFileBounded(path, rel string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", rel)
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, at most %d expected", rel, st.Size(), max)
	}
	// Read one byte more than allowed so that a file growing under us is still caught.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes", rel, max)
	}
	return data, nil
}

// fileTileReader is a tlog.TileReader over the C2SP files of one partition. Every tile's length is
// checked (8,192 bytes full, W*32 partial) when it is read, naming the file. Tiles above level 0
// and partial tiles are kept: tlog.TileHashReader asks for them again on every call (they
// authenticate the rest against the tree hash), while each full level-0 tile is needed once when
// the entries are checked in tile order.
type fileTileReader struct {
	dir   string
	cache map[tlog.Tile][]byte
	files map[string]bool
}

func newFileTileReader(dir string) *fileTileReader {
	return &fileTileReader{dir: dir, cache: map[tlog.Tile][]byte{}, files: map[string]bool{}}
}

func (r *fileTileReader) Height() int { return tileHeight }

func (r *fileTileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if t.H != tileHeight || t.L < 0 || t.W < 1 || t.W > tileWidth {
			return nil, fmt.Errorf("unexpected tile request %+v", t)
		}
		if d, ok := r.cache[t]; ok {
			out[i] = d
			continue
		}
		rel := c2spPath(t)
		d, err := readExact(r.dir, rel, int64(t.W)*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		r.files[rel] = true
		if t.L > 0 || t.W < tileWidth {
			r.cache[t] = d
		}
		out[i] = d
	}
	return out, nil
}

// SaveTiles is a no-op: nothing is persisted, the tiles are only being checked.
func (r *fileTileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// rawTileHashes reads stored hashes straight from the published tiles, with no authentication: it
// is what recomputes the tree hash from the tiles, so that a board whose tiles do not add up to
// the checkpoint root is reported as such (tlog.TileHashReader would only say "inconsistent tile").
type rawTileHashes struct {
	tr   *fileTileReader
	size int64
}

func (r rawTileHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		t := publishedTile(tlog.TileForIndex(tileHeight, x), r.size)
		data, err := r.tr.ReadTiles([]tlog.Tile{t})
		if err != nil {
			return nil, err
		}
		if out[i], err = tlog.HashFromTile(t, data[0], x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// authenticateFullTiles checks every full hash tile of the tree against its parent, top level
// first so that a failure names the tile that is wrong rather than its children: the tile's hash
// (the subtree of its 256 hashes) must be the parent tile's hash at its place. The partial
// tiles are the ones the tree hash is computed from, so with this every published tile is tied to
// the checkpoint root.
//
// tlog.TileHashReader is meant to do this for the tiles it reads, but in golang.org/x/mod (0.7.0 as
// Debian packages it; an upstream copy looked at has the same loop) it starts that loop at len(stx), the
// number of subtree hashes of the tree hash, rather than at the number of distinct tiles holding
// them; when several of them share a tile (size 70,000: six hashes in three tiles) the first tiles
// fetched for the requested indexes are returned unauthenticated. TestTilesRefusesTampering has
// such a case ("consistent leaf").
func authenticateFullTiles(tr *fileTileReader, size int64) error {
	top := 0
	for size>>uint((top+2)*tileHeight) > 0 {
		top++
	}
	for level := top; level >= 0; level-- {
		full := size >> uint((level+1)*tileHeight)
		for n := int64(0); n < full; n++ {
			t := tlog.Tile{H: tileHeight, L: level, N: n, W: tileWidth}
			data, err := tr.ReadTiles([]tlog.Tile{t})
			if err != nil {
				return err
			}
			x := tlog.StoredHashIndex((level+1)*tileHeight, n)
			p := publishedTile(tlog.TileForIndex(tileHeight, x), size)
			pdata, err := tr.ReadTiles([]tlog.Tile{p})
			if err != nil {
				return err
			}
			want, err := tlog.HashFromTile(p, pdata[0], x)
			if err != nil {
				return err
			}
			if got := subtreeHash(data[0]); got != want {
				return fmt.Errorf("%s hashes to %s, %s holds %s for it", c2spPath(t), got, c2spPath(p), want)
			}
		}
	}
	return nil
}

// subtreeHash is the RFC 9162 hash of the subtree whose level-L hashes are the 2^k hashes in data.
func subtreeHash(data []byte) tlog.Hash {
	if len(data) == tlog.HashSize {
		var h tlog.Hash
		copy(h[:], data)
		return h
	}
	half := len(data) / 2
	return tlog.NodeHash(subtreeHash(data[:half]), subtreeHash(data[half:]))
}

// openCheckpoint opens a signed checkpoint note with the verifier key in keyFile (note.Open) and
// parses its body.
func openCheckpoint(keyFile string, msg []byte) (*checkpoint, error) {
	keyText, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(keyText)))
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return nil, fmt.Errorf("checkpoint note: %w", err)
	}
	return parseCheckpoint(n.Text)
}

// parseBundle splits an entry bundle into exactly want records (any number if want < 0). Each is preceded by its length as
// a big-endian uint16. Refused: a truncated length or record, fewer or more than want records
// (trailing bytes), and zero-length records: tlog-tiles could carry them, but every TVS entry is
// a v1 vote record of at least 348 bytes, so an empty one can only be a publisher's error.
func parseBundle(name string, first int64, data []byte, want int) ([][]byte, error) {
	var out [][]byte
	if want > 0 {
		out = make([][]byte, 0, want)
	}
	for len(data) > 0 {
		i := first + int64(len(out))
		if len(out) == want {
			return nil, fmt.Errorf("%s: %d trailing bytes after %d entries", name, len(data), want)
		}
		if len(data) < 2 {
			return nil, fmt.Errorf("%s: entry %d: truncated length", name, i)
		}
		n := int(binary.BigEndian.Uint16(data))
		if n == 0 {
			return nil, fmt.Errorf("%s: entry %d: zero-length record", name, i)
		}
		if len(data)-2 < n {
			return nil, fmt.Errorf("%s: entry %d: record of %d bytes truncated to %d", name, i, n, len(data)-2)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	if want >= 0 && len(out) != want {
		return nil, fmt.Errorf("%s: %d entries, want %d", name, len(out), want)
	}
	return out, nil
}

// bundleTile is the entry bundle holding records [n*256, n*256+w).
func bundleTile(n int64, w int) tlog.Tile {
	return tlog.Tile{H: tileHeight, L: -1, N: n, W: w}
}

// proofPicker says which indexes get their inclusion proof checked: every K-th and the last, or
// by default the first two, the quarters and the last two. A predicate rather than a list, so
// that -proofs-every 1 on a large board costs no memory (proofs are checked bundle by bundle).
func proofPicker(size, every int64) func(int64) bool {
	if every > 0 {
		return func(i int64) bool { return i%every == 0 || i == size-1 }
	}
	set := map[int64]bool{}
	for _, i := range []int64{0, 1, size / 4, size / 2, 3 * size / 4, size - 2, size - 1} {
		set[i] = true
	}
	return func(i int64) bool { return set[i] }
}

// tvsOrigin is a partition checkpoint's origin, tvs/{electionId}/p{k} (Guid "D" format).
var tvsOrigin = regexp.MustCompile(`^tvs/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/p(0|[1-9][0-9]{0,3})$`)

// recordCheck returns what -tiles -partitions P checks of each entry: a v1 vote record of the
// origin's election whose nullifier Kafka's partitioner puts in the origin's partition k (the
// engine of partition k only ever sees those; nullifier uniqueness across partitions rests on it).
func recordCheck(origin string, partitions int) (func([]byte) error, error) {
	m := tvsOrigin.FindStringSubmatch(origin)
	if m == nil {
		return nil, fmt.Errorf("checkpoint origin %q is not tvs/{electionId}/p{k}", origin)
	}
	election, _ := hex.DecodeString(strings.ReplaceAll(m[1], "-", ""))
	k, _ := strconv.Atoi(m[2])
	if k >= partitions {
		return nil, fmt.Errorf("checkpoint origin %q: partition %d of %d", origin, k, partitions)
	}
	return func(rec []byte) error {
		nullifier, err := voteRecordNullifier(rec, election)
		if err != nil {
			return err
		}
		if p := partitionOf(nullifier, partitions); p != k {
			return fmt.Errorf("nullifier %x belongs to partition %d, not %d", nullifier, p, k)
		}
		return nil
	}, nil
}

func checkTiles(keyFile, dir, origin string, every int64, partitions int) (string, error) {
	msg, err := readBounded(dir, "checkpoint", maxNote)
	if err != nil {
		return "", err
	}
	cp, err := openCheckpoint(keyFile, msg)
	if err != nil {
		return "", err
	}
	if origin != "" && cp.origin != origin {
		return "", fmt.Errorf("checkpoint: origin %q, expected %q", cp.origin, origin)
	}
	checkRecord := func([]byte) error { return nil }
	if partitions > 0 {
		if checkRecord, err = recordCheck(cp.origin, partitions); err != nil {
			return "", err
		}
	}
	size := cp.size
	if size == 0 {
		if cp.root != emptyRoot {
			return "", errors.New("checkpoint: size 0 with a root other than the empty tree's")
		}
		return "tiles size 0 entries 0 proofs 0", nil
	}

	// The tree hash from the tiles alone, then every full tile against its parent, which ties
	// all of them to the root; the level-0 hashes and the proofs are then read through
	// tlog.TileHashReader, which authenticates (part of) the tiles it uses once more.
	tr := newFileTileReader(dir)
	root, err := tlog.TreeHash(size, rawTileHashes{tr, size})
	if err != nil {
		return "", fmt.Errorf("tree hash from the tiles: %w", err)
	}
	if root != cp.root {
		return "", fmt.Errorf("tree hash from the tiles %s differs from the checkpoint root %s", root, cp.root)
	}
	if err := authenticateFullTiles(tr, size); err != nil {
		return "", err
	}
	hr := tlog.TileHashReader(tlog.Tree{N: size, Hash: cp.root}, tr)

	prove := proofPicker(size, every)
	proofs := 0
	entries := int64(0)
	for n := int64(0); n<<tileHeight < size; n++ {
		w := tileWidth
		if rest := size - n<<tileHeight; rest < tileWidth {
			w = int(rest)
		}
		t := bundleTile(n, w)
		rel := c2spPath(t)
		data, err := readBounded(dir, rel, int64(w)*(2+0xffff))
		if err != nil {
			return "", err
		}
		records, err := parseBundle(rel, n<<tileHeight, data, w)
		if err != nil {
			return "", err
		}
		indexes := make([]int64, w)
		for j := range indexes {
			indexes[j] = tlog.StoredHashIndex(0, n<<tileHeight+int64(j))
		}
		hashes, err := hr.ReadHashes(indexes)
		if err != nil {
			return "", fmt.Errorf("level-0 hashes for %s: %w", rel, err)
		}
		for j, rec := range records {
			i := n<<tileHeight + int64(j)
			h := tlog.RecordHash(rec)
			if h != hashes[j] {
				return "", fmt.Errorf("%s: entry %d hashes to %s, the level-0 tile holds %s", rel, i, h, hashes[j])
			}
			if err := checkRecord(rec); err != nil {
				return "", fmt.Errorf("%s: entry %d: %w", rel, i, err)
			}
			if prove(i) {
				p, err := tlog.ProveRecord(size, i, hr)
				if err != nil {
					return "", fmt.Errorf("inclusion proof of %d from the tiles: %w", i, err)
				}
				if err := tlog.CheckRecord(p, size, cp.root, i, h); err != nil {
					return "", fmt.Errorf("inclusion proof of %d: %w", i, err)
				}
				proofs++
			}
		}
		entries += int64(len(records))
	}
	return fmt.Sprintf("tiles size %d entries %d proofs %d", size, entries, proofs), nil
}

// writeTiles is the reference writer: the tiles and bundles of the tree of every record in
// entriesFile, as a log checkpointed at that size serves them.
func writeTiles(dir, entriesFile string) (string, error) {
	data, err := os.ReadFile(entriesFile)
	if err != nil {
		return "", err
	}
	records, err := parseBundle(entriesFile, 0, data, -1)
	if err != nil {
		return "", err
	}
	root, stored, err := treeHash(records)
	if err != nil {
		return "", err
	}
	size := int64(len(records))
	write := func(t tlog.Tile, b []byte) error {
		path := filepath.Join(dir, filepath.FromSlash(c2spPath(t)))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, b, 0o644)
	}
	// NewTiles(h, 0, size) lists the partial tiles of every width up to size's, as a log that
	// published a checkpoint at each size would hold; one checkpointed at size holds only the
	// widest of each level, (size / 256^L) mod 256.
	for _, t := range tlog.NewTiles(tileHeight, 0, size) {
		if t.W != tileWidth && t != publishedTile(t, size) {
			continue
		}
		b, err := tlog.ReadTileData(t, stored)
		if err != nil {
			return "", err
		}
		if err := write(t, b); err != nil {
			return "", err
		}
	}
	for n := int64(0); n<<tileHeight < size; n++ {
		end := n<<tileHeight + tileWidth
		if end > size {
			end = size
		}
		var b []byte
		for _, r := range records[n<<tileHeight : end] {
			b = binary.BigEndian.AppendUint16(b, uint16(len(r)))
			b = append(b, r...)
		}
		if err := write(bundleTile(n, int(end-n<<tileHeight)), b); err != nil {
			return "", err
		}
	}
	return base64.StdEncoding.EncodeToString(root[:]), nil
}
