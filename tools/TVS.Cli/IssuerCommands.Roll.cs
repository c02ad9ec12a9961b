using System.CommandLine;
using NSec.Cryptography;
using TVS.Issuer;

namespace TVS.Cli;

/// <summary><c>tvs issuer roll</c>: the election authority's signed voter roll and each voter's eligibility token.</summary>
public static partial class IssuerCommands
{
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
}
