using System.Text;
using TVS.Merkle;

namespace TVS.Tests.Merkle;

public class SignedNoteTests
{
    // The worked example of golang.org/x/mod/sumdb/note's package documentation.
    private const string GoSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string GoText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string GoNote = GoText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    [Fact]
    public void GoDocumentationExampleIsReproducedExactly()
    {
        using NoteSigner signer = NoteSigner.Parse(GoSignerKey);
        Assert.Equal(GoVerifierKey, signer.Verifier.VerifierKey);
        Assert.Equal(GoSignerKey, signer.SignerKey);
        Assert.Equal(0xc74f20a3u, signer.KeyHash);
        Assert.Equal(GoNote, SignedNote.Sign(GoText, signer)); // Ed25519 is deterministic
        OpenedNote opened = SignedNote.Open(GoNote, NoteVerifier.Parse(GoVerifierKey));
        Assert.Equal(GoText, opened.Text);
        Assert.Single(opened.Verified);
        Assert.Equal("PeterNeumann", opened.Verified[0].Name);
    }

    [Fact]
    public void CheckpointRoundTripsAndTamperingIsRejected()
    {
        using NoteSigner signer = NoteSigner.Generate("tvs.example/board");
        NoteVerifier verifier = NoteVerifier.Parse(signer.Verifier.VerifierKey);
        var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
        for (int i = 0; i < 21; i++)
        {
            mmr.Append(NaiveRfc9162.LeafData(i));
        }
        Checkpoint cp = Checkpoint.Of("tvs.example/e1/p0", mmr);
        string note = cp.Sign(signer);
        Assert.StartsWith($"tvs.example/e1/p0\n21\n{mmr.Root.ToBase64()}\n\n\u2014 tvs.example/board ", note, StringComparison.Ordinal);
        Checkpoint back = Checkpoint.Open(note, verifier, "tvs.example/e1/p0");
        Assert.Equal(21, back.Size);
        Assert.Equal(mmr.Root, back.Root);
        Assert.Empty(back.Extensions);
        Assert.Throws<NoteException>(() => Checkpoint.Open(note, verifier, "tvs.example/e1/p1"));

        // Body changed: size, root, origin.
        Assert.Throws<NoteException>(() => Checkpoint.Open(note.Replace("\n21\n", "\n22\n", StringComparison.Ordinal), verifier));
        Assert.Throws<NoteException>(() => Checkpoint.Open("x" + note, verifier));
        // Signature changed.
        int sigAt = note.LastIndexOf(' ') + 10;
        char[] chars = note.ToCharArray();
        chars[sigAt] = chars[sigAt] == 'A' ? 'B' : 'A';
        Assert.Throws<NoteException>(() => Checkpoint.Open(new string(chars), verifier));
        // Unknown key only.
        using NoteSigner other = NoteSigner.Generate("tvs.example/board");
        Assert.Throws<NoteException>(() => Checkpoint.Open(cp.Sign(other), verifier));
        // Known and unknown keys together: accepted, the unknown signature listed.
        OpenedNote both = SignedNote.Open(cp.Sign(other, signer), verifier);
        Assert.Single(both.Verified);
        Assert.Single(both.Unknown);
    }

    [Theory]
    [InlineData("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", true)]
    [InlineData("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n", true)]
    [InlineData("o\n05\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", false)]
    [InlineData("o\n+5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", false)]
    [InlineData("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", false)]
    [InlineData("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", false)]
    [InlineData("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false)]
    [InlineData("o\n5\n", false)]
    [InlineData("\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", false)]
    [InlineData("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nx\n", false)]
    [InlineData("o\n5\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", false)]
    public void CheckpointBodiesAreParsedStrictly(string body, bool ok)
    {
        if (ok)
        {
            Assert.Equal(body, Checkpoint.Parse(body).ToNoteText());
        }
        else
        {
            Assert.Throws<NoteException>(() => Checkpoint.Parse(body));
        }
    }

    [Fact]
    public void MalformedNotesAndKeysAreRejected()
    {
        NoteVerifier v = NoteVerifier.Parse(GoVerifierKey);
        string[] bad =
        [
            GoText + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", // no blank line
            GoNote.TrimEnd('\n'), // no final newline
            GoNote.Replace("\u2014 ", "-- ", StringComparison.Ordinal), // not an em dash
            GoNote.Replace("PeterNeumann x08", "PeterNeumann  x08", StringComparison.Ordinal), // double space
            GoNote.Replace("AM=\n", "AM\n", StringComparison.Ordinal), // bad base64
            GoNote.Replace("problem,\n", "problem,\r\n", StringComparison.Ordinal), // control character
            GoNote + "junk\n", // not a signature line
            GoText + "\n\u2014 PeterNeumann AAAA\n", // too short
        ];
        foreach (string note in bad)
        {
            Assert.Throws<NoteException>(() => SignedNote.Open(note, v));
        }
        Assert.Throws<NoteException>(() => SignedNote.Open(Encoding.UTF8.GetBytes(GoNote).Append((byte)0xff).ToArray(), v));

        Assert.Throws<NoteException>(() => NoteVerifier.Parse(GoVerifierKey.Replace("c74f20a3", "c74f20a4", StringComparison.Ordinal)));
        Assert.Throws<NoteException>(() => NoteVerifier.Parse(GoVerifierKey.Replace("Peter", "Pe ter", StringComparison.Ordinal)));
        Assert.Throws<NoteException>(() => NoteVerifier.Parse(GoVerifierKey + "+x"));
        Assert.Throws<NoteException>(() => NoteVerifier.Parse("PeterNeumann+c74f20a3+AhpcwQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
        Assert.Throws<NoteException>(() => NoteSigner.Parse(GoSignerKey.Replace("c74f20a3", "00000000", StringComparison.Ordinal)));
        Assert.Throws<NoteException>(() => NoteSigner.Parse(GoVerifierKey));
    }

    [Fact]
    public void CombinedCheckpointCommitsToEveryPartition()
    {
        using NoteSigner signer = NoteSigner.Generate("tvs.example/board");
        var heads = new List<PartitionHead>();
        for (int p = 0; p < 5; p++)
        {
            var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
            for (int i = 0; i < 10 + p; i++)
            {
                mmr.Append(NaiveRfc9162.LeafData((p * 100) + i));
            }
            heads.Add(new PartitionHead(p, mmr.LeafCount, mmr.Root));
        }
        Checkpoint cp = Checkpoint.Combined("tvs.example/e1/combined", heads);
        Assert.Equal(5, cp.Size);
        Assert.Equal($"p3 13 {heads[3].Root.ToBase64()}", cp.Extensions[3]);
        string note = cp.Sign(signer);
        Checkpoint back = Checkpoint.Open(note, signer.Verifier);
        Assert.Equal(heads, back.GetPartitionHeads());

        // A partition head's inclusion in the combined tree is an ordinary RFC 9162 proof.
        var tree = new MerkleMountainRange(new InMemoryMmrNodeStore());
        foreach (string line in cp.Extensions)
        {
            tree.AppendLeafHash(Checkpoint.CombinedLeafHash(line));
        }
        Assert.Equal(cp.Root, tree.Root);
        Assert.True(Rfc9162.VerifyInclusion(3, 5, Checkpoint.CombinedLeafHash(cp.Extensions[3]), tree.GetInclusionProof(3, 5), back.Root));

        // Lines that do not match the root, or out of order, are refused.
        var swapped = new Checkpoint(cp.Origin, cp.Size, cp.Root, [.. cp.Extensions.Reverse()]);
        Assert.Throws<NoteException>(() => swapped.GetPartitionHeads());
        var forged = new Checkpoint(cp.Origin, cp.Size, cp.Root, [.. cp.Extensions.Take(4), $"p4 99 {heads[4].Root.ToBase64()}"]);
        Assert.Throws<NoteException>(() => forged.GetPartitionHeads());
        Assert.Throws<ArgumentException>(() => Checkpoint.Combined("o", [heads[1], heads[0]]));
    }
}
