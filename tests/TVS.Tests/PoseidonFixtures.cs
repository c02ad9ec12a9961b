using System.Numerics;
using System.Text.Json;
using TVS.Crypto.Bn254;

namespace TVS.Tests;

/// <summary>tests/fixtures/registry, written by tools/registry/make-fixtures.mjs from circomlibjs, lean-imt and @semaphore-protocol/group.</summary>
internal static class PoseidonFixtures
{
    public static string Dir => Path.Combine(ExternalTools.RepoRoot(), "tests", "fixtures", "registry");

    public static JsonElement Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, name + ".json")));
        return doc.RootElement.Clone();
    }

    public static Fr F(JsonElement e) => F(e.GetString()!);

    public static Fr F(string s)
    {
        var v = BigInteger.Parse(s);
        Assert.True(v >= 0 && v < Fr.Modulus, "fixture value not canonical: " + s);
        return Fr.FromBigInteger(v);
    }

    public static Fr[] Fs(JsonElement array) => array.EnumerateArray().Select(F).ToArray();
}
