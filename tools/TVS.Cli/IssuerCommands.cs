using System.CommandLine;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using TVS.Crypto.Registry;
using TVS.Engine.Election;
using TVS.Issuer;
using TVS.LoadGen;

namespace TVS.Cli;

/// <summary>
/// <c>tvs issuer …</c>: credential issuers (docs/election-guide.md, "Registration and signed
/// roots"): keys, the authority's signed voter roll and tokens, the registration service, each
/// issuer's endorsement of a registry root and their combination into a signed root.
/// Exit codes: 0 done, 2 refused input or a root below threshold.
/// </summary>
public static class IssuerCommands
{
    public static Command Build()
    {
        var issuer = new Command("issuer", "Credential issuers: voter roll, registration service, signed registry roots");
        issuer.Subcommands.Add(Keygen());
        issuer.Subcommands.Add(Roll());
        issuer.Subcommands.Add(Run());
        issuer.Subcommands.Add(SignRoot());
        issuer.Subcommands.Add(Collect());
        issuer.Subcommands.Add(Roots());
        return issuer;
    }

    private static Command Keygen()
    {
        var c = new Command("keygen", "Create an issuer's Ed25519 signing key (file mode 0600); prints its public key (hex) for election.json");
        var index = new Option<int>("--index") { Description = "the issuer's index 1..n in the election's issuer list", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "key file to create", Required = true };
        c.Options.Add(index);
        c.Options.Add(output);
        c.SetAction(r =>
        {
            var file = r.GetValue(output)!;
            if (file.Exists) { Console.Error.WriteLine($"tvs issuer keygen: {file.FullName} exists; not overwritten"); return ExitCodes.Refused; }
            using var key = IssuerKey.Generate(r.GetValue(index));
            WriteSecret(file.FullName, key.ToFileText());
            Console.WriteLine(Convert.ToHexStringLower(key.PublicKey));
            return ExitCodes.Ok;
        });
        return c;
    }

    private static Command Roll()
    {
        var c = new Command("roll", "Election authority: sign the voter roll (hashes of voter ids) and write each voter's eligibility token");
        var election = new Option<Guid>("--election-id") { Required = true };
        var voters = new Option<FileInfo>("--voters") { Description = "voter ids, one per line (UTF-8)", Required = true };
        var authority = new Option<FileInfo>("--authority-key") { Description = "the authority's Ed25519 seed (hex); created (0600) if absent", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "the signed roll (JSON) for the issuers", Required = true };
        var tokens = new Option<FileInfo>("--tokens") { Description = "\"voterId<TAB>token\" lines to deliver to the voters (secret per voter)", Required = true };
        foreach (var o in new Option[] { election, voters, authority, output, tokens }) c.Options.Add(o);
        c.SetAction(r =>
        {
            var id = r.GetValue(election);
            using var key = LoadOrCreateAuthority(r.GetValue(authority)!.FullName);
            var ids = File.ReadAllLines(r.GetValue(voters)!.FullName).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            File.WriteAllText(r.GetValue(output)!.FullName, VoterRoll.Create(id, key, ids));
            WriteSecret(r.GetValue(tokens)!.FullName, string.Concat(ids.Select(v => $"{v}\t{Convert.ToHexStringLower(VoterRoll.CreateToken(id, key, v))}\n")));
            Console.WriteLine($"{ids.Count} voters; authority public key {Convert.ToHexStringLower(key.PublicKey.Export(KeyBlobFormat.RawPublicKey))}");
            return ExitCodes.Ok;
        });
        return c;
    }

    private static Command Run()
    {
        var c = new Command("run", "Run an issuer's registration service (Kestrel) until Ctrl-C");
        var election = new Option<Guid>("--election-id") { Required = true };
        var registry = new Option<FileInfo>("--registry") { Description = "the election's registry file (created if absent; shared by its issuers)", Required = true };
        var key = new Option<string>("--key") { Description = "this issuer's key file (tvs issuer keygen) or the PKCS#11 URI of its key in a token (then --index)", Required = true };
        var keyIndex = new Option<int?>("--index") { Description = "this issuer's index (with a PKCS#11 --key)" };
        var roll = new Option<FileInfo>("--roll") { Description = "the authority's signed voter roll", Required = true };
        var authority = new Option<string>("--authority-public-key") { Description = "the authority's Ed25519 public key (hex): the roll must be signed by it", Required = true };
        var listen = new Option<string>("--listen") { Description = "URL to listen on", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var rate = new Option<int>("--rate") { Description = "registration attempts per client IP per minute", DefaultValueFactory = _ => 20 };
        foreach (var o in new Option[] { election, registry, key, keyIndex, roll, authority, listen, rate }) c.Options.Add(o);
        c.SetAction(async (r, cancel) =>
        {
            var id = r.GetValue(election);
            VoterRoll voterRoll;
            try
            {
                voterRoll = VoterRoll.Load(File.ReadAllText(r.GetValue(roll)!.FullName), Convert.FromHexString(r.GetValue(authority)!), id);
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                Console.Error.WriteLine($"tvs issuer run: {e.Message}");
                return ExitCodes.Refused;
            }
            IssuerKey issuerKey;
            try
            {
                issuerKey = HsmCommands.OpenIssuerKey(r.GetValue(key)!, r.GetValue(keyIndex));
            }
            catch (Exception e) when (e is TVS.Pkcs11.TokenException or TVS.Pkcs11.Pkcs11UriException or IOException or FormatException)
            {
                Console.Error.WriteLine($"tvs issuer run: {e.Message}");
                return ExitCodes.Refused;
            }
            using var ownedKey = issuerKey;
            await using var server = await IssuerServer.StartAsync(new IssuerOptions
            {
                ElectionId = id,
                RegistryPath = r.GetValue(registry)!.FullName,
                Key = issuerKey,
                Eligibility = new SignedRollEligibility(voterRoll),
                Listen = r.GetValue(listen)!,
                RegistrationsPerWindow = r.GetValue(rate),
            }, cancel);
            Console.WriteLine($"issuer {issuerKey.Issuer} of election {id:D}: {voterRoll.Count} voters on the roll, {server.Registry.Size} registered; listening on {server.Address}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
            catch (OperationCanceledException)
            {
            }
            return ExitCodes.Ok;
        });
        return c;
    }

    private static Command SignRoot()
    {
        var c = new Command("sign-root", "Recompute the registry root from the registry file and sign it with this issuer's key (an endorsement)");
        c.Aliases.Add("endorse");
        var registry = new Option<FileInfo>("--registry") { Required = true };
        var key = new Option<string>("--key") { Description = "this issuer's key file, or the PKCS#11 URI of its key (then --index)", Required = true };
        var keyIndex = new Option<int?>("--index") { Description = "this issuer's index (with a PKCS#11 --key)" };
        var size = new Option<int?>("--size") { Description = "sign the root of the first N registrations (default: all); every issuer must sign the same N" };
        var output = new Option<FileInfo?>("--out") { Description = "endorsement file (default: stdout)" };
        foreach (var o in new Option[] { registry, key, keyIndex, size, output }) c.Options.Add(o);
        c.SetAction(r =>
        {
            try
            {
                var (id, commitments) = RegistryFile.ReadCommitments(r.GetValue(registry)!.FullName);
                int n = r.GetValue(size) ?? commitments.Count;
                if (n < 1 || n > commitments.Count) { Console.Error.WriteLine($"tvs issuer sign-root: the registry holds {commitments.Count} commitments, cannot sign the first {n}"); return ExitCodes.Refused; }
                if (commitments.Take(n).Distinct().Count() != n) { Console.Error.WriteLine("tvs issuer sign-root: the registry holds a commitment twice; refusing to sign"); return ExitCodes.Refused; }
                var root = LeanImtBuilder.ComputeRoot(commitments.Take(n).ToArray());
                using var k = HsmCommands.OpenIssuerKey(r.GetValue(key)!, r.GetValue(keyIndex));
                var e = k.Sign(new RootStatement(id, n, LeanImt.DepthFor(n), root));
                var o = r.GetValue(output);
                if (o is null) Console.Write(e.ToJson()); else File.WriteAllText(o.FullName, e.ToJson());
                Console.Error.WriteLine($"issuer {k.Issuer} signed size {n}, root {root}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
            {
                Console.Error.WriteLine($"tvs issuer sign-root: {e.Message}");
                return ExitCodes.Refused;
            }
        });
        return c;
    }

    private static Command Collect()
    {
        var c = new Command("collect", "Combine issuers' endorsements of one root into a signed root the election directory accepts (≥ t valid, distinct)");
        var election = new Option<DirectoryInfo>("--election") { Description = "election directory (its election.json names the issuers and t)", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "signed-root file (default: ELECTION/roots/root-<size>.json)" };
        var files = new Argument<FileInfo[]>("endorsements") { Arity = ArgumentArity.OneOrMore };
        c.Options.Add(election);
        c.Options.Add(output);
        c.Arguments.Add(files);
        c.SetAction(r => CollectEndorsements(r.GetValue(election)!, r.GetValue(files)!, r.GetValue(output), Console.Out, Console.Error));
        return c;
    }

    /// <summary>Checks each endorsement against the election's issuer keys, keeps the valid ones, and writes the signed root when ≥ t remain.</summary>
    public static int CollectEndorsements(DirectoryInfo election, FileInfo[] files, FileInfo? output, TextWriter stdout, TextWriter stderr)
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(election.FullName, ElectionSetup.ManifestFile)))!;
        var id = Guid.Parse((string)m["electionId"]!);
        if (m["issuers"] is not JsonObject io) { stderr.WriteLine("tvs issuer collect: election.json has no issuers"); return ExitCodes.Refused; }
        var issuers = new IssuerSet(((JsonArray)io["keys"]!).Select(k => Convert.FromHexString((string)k!)).ToList(), (int)io["threshold"]!);
        var acceptance = new RootAcceptance(id, issuers);
        var valid = new List<RootEndorsement>();
        foreach (var f in files)
        {
            try
            {
                var e = RootEndorsement.Parse(File.ReadAllText(f.FullName));
                var alone = acceptance.Evaluate(new SignedRoot(e.Statement, [e.Signature]));
                if (alone.Refusal is RootRefusal.None or RootRefusal.TooFewSignatures) valid.Add(e);
                else stderr.WriteLine($"{f.Name}: left out: {alone}");
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or IOException)
            {
                stderr.WriteLine($"{f.Name}: left out: {e.Message}");
            }
        }
        if (valid.Count == 0) { stderr.WriteLine("tvs issuer collect: no valid endorsement"); return ExitCodes.Refused; }
        SignedRoot signed;
        try
        {
            signed = SignedRoot.Combine(valid);
        }
        catch (InvalidDataException e)
        {
            stderr.WriteLine($"tvs issuer collect: {e.Message}");
            return ExitCodes.Refused;
        }
        var verdict = acceptance.Evaluate(signed);
        if (!verdict.Accepted) { stderr.WriteLine($"tvs issuer collect: not accepted: {verdict}"); return ExitCodes.Refused; }
        string path = output?.FullName ?? Path.Combine(election.FullName, ElectionSetup.RootsDirectory, $"root-{signed.Statement.Size}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, signed.ToJson());
        stdout.WriteLine($"root {signed.Statement.Root} (size {signed.Statement.Size}) signed by {verdict.DistinctIssuers} of {issuers.Count} issuers (t = {issuers.Threshold}): {path}");
        return ExitCodes.Ok;
    }

    private static Command Roots()
    {
        var c = new Command("roots", "List the election's accepted registry roots and why any other root is not accepted");
        var election = new Option<DirectoryInfo>("--election") { Required = true };
        c.Options.Add(election);
        c.SetAction(r =>
        {
            using var e = ElectionSetup.Load(r.GetValue(election)!.FullName, allowInsecure: true);
            foreach (var s in e.SignedRoots) Console.WriteLine($"accepted {s.Statement.Root} size {s.Statement.Size} depth {s.Statement.Depth} ({s.Signatures.Count} signatures)");
            foreach (var w in e.RootWarnings) Console.Error.WriteLine("warning: " + w);
            return e.RootWarnings.Count == 0 ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return c;
    }

    private static Key LoadOrCreateAuthority(string path)
    {
        var p = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        if (File.Exists(path)) return Key.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(File.ReadAllText(path).Trim()), KeyBlobFormat.RawPrivateKey, p);
        var key = Key.Create(SignatureAlgorithm.Ed25519, p);
        WriteSecret(path, Convert.ToHexStringLower(key.Export(KeyBlobFormat.RawPrivateKey)) + "\n");
        return key;
    }

    private static void WriteSecret(string path, string text)
    {
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }
}
