using System.CommandLine;
using System.Diagnostics;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;

namespace TVS.Cli;

/// <summary>
/// <c>tvs zk verify</c>: snarkjs-compatible Groth16 verification of snarkjs proof/public pairs and
/// of Semaphore v4 proof objects (<c>generateProof</c>'s output). Exit codes as
/// <c>snarkjs groth16 verify</c>: 0 valid, 1 invalid, 2 unreadable input.
/// </summary>
public static class ZkCommands
{
    public static Command Build()
    {
        var zk = new Command("zk", "Zero-knowledge proofs (Groth16 on BN254)");
        var verify = new Command("verify", "Verify snarkjs Groth16 proofs or Semaphore v4 proof objects: prints OK or INVALID: reason");
        var vk = new Option<FileInfo>("--vk") { Description = "snarkjs verification_key.json", Required = true };
        var proof = new Option<FileInfo?>("--proof") { Description = "snarkjs proof.json (points [x, y, \"1\"] or affine [x, y])" };
        var pub = new Option<FileInfo?>("--public") { Description = "snarkjs public.json" };
        var semaphore = new Option<FileInfo?>("--semaphore") { Description = "a Semaphore v4 proof object as @semaphore-protocol/proof's generateProof returns it (public signals derived from it; --vk is the key of its merkleTreeDepth)" };
        var list = new Option<FileInfo?>("--list") { Description = "file of lines 'proofPath publicPath', or 'semaphoreProofPath' alone (relative to the list's folder)" };
        var batch = new Option<bool>("--batch") { Description = "verify the list with batch verification (random linear combination)" };
        var batchSize = new Option<int>("--batch-size") { Description = "proofs per batch", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat") { Description = "verify the list this many times (for timing)", DefaultValueFactory = _ => 1 };
        verify.Options.Add(vk);
        verify.Options.Add(proof);
        verify.Options.Add(pub);
        verify.Options.Add(semaphore);
        verify.Options.Add(list);
        verify.Options.Add(batch);
        verify.Options.Add(batchSize);
        verify.Options.Add(repeat);
        verify.SetAction(r =>
        {
            var vkFile = r.GetValue(vk)!;
            var listFile = r.GetValue(list);
            if (listFile is not null)
                return VerifyList(vkFile, listFile, r.GetValue(batch), Math.Max(1, r.GetValue(batchSize)), Math.Max(1, r.GetValue(repeat)), Console.Out);
            var p = r.GetValue(proof);
            var s = r.GetValue(pub);
            var sem = r.GetValue(semaphore);
            if (sem is not null && p is null && s is null)
                return VerifySemaphore(vkFile, sem, Console.Out);
            if (p is null || s is null || sem is not null)
            {
                Console.Error.WriteLine("tvs zk verify: give --proof and --public, or --semaphore, or --list");
                return ExitCodes.Unusable;
            }
            return VerifyOne(vkFile, p, s, Console.Out);
        });
        zk.Subcommands.Add(verify);
        return zk;
    }

    private static bool TryReadFile(FileInfo f, out byte[] bytes, TextWriter err)
    {
        bytes = [];
        try
        {
            if (f.Exists && f.Length > SnarkjsJson.MaxDocumentBytes)
            {
                err.WriteLine($"{f.FullName}: larger than {SnarkjsJson.MaxDocumentBytes} bytes");
                return false;
            }
            bytes = File.ReadAllBytes(f.FullName);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            err.WriteLine($"{f.FullName}: {e.Message}");
            return false;
        }
    }

    internal static int LoadKey(FileInfo vkFile, out VerifyingKey? key, TextWriter output)
    {
        key = null;
        if (!TryReadFile(vkFile, out var bytes, Console.Error)) return ExitCodes.Unusable;
        var e = SnarkjsJson.TryReadVerifyingKey(bytes, out key);
        if (e == VerifyError.Malformed)
        {
            Console.Error.WriteLine($"{vkFile.FullName}: not a snarkjs verification key");
            return ExitCodes.Unusable;
        }
        if (e != VerifyError.None)
        {
            output.WriteLine($"INVALID: verification key: {e.Describe()}");
            return ExitCodes.Invalid;
        }
        return ExitCodes.Ok;
    }

    /// <summary>Verifies a Semaphore v4 proof object (<c>generateProof</c>'s output) against <paramref name="vkFile"/>.</summary>
    public static int VerifySemaphore(FileInfo vkFile, FileInfo proofObjectFile, TextWriter output) => VerifyOne(vkFile, proofObjectFile, null, output);

    /// <summary>Without <paramref name="publicFile"/>, <paramref name="proofFile"/> is a Semaphore proof object.</summary>
    public static int VerifyOne(FileInfo vkFile, FileInfo proofFile, FileInfo? publicFile, TextWriter output)
    {
        int rc = LoadKey(vkFile, out var key, output);
        if (rc != ExitCodes.Ok) return rc;
        byte[]? publicBytes = null;
        if (!TryReadFile(proofFile, out var proofBytes, Console.Error) || (publicFile is not null && !TryReadFile(publicFile, out publicBytes, Console.Error)))
            return ExitCodes.Unusable;
        var e = ParseAndVerify(key!, proofBytes, publicBytes);
        output.WriteLine(e == VerifyError.None ? "OK" : "INVALID: " + e.Describe());
        return e == VerifyError.None ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    /// <summary>A snarkjs proof and public signals, or with <paramref name="publicBytes"/> null a Semaphore proof object.</summary>
    private static VerifyError Parse(byte[] proofBytes, byte[]? publicBytes, out Proof proof, out Fr[] signals)
    {
        if (publicBytes is null)
        {
            signals = new Fr[SemaphoreSignals.Count];
            return SemaphoreProofJson.TryRead(proofBytes, out proof, signals);
        }
        signals = [];
        var e = SnarkjsJson.TryReadProof(proofBytes, out proof);
        if (e != VerifyError.None) return e;
        return SnarkjsJson.TryReadPublicSignals(publicBytes, out signals);
    }

    private static VerifyError ParseAndVerify(VerifyingKey key, byte[] proofBytes, byte[]? publicBytes)
    {
        var e = Parse(proofBytes, publicBytes, out var proof, out var signals);
        return e != VerifyError.None ? e : Groth16Verifier.Verify(key, proof, signals);
    }

    /// <summary>A list line; <see cref="PublicBytes"/> is null for a Semaphore proof object.</summary>
    private sealed record Entry(string ProofPath, string PublicPath, byte[] ProofBytes, byte[]? PublicBytes, string? ReadError);

    public static int VerifyList(FileInfo vkFile, FileInfo listFile, bool batch, int batchSize, int repeat, TextWriter output)
    {
        int rc = LoadKey(vkFile, out var key, output);
        if (rc != ExitCodes.Ok) return rc;
        if (!TryReadFile(listFile, out var listBytes, Console.Error)) return ExitCodes.Unusable;
        var baseDir = listFile.DirectoryName ?? ".";
        var entries = new List<Entry>();
        foreach (var raw in System.Text.Encoding.UTF8.GetString(listBytes).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 1)
            {
                var objectErr = new StringWriter();
                bool read = TryReadFile(new FileInfo(Path.Combine(baseDir, parts[0])), out var ob, objectErr);
                entries.Add(new Entry(parts[0], "", ob, null, read ? null : "unreadable: " + objectErr.ToString().Trim()));
                continue;
            }
            if (parts.Length != 2)
            {
                entries.Add(new Entry(line, "", [], [], "list line is not 'proofPath publicPath' nor 'semaphoreProofPath'"));
                continue;
            }
            string pp = Path.Combine(baseDir, parts[0]), sp = Path.Combine(baseDir, parts[1]);
            var err = new StringWriter();
            bool ok = TryReadFile(new FileInfo(pp), out var pb, err) & TryReadFile(new FileInfo(sp), out var sb, err);
            entries.Add(new Entry(parts[0], parts[1], pb, sb, ok ? null : "unreadable: " + err.ToString().Trim()));
        }

        var verdicts = new string[entries.Count];
        int valid = 0;
        // One untimed verification first, so that proofs/s measures the verifier rather than the JIT.
        var first = entries.Find(en => en.ReadError is null);
        if (first is not null) ParseAndVerify(key!, first.ProofBytes, first.PublicBytes);
        var sw = Stopwatch.StartNew();
        for (int round = 0; round < repeat; round++)
        {
            valid = 0;
            if (batch) valid = VerifyBatched(key!, entries, verdicts, batchSize);
            else
            {
                for (int i = 0; i < entries.Count; i++)
                {
                    var en = entries[i];
                    var e = en.ReadError is null ? ParseAndVerify(key!, en.ProofBytes, en.PublicBytes) : VerifyError.Malformed;
                    verdicts[i] = en.ReadError is not null ? "INVALID: " + en.ReadError : e == VerifyError.None ? "OK" : "INVALID: " + e.Describe();
                    if (e == VerifyError.None && en.ReadError is null) valid++;
                }
            }
        }
        sw.Stop();
        for (int i = 0; i < entries.Count; i++) output.WriteLine($"{entries[i].ProofPath} {verdicts[i]}");
        long total = (long)entries.Count * repeat;
        double rate = total / Math.Max(sw.Elapsed.TotalSeconds, 1e-9);
        output.WriteLine($"{entries.Count} proofs, {valid} valid, {entries.Count - valid} invalid, {rate:F1} proofs/s");
        return valid == entries.Count ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    private static int VerifyBatched(VerifyingKey key, List<Entry> entries, string[] verdicts, int batchSize)
    {
        var proofs = new ProofBatch(batchSize);
        int valid = 0;
        void Flush()
        {
            var results = proofs.Verify(out var index);
            for (int k = 0; k < results.Length; k++)
            {
                verdicts[index[k]] = results[k] == VerifyError.None ? "OK" : "INVALID: " + results[k].Describe();
                if (results[k] == VerifyError.None) valid++;
            }
        }
        for (int i = 0; i < entries.Count; i++)
        {
            var en = entries[i];
            if (en.ReadError is not null) { verdicts[i] = "INVALID: " + en.ReadError; continue; }
            var e = Parse(en.ProofBytes, en.PublicBytes, out var proof, out var signals);
            if (e != VerifyError.None) { verdicts[i] = "INVALID: " + e.Describe(); continue; }
            proofs.Add(key, proof, signals, tag: i);
            if (proofs.IsFull) Flush();
        }
        if (proofs.Count > 0) Flush();
        return valid;
    }
}
