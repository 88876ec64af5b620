using Hephaestus.Data.Embedded;

namespace Hephaestus.Data.Tests.Embedded;

/// <summary>
/// The initdb password file and the secrets file: readable by their owner only from the moment they exist (the password
/// file lives in the shared temporary folder for the length of initdb).
/// </summary>
public sealed class PrivateFileTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("hephaestus-private-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_private_file_is_created_readable_and_writable_by_its_owner_only()
    {
        var path = Path.Combine(_root, "pw");
        PrivateFile.Create(path, "secret");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("secret", File.ReadAllText(path));
    }

    [Fact]
    public void A_private_file_never_writes_through_an_existing_file_or_link()
    {
        var target = Path.Combine(_root, "target");
        File.WriteAllText(target, "untouched");
        var link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, target);
        Assert.Throws<IOException>(() => PrivateFile.Create(link, "secret"));
        Assert.Throws<IOException>(() => PrivateFile.Create(target, "secret"));
        Assert.Equal("untouched", File.ReadAllText(target));
    }

    [Fact]
    public void The_secrets_file_is_private()
    {
        EmbeddedSecrets.Generate().Write(_root);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_root, EmbeddedPostgres.SecretsFileName)));
    }
}
