using System.Buffers;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Engine.Votes;

namespace TVS.Tests.Votes;

/// <summary>
/// One election with a simulated Semaphore key (4 public signals) at depth 4, an ingest key and a
/// signed root; votes whose proofs are minted for the signals derived by SemaphoreSignals.
/// </summary>
public sealed class VoteTestKit : IDisposable
{
    public const int Depth = 4;
    public Guid Election { get; } = Guid.Parse("6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94");
    public SimulatedSetup Setup { get; } = new(SemaphoreSignals.Count);
    public HpkePrivateKey IngestKey { get; } = HpkePrivateKey.Generate();
    public Fr Root { get; } = SimulatedSetup.RandomNonZero();
    public VoteOpener Opener { get; }
    public VoteAdmission Admission { get; }

    public VoteTestKit()
    {
        Opener = new VoteOpener(IngestKey, Election);
        Admission = new VoteAdmission(Election);
        Admission.SetKey(Depth, Setup.Key);
        Admission.AddRoot(Root);
    }

    public sealed record Vote(Fr Nullifier, Proof Proof, byte[] Ballot, byte[] Plaintext, byte[] Key, byte[] Envelope);

    public Vote MakeVote(byte[]? ballot = null, Fr? nullifier = null)
    {
        ballot ??= "encrypted ballot bytes (opaque)"u8.ToArray();
        var n = nullifier ?? SimulatedSetup.RandomNonZero();
        var signals = new Fr[4];
        SemaphoreSignals.Compute(Root, n, ballot, Election, signals);
        var proof = Setup.Prove(signals);
        var sealedVote = VoteSealer.Seal(IngestKey.PublicKey, Election, Depth, Root, n, proof, ballot);
        var plaintext = new byte[VoteRecord.HeaderSize + ballot.Length];
        VoteRecord.Write(Election, Depth, Root, n, proof, ballot, plaintext);
        return new Vote(n, proof, ballot, plaintext, sealedVote.Key, sealedVote.Value);
    }

    /// <summary>Seals a (possibly crafted) plaintext to this election under <paramref name="key"/>.</summary>
    public byte[] Seal(byte[] key, byte[] plaintext) => VoteSealer.SealPlaintext(IngestKey.PublicKey, Election, key, plaintext);

    /// <summary>The engine's whole chain short of the nullifier store: open, parse, bind, admit, verify.</summary>
    public VoteRejectReason Process(ReadOnlySpan<byte> key, ReadOnlySpan<byte> envelope)
    {
        var buffer = new byte[VoteRecord.MaxPlaintext];
        var reason = Opener.Open(key, envelope, buffer, out var record, out int n);
        return reason.IsAccepted ? Admission.Verify(record, buffer.AsSpan(0, n)) : reason;
    }

    /// <summary>The chain from a plaintext (no envelope): parse, bind to key and election, admit, verify.</summary>
    public VoteRejectReason ProcessPlaintext(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
    {
        if (!VoteRecord.TryParse(plaintext, out var record, out var reason)) return reason;
        if (!record.NullifierEquals(key)) return VoteRejectReason.NullifierMismatch;
        if (record.ElectionId != Election) return VoteRejectReason.WrongElection;
        return Admission.Verify(record, plaintext);
    }

    public void Dispose() => IngestKey.Dispose();

    /// <summary>A ReadOnlySequence cut into segments at the given positions.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToArray();
        Segment? first = null, last = null;
        int start = 0;
        foreach (var end in bounds)
        {
            var seg = new Segment(data.AsMemory(start, end - start), last);
            first ??= seg;
            last = seg;
            start = end;
        }
        if (first is null) return ReadOnlySequence<byte>.Empty;
        return new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
