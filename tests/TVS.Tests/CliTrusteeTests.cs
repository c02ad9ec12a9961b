using TVS.Cli;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>
/// The key ceremony through the CLI as nine people would run it: nine machines (temp folders),
/// each with its own copy of the ceremony folder and its own private key folder, exchanging only
/// the public files between steps. Dealer 3 cheats (a wrong share to trustee 4, then no answer).
/// </summary>
[Collection(InProcessCliCollection.Name)]
public class CliTrusteeTests
{
    private static readonly Guid Election = Guid.Parse("5d3e4a10-8c1b-4f6e-a2d7-93b0c4e5f611");

    static CliTrusteeTests() => KeyFile.DefaultCost = new Argon2Cost(1024, 1);

    private static int Tvs(params string[] args) => Program.BuildRoot().Parse(args).Invoke();

    /// <summary>Copies every public file any machine has to every other machine (the file exchange).</summary>
    private static void Sync(string[] ceremonies)
    {
        foreach (var from in ceremonies)
            foreach (var f in Directory.EnumerateFiles(from, "*.json", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(from, f);
                foreach (var to in ceremonies)
                {
                    var dest = Path.Combine(to, rel);
                    if (File.Exists(dest)) continue;
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(f, dest);
                }
            }
    }

    [Fact]
    public void Nine_trustees_one_cheating_dealer()
    {
        const int n = 9, t = 5, cheater = 3, victim = 4;
        var root = Directory.CreateTempSubdirectory("tvs-ceremony-");
        try
        {
            var cer = Enumerable.Range(1, n).Select(i => Path.Combine(root.FullName, $"machine{i}", "ceremony")).ToArray();
            var priv = Enumerable.Range(1, n).Select(i => Path.Combine(root.FullName, $"machine{i}", "private")).ToArray();
            var pass = Enumerable.Range(1, n).Select(i => Path.Combine(root.FullName, $"machine{i}", "passphrase")).ToArray();
            for (int i = 0; i < n; i++)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(pass[i])!);
                File.WriteAllText(pass[i], $"passphrase of trustee {i + 1}\n");
            }
            string[] Step(string verb, int i) => ["trustee", verb, "--ceremony", cer[i - 1], "--key-dir", priv[i - 1], "--passphrase-file", pass[i - 1]];

            Assert.Equal(0, Tvs("trustee", "init", "--ceremony", cer[0], "--election", Election.ToString(), "-t", $"{t}", "-n", $"{n}"));
            Assert.Equal(2, Tvs("trustee", "init", "--ceremony", cer[0], "--election", Election.ToString()));
            Sync(cer);
            for (int i = 1; i <= n; i++)
                Assert.Equal(0, Tvs("trustee", "keygen", "--ceremony", cer[i - 1], "--index", $"{i}", "--out", priv[i - 1], "--passphrase-file", pass[i - 1]));
            Sync(cer);

            // A wrong passphrase is a clear refusal, not a crash.
            Assert.Equal(2, Tvs("trustee", "deal", "--ceremony", cer[0], "--key-dir", priv[0], "--passphrase-file", pass[1]));

            for (int i = 1; i <= n; i++)
            {
                if (i == cheater) continue;
                Assert.Equal(0, Tvs(Step("deal", i)));
            }
            // The cheater runs modified software: its deal is well signed but the share to the victim is off.
            var files = new CeremonyFiles(cer[cheater - 1]);
            var p = files.ReadParameters();
            using (var id = KeyFile.OpenIdentity(File.ReadAllBytes(Path.Combine(priv[cheater - 1], TrusteeCommands.IdentityFile)), Election, File.ReadAllBytes(pass[cheater - 1]).AsSpan()[..^1]))
            using (var poly = DealerSecret.Random(cheater, t))
                files.WriteDeal(Deal.Create(p, id, files.ReadKeys(p), poly, (j, s) => j == victim ? s + RistrettoScalar.One : s));
            Assert.Equal(2, Tvs(Step("deal", 1))); // dealing twice is refused
            Sync(cer);

            for (int i = 1; i <= n; i++) Assert.Equal(0, Tvs(Step("complain", i)));
            Sync(cer);
            var complaint = CeremonyFiles.ComplaintFromJson(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(files.ComplaintPath(victim)))!);
            Assert.Equal([cheater], complaint.Against);

            for (int i = 1; i <= n; i++)
                if (i != cheater) Assert.Equal(0, Tvs(Step("answer", i)));
            Sync(cer);
            for (int i = 1; i <= n; i++)
            {
                Assert.Equal(0, Tvs(Step("finalize", i)));
                Sync(cer);
                Assert.False(File.Exists(Path.Combine(priv[i - 1], TrusteeCommands.PolynomialFile)));
            }

            // Every machine computed the same public result, without the cheater.
            var results = Enumerable.Range(1, n).Select(i => File.ReadAllText(new CeremonyFiles(cer[0]).ResultPath(i))).ToArray();
            Assert.All(results, r => Assert.Equal(results[0], r));
            var result = CeremonyFiles.ReadResult(new CeremonyFiles(cer[0]).ResultPath(1));
            Assert.DoesNotContain(cheater, result.Qualified);
            Assert.Equal(n - 1, result.Qualified.Length);
            Assert.Contains($"complaint by trustee {victim}", result.Disqualified[cheater]);

            // The shares at rest open with each passphrase and any t of them give the key.
            var shares = new RistrettoScalar[n];
            for (int i = 1; i <= n; i++)
            {
                var (idx, s) = KeyFile.OpenShare(File.ReadAllBytes(Path.Combine(priv[i - 1], TrusteeCommands.ShareFile)), Election,
                    System.Text.Encoding.UTF8.GetBytes($"passphrase of trustee {i}"));
                Assert.Equal(i, idx);
                Assert.Equal(result.VerificationKey(i), RistrettoPoint.MultiplyBase(s));
                shares[i - 1] = s;
            }
            int[] set = [2, 3, 5, 7, 9];
            Assert.Equal(result.PublicKey, RistrettoPoint.MultiplyBase(Lagrange.InterpolateAtZero(set, set.Select(j => shares[j - 1]).ToArray())));

            // A ballot to the new key decrypts from t trustees' shares.
            var ballot = BallotCipher.Encrypt(result.PublicKey, Election, [1, 0, 2]);
            BallotCipher.TryReadEphemeral(ballot, out var R);
            var lambda = new RistrettoScalar[t];
            Lagrange.CoefficientsAtZero(set, lambda);
            var d = ThresholdDecryption.Combine(lambda, set.Select(j => ThresholdDecryption.CreateShare(Election, shares[j - 1], result.VerificationKey(j), R).Share).ToArray());
            var sel = new ushort[3];
            Assert.Equal(BallotError.None, BallotCipher.Decrypt(ballot, Election, result.PublicKey, d, sel, out _));
            Assert.Equal(new ushort[] { 1, 0, 2 }, sel);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
