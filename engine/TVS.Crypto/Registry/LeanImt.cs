using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;

namespace TVS.Crypto.Registry;

/// <summary>
/// A membership proof as @zk-kit/lean-imt 2.x's <c>generateProof</c> returns it. Levels where the
/// path node has no right sibling contribute no sibling (the node is carried up unchanged), so
/// <see cref="Siblings"/> may be shorter than the tree's depth, and <see cref="Index"/> is not the
/// leaf's position but the path bits of the levels that do have a sibling: bit i set means the
/// path node is the right child at the i-th sibling's level.
/// </summary>
public sealed record LeanImtProof(Fr Root, Fr Leaf, ulong Index, Fr[] Siblings);

/// <summary>
/// The zk-kit Lean Incremental Merkle Tree with Poseidon(left, right) as node hash, node for node
/// the tree of @zk-kit/lean-imt 2.x (and so of @semaphore-protocol/group 4.x): no zero leaves, a
/// node without a right child takes its left child's value, and the depth is ⌈log₂ size⌉.
/// Every level is kept (about 2 × size × 32 bytes), so that proofs and updates cost one path.
/// For the root of a very large registry without keeping the tree, see <see cref="LeanImtBuilder"/>.
/// </summary>
public sealed class LeanImt
{
    /// <summary>The protocol's bound (docs/design.md: depth ≤ 32): 2³² leaves; arrays bound us lower still.</summary>
    public const int MaxDepth = 32;

    /// <summary>Below this many parents a level is hashed on the calling thread (forking costs more than it saves).</summary>
    private const int ParallelThreshold = 1 << 12;

    private Fr[][] _levels = [new Fr[16]];
    private int _size;
    private int _depth;

    public LeanImt() { }

    /// <summary>A tree holding <paramref name="leaves"/>, as <c>new LeanIMT(hash, leaves)</c>.</summary>
    public LeanImt(ReadOnlySpan<Fr> leaves) => InsertMany(leaves);

    public int Size => _size;

    /// <summary>⌈log₂ size⌉ (0 for zero or one leaf).</summary>
    public int Depth => _depth;

    /// <summary>
    /// The root. An empty tree has none in @zk-kit/lean-imt (undefined); this returns zero for it,
    /// as @semaphore-protocol/group's <c>root</c> does.
    /// </summary>
    public Fr Root => _size == 0 ? Fr.Zero : _levels[_depth][0];

    public Fr Leaf(int index)
    {
        if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index));
        return _levels[0][index];
    }

    /// <summary>The first index holding <paramref name="leaf"/>, or −1 (a linear scan, as lean-imt's indexOf).</summary>
    public int IndexOf(in Fr leaf)
    {
        var leaves = _levels[0];
        for (int i = 0; i < _size; i++)
            if (leaves[i].Equals(leaf)) return i;
        return -1;
    }

    public bool Has(in Fr leaf) => IndexOf(in leaf) >= 0;

    /// <summary>Nodes at <paramref name="level"/> for <paramref name="size"/> leaves: ⌈size / 2^level⌉.</summary>
    internal static long CountAt(long size, int level) => (size + (1L << level) - 1) >> level;

    /// <summary>The depth of a LeanIMT of <paramref name="size"/> leaves: ⌈log₂ size⌉, 0 for 0 or 1.</summary>
    public static int DepthFor(long size) => size <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(size - 1));

    /// <summary>Appends one leaf and rehashes its path (lean-imt's insert).</summary>
    public void Insert(in Fr leaf)
    {
        Grow(1);
        int index = _size;
        _size++;
        _depth = DepthFor(_size);
        Fr node = leaf;
        for (int level = 0; level < _depth; level++)
        {
            _levels[level][index] = node;
            if ((index & 1) != 0) node = Poseidon.Hash2(in _levels[level][index - 1], in node);
            index >>= 1;
        }
        _levels[_depth][0] = node;
    }

    /// <summary>
    /// Appends many leaves and hashes each new or changed node once (lean-imt's insertMany; it
    /// throws on an empty list, this does nothing). A level with many new nodes is hashed on all
    /// cores, so building a tree from all its leaves at once is the parallel bulk build.
    /// </summary>
    public void InsertMany(ReadOnlySpan<Fr> leaves, int maxDegreeOfParallelism = -1)
    {
        if (leaves.IsEmpty) return;
        Grow(leaves.Length);
        int start = _size >> 1;
        leaves.CopyTo(_levels[0].AsSpan(_size));
        _size += leaves.Length;
        _depth = DepthFor(_size);
        for (int level = 0; level < _depth; level++)
        {
            int parents = (int)CountAt(_size, level + 1);
            HashLevel(_levels[level], (int)CountAt(_size, level), _levels[level + 1], start, parents, maxDegreeOfParallelism);
            start >>= 1;
        }
    }

    /// <summary>Parents [from, to) of one level from their children (a lone left child is carried up).</summary>
    private static void HashLevel(Fr[] children, int childCount, Fr[] parents, int from, int to, int maxDegreeOfParallelism)
    {
        int n = to - from;
        if (n < ParallelThreshold || maxDegreeOfParallelism == 1 || Environment.ProcessorCount == 1)
        {
            HashRange(children, childCount, parents, from, to);
            return;
        }
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        int chunks = Math.Min(n / (ParallelThreshold / 4), workers * 8); // a few chunks per core evens out a shared machine
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
        {
            int a = from + (int)((long)n * k / chunks), b = from + (int)((long)n * (k + 1) / chunks);
            HashRange(children, childCount, parents, a, b);
        });
    }

    private static void HashRange(Fr[] children, int childCount, Fr[] parents, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            int l = 2 * i;
            parents[i] = l + 1 < childCount ? Poseidon.Hash2(in children[l], in children[l + 1]) : children[l];
        }
    }

    /// <summary>Replaces the leaf at <paramref name="index"/> and rehashes its path (lean-imt's update).</summary>
    public void Update(int index, in Fr leaf)
    {
        if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index), $"the tree has {_size} leaves");
        Fr node = leaf;
        for (int level = 0; level < _depth; level++)
        {
            _levels[level][index] = node;
            int count = (int)CountAt(_size, level);
            if ((index & 1) != 0) node = Poseidon.Hash2(in _levels[level][index - 1], in node);
            else if (index + 1 < count) node = Poseidon.Hash2(in node, in _levels[level][index + 1]);
            index >>= 1;
        }
        _levels[_depth][0] = node;
    }

    /// <summary>The proof for the leaf at <paramref name="index"/>, field for field lean-imt's generateProof.</summary>
    public LeanImtProof GenerateProof(int index)
    {
        if ((uint)index >= (uint)_size) throw new ArgumentOutOfRangeException(nameof(index), $"The leaf at index '{index}' does not exist in this tree");
        var leaf = _levels[0][index];
        Span<Fr> siblings = stackalloc Fr[MaxDepth];
        int n = 0;
        ulong path = 0;
        for (int level = 0; level < _depth; level++)
        {
            int right = index & 1;
            int sibling = right != 0 ? index - 1 : index + 1;
            if (sibling < CountAt(_size, level))
            {
                // lean-imt pushes the bit and reverses the list before reading it as binary, so
                // the first sibling's bit is the least significant.
                path |= (ulong)right << n;
                siblings[n++] = _levels[level][sibling];
            }
            index >>= 1;
        }
        return new LeanImtProof(Root, leaf, path, siblings[..n].ToArray());
    }

    /// <summary>
    /// lean-imt's static verifyProof: hashes the leaf up along the siblings (bit i of Index set:
    /// sibling on the left) and compares with Root. Stricter than lean-imt in two ways that no
    /// proof it generates trips: at most <see cref="MaxDepth"/> siblings, and no Index bits beyond
    /// the siblings (lean-imt ignores them, so one proof would have many accepted indices).
    /// </summary>
    public static bool VerifyProof(LeanImtProof proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var siblings = proof.Siblings;
        if (siblings is null || siblings.Length > MaxDepth) return false;
        if (siblings.Length < 64 && (proof.Index >> siblings.Length) != 0) return false;
        Fr node = proof.Leaf;
        for (int i = 0; i < siblings.Length; i++)
            node = ((proof.Index >> i) & 1) != 0 ? Poseidon.Hash2(in siblings[i], in node) : Poseidon.Hash2(in node, in siblings[i]);
        return node.Equals(proof.Root);
    }

    /// <summary>Makes room for <paramref name="extra"/> more leaves on every level (doubling, so appends are amortised O(1)).</summary>
    private void Grow(int extra)
    {
        long newSize = (long)_size + extra;
        int newDepth = DepthFor(newSize);
        if (newDepth > MaxDepth || newSize > Array.MaxLength)
            throw new InvalidOperationException($"a LeanIMT holds at most {Array.MaxLength} leaves here (depth ≤ {MaxDepth})");
        if (_levels.Length < newDepth + 1)
        {
            var levels = new Fr[newDepth + 1][];
            Array.Copy(_levels, levels, _levels.Length);
            for (int l = _levels.Length; l <= newDepth; l++) levels[l] = [];
            _levels = levels;
        }
        for (int level = 0; level <= newDepth; level++)
        {
            long need = CountAt(newSize, level);
            if (_levels[level].Length >= need) continue;
            long cap = Math.Max(need, Math.Min(Array.MaxLength, Math.Max(16L, 2L * _levels[level].Length)));
            var grown = new Fr[cap];
            Array.Copy(_levels[level], grown, Math.Min(CountAt(_size, level), _levels[level].Length));
            _levels[level] = grown;
        }
    }
}
