using TVS.Crypto.Bn254;
using TVS.Crypto.Hpke;

namespace TVS.Engine.Votes;

/// <summary>
/// The engine's open stage for one election: HPKE open with aad = the record key, parse, then
/// the sealed nullifier must equal the clear key and the sealed election id the engine's.
/// Created once per election; <see cref="Open"/> allocates nothing, never throws on bad input and
/// is safe to call from several threads at once (the plaintext buffer is the caller's).
/// </summary>
public sealed class VoteOpener
{
    private readonly HpkeRecipient _recipient;
    private readonly Fr _scopeHash;

    public VoteOpener(HpkePrivateKey ingestKey, Guid electionId)
    {
        ElectionId = electionId;
        _recipient = HpkeEnvelope.CreateRecipient(ingestKey, electionId);
        _scopeHash = SemaphoreSignals.ScopeHash(electionId);
    }

    public Guid ElectionId { get; }

    /// <summary>hash(scope) of this election, the fourth public signal, computed once.</summary>
    public ref readonly Fr ScopeHash => ref _scopeHash;

    /// <summary>
    /// Opens the Kafka record (<paramref name="key"/>, <paramref name="envelope"/>) into
    /// <paramref name="plaintext"/> (at least envelope length − 48 bytes; <see cref="VoteRecord.MaxPlaintext"/>
    /// always suffices) and parses it. On success <paramref name="plaintextLength"/> bytes of
    /// <paramref name="plaintext"/> hold the record and <c>record.Ballot(plaintext)</c> is the ballot.
    /// </summary>
    public VoteRejectReason Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> envelope, Span<byte> plaintext, out VoteRecord record, out int plaintextLength)
    {
        record = default;
        plaintextLength = 0;
        if (key.Length != VoteRecord.KeySize
            || envelope.Length > VoteRecord.MaxEnvelope
            || envelope.Length < VoteRecord.HeaderSize + 1 + HpkeEnvelope.Overhead)
        {
            return VoteRejectReason.Malformed;
        }
        var e = _recipient.OpenEnvelope(envelope, key, plaintext, out int n);
        if (e == HpkeError.DestinationTooSmall)
        {
            throw new ArgumentException("plaintext buffer too small", nameof(plaintext));
        }
        if (e != HpkeError.None)
        {
            return VoteRejectReason.Envelope;
        }
        if (!VoteRecord.TryParse(plaintext[..n], out record, out var reason))
        {
            return reason;
        }
        if (!record.NullifierEquals(key))
        {
            record = default;
            return VoteRejectReason.NullifierMismatch;
        }
        if (record.ElectionId != ElectionId)
        {
            record = default;
            return VoteRejectReason.WrongElection;
        }
        plaintextLength = n;
        return default;
    }
}
