using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>
/// An HPKE encryption context (RFC 9180 §5.2): key, base_nonce, sequence number and
/// exporter_secret. Not thread-safe (the sequence number advances per message). Dispose zeroes it.
/// </summary>
public abstract class HpkeContext : IDisposable
{
    private readonly byte[] _key;
    private readonly byte[] _baseNonce = new byte[KeySchedule.Nn];
    private readonly byte[] _exporterSecret = new byte[Labeled.Nh];
    private ulong _seq;
    private bool _exhausted;
    private bool _disposed;

    private protected HpkeContext(HpkeAead aead, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> keyScheduleContext)
    {
        Aead = aead;
        _key = GC.AllocateArray<byte>(KeySchedule.KeyLength(aead), pinned: true);
        KeySchedule.Derive(aead, sharedSecret, keyScheduleContext, _key, _baseNonce, _exporterSecret);
    }

    public HpkeAead Aead { get; }

    /// <summary>The sequence number the next message will use.</summary>
    public ulong Sequence => _seq;

    internal ReadOnlySpan<byte> KeyForTests => _key;
    internal ReadOnlySpan<byte> BaseNonceForTests => _baseNonce;
    internal ReadOnlySpan<byte> ExporterSecretForTests => _exporterSecret;

    /// <summary>Export(exporter_context, L), RFC 9180 §5.3.</summary>
    public void Export(ReadOnlySpan<byte> exporterContext, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        KeySchedule.Export(Aead, _exporterSecret, exporterContext, output);
    }

    /// <summary>nonce = base_nonce XOR I2OSP(seq, Nn). seq is 64-bit here, so the top 4 bytes stay as they are.</summary>
    private protected bool TryNextNonce(Span<byte> nonce, out ReadOnlySpan<byte> key)
    {
        key = _key;
        if (_exhausted)
        {
            return false;
        }
        _baseNonce.CopyTo(nonce);
        ulong tail = BinaryPrimitives.ReadUInt64BigEndian(nonce[4..]) ^ _seq;
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], tail);
        return true;
    }

    private protected void IncrementSequence()
    {
        if (_seq == ulong.MaxValue)
        {
            _exhausted = true;
        }
        else
        {
            _seq++;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_baseNonce);
        CryptographicOperations.ZeroMemory(_exporterSecret);
        _exhausted = true;
        _disposed = true;
        GC.SuppressFinalize(this);
    }
}

/// <summary>A sender's context (SetupBaseS): seals messages with sequence numbers 0, 1, 2, …</summary>
public sealed class HpkeSenderContext : HpkeContext
{
    internal HpkeSenderContext(HpkeAead aead, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> keyScheduleContext)
        : base(aead, sharedSecret, keyScheduleContext) { }

    /// <summary>Seals the next message: writes plaintext.Length + 16 bytes to <paramref name="ciphertext"/>.</summary>
    public void Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (ciphertext.Length < HpkeBaseMode.CiphertextLength(plaintext.Length))
        {
            throw new ArgumentException("ciphertext must hold plaintext.Length + 16 bytes", nameof(ciphertext));
        }
        Span<byte> nonce = stackalloc byte[KeySchedule.Nn];
        if (!TryNextNonce(nonce, out var key))
        {
            throw new InvalidOperationException("HPKE context exhausted or disposed");
        }
        TVS.Crypto.Hpke.Aead.Seal(Aead, key, nonce, aad, plaintext, ciphertext);
        IncrementSequence();
    }
}

/// <summary>A recipient's context (SetupBaseR): opens messages with sequence numbers 0, 1, 2, …</summary>
public sealed class HpkeRecipientContext : HpkeContext
{
    internal HpkeRecipientContext(HpkeAead aead, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> keyScheduleContext)
        : base(aead, sharedSecret, keyScheduleContext) { }

    /// <summary>
    /// Opens the next message. The sequence number advances only on success (RFC 9180 §5.2), so a
    /// forged message does not desynchronise the context. Never throws on bad input.
    /// </summary>
    public HpkeError Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int bytesWritten)
    {
        bytesWritten = 0;
        if (ciphertext.Length < KeySchedule.Nt)
        {
            return HpkeError.CiphertextTooShort;
        }
        int n = ciphertext.Length - KeySchedule.Nt;
        if (plaintext.Length < n)
        {
            return HpkeError.DestinationTooSmall;
        }
        Span<byte> nonce = stackalloc byte[KeySchedule.Nn];
        if (!TryNextNonce(nonce, out var key))
        {
            return HpkeError.MessageLimitReached;
        }
        if (!TVS.Crypto.Hpke.Aead.Open(Aead, key, nonce, aad, ciphertext, plaintext))
        {
            return HpkeError.AuthenticationFailed;
        }
        IncrementSequence();
        bytesWritten = n;
        return HpkeError.None;
    }
}
