using System.Security.Cryptography;
using Hephaestus.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// Web:KeysDirectory: the key ring that seals the session and anti-forgery cookies, which instances behind one load
/// balancer share so that a session opened on one is good on the others.
/// </summary>
public sealed class WebKeysTests(TestDatabase db) : IClassFixture<TestDatabase>, IDisposable
{
    const string Purpose = "Hephaestus.Server.Tests.Web.WebKeysTests";

    readonly DirectoryInfo _shared = Directory.CreateTempSubdirectory("hephaestus-web-keys-");
    readonly DirectoryInfo _other = Directory.CreateTempSubdirectory("hephaestus-web-keys-other-");

    [Fact]
    public async Task Instances_sharing_the_keys_directory_open_each_others_cookies_and_others_cannot()
    {
        await using var first = Instance(_shared);
        await using var second = Instance(_shared);
        await using var elsewhere = Instance(_other);

        var cookie = Protector(first).Protect("a session ticket");

        Assert.Equal("a session ticket", Protector(second).Unprotect(cookie));
        Assert.NotEmpty(_shared.GetFiles("key-*.xml"));
        Assert.ThrowsAny<CryptographicException>(() => Protector(elsewhere).Unprotect(cookie));
    }

    ApiFactory Instance(DirectoryInfo keys) => new(db, new Dictionary<string, string?> { ["Web:KeysDirectory"] = keys.FullName });

    static IDataProtector Protector(ApiFactory instance) => instance.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    public void Dispose()
    {
        _shared.Delete(recursive: true);
        _other.Delete(recursive: true);
    }
}
