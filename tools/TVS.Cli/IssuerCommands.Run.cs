using System.CommandLine;
using NSec.Cryptography;
using TVS.Engine.Election;
using TVS.Issuer;

namespace TVS.Cli;

/// <summary><c>tvs issuer run</c>: an issuer's registration service.</summary>
public static partial class IssuerCommands
{
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
}
