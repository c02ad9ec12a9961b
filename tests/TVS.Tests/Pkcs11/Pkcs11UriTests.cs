using TVS.Pkcs11;

namespace TVS.Tests.Pkcs11;

/// <summary>RFC 7512 parsing: what TVS accepts, and clear refusals for everything else.</summary>
public sealed class Pkcs11UriTests
{
    [Fact]
    public void ParsesTheAttributesTvsUses()
    {
        var u = Pkcs11Uri.Parse("pkcs11:token=tvs%20board;object=checkpoint;type=private;id=%01%ff?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/tvs/pin");
        Assert.Equal("tvs board", u.Token);
        Assert.Equal("checkpoint", u.Object);
        Assert.Equal("private", u.Type);
        Assert.Equal(new byte[] { 0x01, 0xff }, u.Id);
        Assert.Equal("/usr/lib/softhsm/libsofthsm2.so", u.ModulePath);
        Assert.Equal("file:/run/tvs/pin", u.PinSource);
        // Scheme case-insensitive; vendor attributes kept; UTF-8 labels.
        var v = Pkcs11Uri.Parse("PKCS11:token=%C3%A9lection;x-vendor=1?module-path=/m.so&pin-source=/p");
        Assert.Equal("élection", v.Token);
        Assert.True(v.PathAttributes.ContainsKey("x-vendor"));
    }

    [Fact]
    public void CreateEncodesAndRoundTrips()
    {
        var u = Pkcs11Uri.Create("a;b=c d", "obj/é&x", "/opt/hsm lib/p11.so", "file:/tmp/p&q");
        Assert.DoesNotContain(' ', u.ToString());
        var back = Pkcs11Uri.Parse(u.ToString());
        Assert.Equal("a;b=c d", back.Token);
        Assert.Equal("obj/é&x", back.Object);
        Assert.Equal("/opt/hsm lib/p11.so", back.ModulePath);
        Assert.Equal("file:/tmp/p&q", back.PinSource);
        Assert.Equal("other", back.WithObject("other").Object);
    }

    [Theory]
    [InlineData("pkcs:token=t?module-path=/m&pin-source=/p", "starts with")]
    [InlineData("pkcs11:token=t?module-path=/m&pin-source=/p&pin-value=1234", "pin-value is not accepted")]
    [InlineData("pkcs11:token=t;token=u?module-path=/m&pin-source=/p", "given twice")]
    [InlineData("pkcs11:token=t;colour=red?module-path=/m&pin-source=/p", "unknown path attribute")]
    [InlineData("pkcs11:token=t?module-path=/m&pin-source=/p&pin=1", "unknown query attribute")]
    [InlineData("pkcs11:token=t%2?module-path=/m&pin-source=/p", "percent-encoding")]
    [InlineData("pkcs11:token=t%zz?module-path=/m&pin-source=/p", "percent-encoding")]
    [InlineData("pkcs11:token=a b?module-path=/m&pin-source=/p", "must be percent-encoded")]
    [InlineData("pkcs11:token=a/b?module-path=/m&pin-source=/p", "must be percent-encoded")]
    [InlineData("pkcs11:token=%ff?module-path=/m&pin-source=/p", "not valid UTF-8")]
    [InlineData("pkcs11:object=k?module-path=/m&pin-source=/p", "no token=")]
    [InlineData("pkcs11:token=t;object=k?pin-source=/p", "no module-path")]
    [InlineData("pkcs11:token=t;object=k?module-path=/m", "no pin-source")]
    [InlineData("pkcs11:token=t;type=key?module-path=/m&pin-source=/p", "unknown type")]
    [InlineData("pkcs11:token=t;object=?module-path=/m&pin-source=/p", "empty object")]
    [InlineData("pkcs11:token=t;object?module-path=/m&pin-source=/p", "not name=value")]
    [InlineData("pkcs11:token=t?module-path=/m&pin-source=/p#frag", "fragment")]
    public void RefusesWithAReason(string uri, string reason)
    {
        var e = Assert.Throws<Pkcs11UriException>(() => Pkcs11Uri.Parse(uri));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoPinInAnyRefusal()
    {
        // A PIN typed where it does not belong is never echoed back.
        foreach (string uri in new[] { "pkcs11:token=t?module-path=/m&pin-source=/p&pin-value=s3cr3t", "pkcs11:token=t;s3cr3t?module-path=/m&pin-source=/p", "pkcs11:token=t?module-path=/m&pin-source=/p&pin-value=s3cr3t%zz" })
        {
            var e = Assert.Throws<Pkcs11UriException>(() => Pkcs11Uri.Parse(uri));
            Assert.DoesNotContain("s3cr3t", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadsThePinFileAndNamesAMissingOne()
    {
        string dir = Directory.CreateTempSubdirectory("tvs-pin-").FullName;
        try
        {
            string pin = Path.Combine(dir, "pin");
            File.WriteAllText(pin, "1234\n");
            Assert.Equal("1234"u8.ToArray(), Pkcs11Uri.Create("t", "o", "/m", "file:" + pin).ReadPin());
            Assert.Equal("1234"u8.ToArray(), Pkcs11Uri.Create("t", "o", "/m", "file://" + pin).ReadPin());
            Assert.Equal("1234"u8.ToArray(), Pkcs11Uri.Create("t", "o", "/m", pin).ReadPin());
            var e = Assert.Throws<TokenException>(() => Pkcs11Uri.Create("t", "o", "/m", "file:" + pin + ".missing").ReadPin());
            Assert.Contains("pin.missing", e.Message, StringComparison.Ordinal);
            File.WriteAllText(pin, "\n");
            Assert.Contains("empty", Assert.Throws<TokenException>(() => Pkcs11Uri.Create("t", "o", "/m", pin).ReadPin()).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
