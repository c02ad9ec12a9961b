using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using TVS.Crypto.Threshold;

namespace TVS.Cli;

/// <summary>
/// <c>tvs trustee …</c>: the key ceremony (Pedersen DKG) run by n people on n machines who
/// exchange the files of a ceremony folder (docs/election-guide.md, "Key ceremony"). Each step
/// reads what the others published and writes one signed file; secrets stay in the trustee's own
/// key folder, encrypted under its passphrase. Exit codes: 0 done, 1 the ceremony refuses
/// (bad files, failed checks), 2 unusable input (missing files, wrong passphrase, bad options).
/// </summary>
public static class TrusteeCommands
{
    /// <summary>Environment variable read when no --passphrase-file is given.</summary>
    public const string PassphraseVariable = "TVS_TRUSTEE_PASSPHRASE";

    public const string IdentityFile = "trustee.key", PolynomialFile = "polynomial.key", ShareFile = "share.key";

    public static Command Build()
    {
        var trustee = new Command("trustee", "Trustees' key ceremony (Pedersen DKG on ristretto255)");
        var ceremony = new Option<DirectoryInfo>("--ceremony") { Description = "the shared ceremony folder (public, signed files)", Required = true };
        var keyDir = new Option<DirectoryInfo>("--out", "--key-dir") { Description = "this trustee's private folder (key files, encrypted)", Required = true };
        var passFile = new Option<FileInfo?>("--passphrase-file") { Description = $"file holding the passphrase (else ${PassphraseVariable})" };
        var keyUri = new Option<string?>(KeyUriOption) { Description = "PKCS#11 URI of an AES key in a token: new key files are sealed by it instead of a passphrase" };

        var init = new Command("init", "Create ceremony.json (operator, once)");
        var election = new Option<Guid>("--election") { Description = "election id (UUID)", Required = true };
        var threshold = new Option<int>("--threshold", "-t") { Description = "trustees needed to decrypt", DefaultValueFactory = _ => 5 };
        var trustees = new Option<int>("--trustees", "-n") { Description = "number of trustees", DefaultValueFactory = _ => 9 };
        init.Options.Add(ceremony);
        init.Options.Add(election);
        init.Options.Add(threshold);
        init.Options.Add(trustees);
        init.SetAction(r => Init(r.GetValue(ceremony)!, new DkgParameters(r.GetValue(election), r.GetValue(threshold), r.GetValue(trustees)), Console.Out, Console.Error));
        trustee.Subcommands.Add(init);

        var keygen = new Command("keygen", "Generate this trustee's long-term keys; publish keys/trustee-NN.json");
        var index = new Option<int>("--index") { Description = "this trustee's index (1..n)", Required = true };
        keygen.Options.Add(ceremony);
        keygen.Options.Add(index);
        keygen.Options.Add(keyDir);
        keygen.Options.Add(passFile);
        keygen.Options.Add(keyUri);
        keygen.SetAction(r => Run(r.GetValue(passFile), r.GetValue(keyUri), Console.Error, pw => Keygen(r.GetValue(ceremony)!, r.GetValue(index), r.GetValue(keyDir)!, pw, Console.Out)));
        trustee.Subcommands.Add(keygen);

        foreach (var (name, help, step) in new (string, string, Func<DirectoryInfo, DirectoryInfo, TrusteeKeys, TextWriter, int>)[]
        {
            ("deal", "Deal shares to all n trustees; publish deals/deal-NN.json", Deal),
            ("complain", "Check the shares dealt to me; publish complaints/complaint-NN.json (possibly empty)", Complain),
            ("answer", "Reveal the shares others complained about; publish answers/answer-NN.json", Answer),
            ("finalize", "Decide QUAL; write my share (encrypted) and result/election-key-NN.json", Finalize),
        })
        {
            var c = new Command(name, help);
            c.Options.Add(ceremony);
            c.Options.Add(keyDir);
            c.Options.Add(passFile);
            c.Options.Add(keyUri);
            c.SetAction(r => Run(r.GetValue(passFile), r.GetValue(keyUri), Console.Error, pw => step(r.GetValue(ceremony)!, r.GetValue(keyDir)!, pw, Console.Out)));
            trustee.Subcommands.Add(c);
        }
        return trustee;
    }

    public const string KeyUriOption = "--key-uri";

    /// <summary>
    /// The passphrase and/or the token key: with <paramref name="keyUri"/> the passphrase is
    /// optional (read if given, for older passphrase files); without it, required.
    /// </summary>
    public static TrusteeKeys OpenKeys(FileInfo? passphraseFile, string? keyUri, out IDisposable? token)
    {
        token = null;
        if (keyUri is null) return ReadPassphrase(passphraseFile);
        byte[] pw = passphraseFile is not null || Environment.GetEnvironmentVariable(PassphraseVariable) is { Length: > 0 } ? ReadPassphrase(passphraseFile) : [];
        var wrapper = TVS.Pkcs11.Pkcs11Wrapper.Open(TVS.Pkcs11.Pkcs11Uri.Parse(keyUri));
        token = wrapper;
        return new TrusteeKeys(pw, wrapper);
    }

    /// <summary>Reads the passphrase (or opens the token key), runs the step, maps failures to exit codes and zeroes the passphrase.</summary>
    private static int Run(FileInfo? passphraseFile, string? keyUri, TextWriter err, Func<TrusteeKeys, int> step)
    {
        TrusteeKeys pw;
        IDisposable? token;
        try
        {
            pw = OpenKeys(passphraseFile, keyUri, out token);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            err.WriteLine("tvs trustee: " + e.Message);
            return ExitCodes.Usage;
        }
        try
        {
            return step(pw);
        }
        catch (WrongPassphraseException e)
        {
            err.WriteLine("tvs trustee: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            err.WriteLine("tvs trustee: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is DkgFailedException or CryptographicException)
        {
            err.WriteLine("tvs trustee: " + e.Message);
            return ExitCodes.Failed;
        }
        finally
        {
            pw.Clear();
            token?.Dispose();
        }
    }

    /// <summary>The passphrase as UTF-8: the file's content without a trailing newline, or the environment variable.</summary>
    public static byte[] ReadPassphrase(FileInfo? file)
    {
        string? s = file is not null ? File.ReadAllText(file.FullName).TrimEnd('\r', '\n') : Environment.GetEnvironmentVariable(PassphraseVariable);
        if (string.IsNullOrEmpty(s)) throw new InvalidOperationException($"no passphrase: give --passphrase-file or set {PassphraseVariable}");
        return Encoding.UTF8.GetBytes(s);
    }

    public static int Init(DirectoryInfo ceremony, DkgParameters p, TextWriter output, TextWriter err)
    {
        try
        {
            p.Validate();
        }
        catch (ArgumentException e)
        {
            err.WriteLine("tvs trustee init: " + e.Message);
            return ExitCodes.Usage;
        }
        var files = new CeremonyFiles(ceremony.FullName);
        if (File.Exists(files.ParametersPath))
        {
            err.WriteLine($"tvs trustee init: {files.ParametersPath} exists already");
            return ExitCodes.Usage;
        }
        files.WriteParameters(p);
        output.WriteLine($"ceremony for election {p.ElectionId}: {p.Threshold} of {p.Trustees}, in {files.Root}");
        return ExitCodes.Ok;
    }

    public static int Keygen(DirectoryInfo ceremony, int index, DirectoryInfo keyDir, TrusteeKeys passphrase, TextWriter output)
    {
        var files = new CeremonyFiles(ceremony.FullName);
        var p = files.ReadParameters();
        p.CheckIndexInRange(index);
        var keyPath = Path.Combine(keyDir.FullName, IdentityFile);
        if (File.Exists(keyPath)) throw new IOException($"{keyPath} exists already: keygen never overwrites a key");
        using var id = TrusteeIdentity.Generate(p.ElectionId, index);
        Directory.CreateDirectory(keyDir.FullName);
        WritePrivate(keyPath, passphrase.SealIdentity(id));
        files.WriteKey(id.Public);
        output.WriteLine($"trustee {index}: key written to {keyPath}; public key {files.KeyPath(index)}");
        output.WriteLine($"fingerprint {id.Public.Fingerprint(p.ElectionId)} (read it out to the other trustees)");
        return ExitCodes.Ok;
    }

    public static int Deal(DirectoryInfo ceremony, DirectoryInfo keyDir, TrusteeKeys passphrase, TextWriter output)
    {
        var files = new CeremonyFiles(ceremony.FullName);
        var p = files.ReadParameters();
        var keys = files.ReadKeys(p);
        using var me = OpenIdentity(p, keyDir, passphrase, keys);
        var polyPath = Path.Combine(keyDir.FullName, PolynomialFile);
        if (File.Exists(polyPath) || File.Exists(files.DealPath(me.Index))) throw new IOException("this trustee has dealt already: dealing twice would publish two polynomials");
        var deal = TVS.Crypto.Threshold.Deal.Create(p, me, keys, out var secret);
        using (secret)
        {
            WritePrivate(polyPath, passphrase.SealPolynomial(secret, p.ElectionId));
        }
        files.WriteDeal(deal);
        output.WriteLine($"trustee {me.Index}: dealt {p.Trustees} shares; published {files.DealPath(me.Index)}");
        return ExitCodes.Ok;
    }

    public static int Complain(DirectoryInfo ceremony, DirectoryInfo keyDir, TrusteeKeys passphrase, TextWriter output)
    {
        var files = new CeremonyFiles(ceremony.FullName);
        var p = files.ReadParameters();
        var keys = files.ReadKeys(p);
        using var me = OpenIdentity(p, keyDir, passphrase, keys);
        var deals = files.ReadDeals(p, output);
        var missing = Enumerable.Range(1, p.Trustees).Where(i => !deals.ContainsKey(i)).ToArray();
        if (missing.Length > 0) output.WriteLine($"no deal yet from {string.Join(", ", missing)} (finalize disqualifies them if none comes)");
        var bad = Dkg.FindBadDeals(p, keys, me, deals);
        foreach (var (dealer, check) in bad) output.WriteLine($"dealer {dealer}: my share fails ({check}): complaining");
        var complaint = TVS.Crypto.Threshold.Complaint.Create(p, me, bad.Select(b => b.Dealer));
        files.WriteComplaint(complaint);
        output.WriteLine($"trustee {me.Index}: {bad.Count} complaint(s); published {files.ComplaintPath(me.Index)}");
        return ExitCodes.Ok;
    }

    public static int Answer(DirectoryInfo ceremony, DirectoryInfo keyDir, TrusteeKeys passphrase, TextWriter output)
    {
        var files = new CeremonyFiles(ceremony.FullName);
        var p = files.ReadParameters();
        var keys = files.ReadKeys(p);
        using var me = OpenIdentity(p, keyDir, passphrase, keys);
        var polyPath = Path.Combine(keyDir.FullName, PolynomialFile);
        if (!File.Exists(polyPath)) throw new IOException($"{polyPath} is missing: this trustee has not dealt (or finalized already)");
        var complaints = files.ReadComplaints(p, output);
        var against = complaints.Where(kv => kv.Value.Complainer == kv.Key && kv.Value.Verify(p, keys[kv.Key - 1]) && kv.Value.Against.Contains(me.Index))
            .Select(kv => kv.Key).ToArray();
        using var secret = passphrase.OpenPolynomial(File.ReadAllBytes(polyPath), p.ElectionId);
        var answer = TVS.Crypto.Threshold.Answer.Create(p, me, secret, against);
        files.WriteAnswer(answer);
        output.WriteLine(against.Length == 0
            ? $"trustee {me.Index}: no complaints against me; published an empty answer"
            : $"trustee {me.Index}: revealed the shares of trustee(s) {string.Join(", ", against)} in {files.AnswerPath(me.Index)}");
        return ExitCodes.Ok;
    }

    public static int Finalize(DirectoryInfo ceremony, DirectoryInfo keyDir, TrusteeKeys passphrase, TextWriter output)
    {
        var files = new CeremonyFiles(ceremony.FullName);
        var p = files.ReadParameters();
        var keys = files.ReadKeys(p);
        using var me = OpenIdentity(p, keyDir, passphrase, keys);
        var deals = files.ReadDeals(p, output);
        var complaints = files.ReadComplaints(p, output);
        var answers = files.ReadAnswers(p, output);
        var result = Dkg.Finalize(p, keys, deals, complaints, answers);
        var share = Dkg.CombineShare(result, me, deals, answers);
        try
        {
            WritePrivate(Path.Combine(keyDir.FullName, ShareFile), passphrase.SealShare(me.Index, share, p.ElectionId));
        }
        finally
        {
            share.Clear();
        }
        files.WriteResult(me.Index, result);
        // The polynomial only served to answer complaints; once QUAL is fixed it is a liability.
        var poly = Path.Combine(keyDir.FullName, PolynomialFile);
        if (File.Exists(poly)) File.Delete(poly);
        foreach (var (i, why) in result.Disqualified) output.WriteLine($"dealer {i} disqualified: {why}");
        output.WriteLine($"QUAL = {{{string.Join(", ", result.Qualified)}}}; election key Y = {result.PublicKey.ToHex()}");
        var mine = File.ReadAllBytes(files.ResultPath(me.Index));
        int differ = 0;
        for (int j = 1; j <= p.Trustees; j++)
        {
            if (j == me.Index || !File.Exists(files.ResultPath(j))) continue;
            if (!File.ReadAllBytes(files.ResultPath(j)).AsSpan().SequenceEqual(mine))
            {
                output.WriteLine($"WARNING: {files.ResultPath(j)} differs from mine: stop and compare the ceremony folders");
                differ++;
            }
        }
        output.WriteLine($"election key fingerprint {Convert.ToHexStringLower(SHA256.HashData(mine).AsSpan(0, 16))} (all trustees must read the same)");
        return differ == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static TrusteeIdentity OpenIdentity(DkgParameters p, DirectoryInfo keyDir, TrusteeKeys passphrase, List<TrusteePublicKey> keys)
    {
        var path = Path.Combine(keyDir.FullName, IdentityFile);
        if (!File.Exists(path)) throw new IOException($"{path} is missing: run tvs trustee keygen first");
        var id = passphrase.OpenIdentity(File.ReadAllBytes(path), p.ElectionId);
        var published = keys[id.Index - 1];
        if (!published.SigningKey.AsSpan().SequenceEqual(id.Public.SigningKey) || !published.EncryptionKey.AsSpan().SequenceEqual(id.Public.EncryptionKey))
        {
            id.Dispose();
            throw new DkgFailedException($"the published keys/trustee-{id.Index:D2}.json is not this trustee's key");
        }
        return id;
    }

    /// <summary>Writes a key file readable by its owner only (where the OS supports modes).</summary>
    private static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var f = new FileStream(path, options);
        f.Write(bytes);
    }
}
