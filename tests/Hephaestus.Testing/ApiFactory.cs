using System.Net.Http.Headers;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Hephaestus.Testing;

/// <summary>
/// The service in process, on the test class's database, validating tokens signed with the test key; <paramref name="settings"/>
/// adds or replaces configuration (a test's own Analytics: settings, a replica's connection string).
/// </summary>
public sealed class ApiFactory(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Hephaestus", database.AppConnectionString);
        builder.UseSetting("ConnectionStrings:HephaestusOwner", database.OwnerConnectionString);
        builder.UseSetting("Auth:SigningKey", TestDatabase.SigningKeyBase64);
        // Content bodies of this test class only: verification and garbage collection see no other class's objects.
        builder.UseSetting("Storage:Path", ObjectsPath(database));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
    }

    /// <summary>A client that authenticates as the user with this subject.</summary>
    public HttpClient ClientFor(string subject)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(subject));
        return client;
    }

    /// <summary>The object store directory of a test database, removed with it.</summary>
    public static string ObjectsPath(TestDatabase database) => Path.Combine(Path.GetTempPath(), "hephaestus-test-objects", database.Name);

    public static string Token(string subject, TimeSpan? lifetime = null) =>
        TokenIssuer.Issue(Convert.FromBase64String(TestDatabase.SigningKeyBase64), subject, lifetime ?? TimeSpan.FromHours(1));
}

/// <summary>A database with the service running on it: the fixture of API test classes.</summary>
public class ApiDatabase : TestDatabase
{
    ApiFactory? _factory;

    public ApiFactory Api => _factory ?? throw new InvalidOperationException("not initialised");

    /// <summary>Configuration the service of this fixture runs with, beside the test defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? ApiSettings => null;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await Catalog.InsertLessonAsync(this);
        _factory = new ApiFactory(this, ApiSettings);
        _ = _factory.Server; // start the host now, so the first test does not pay for it inside its timing
    }

    public override async ValueTask DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        if (Name.Length > 0 && Directory.Exists(ApiFactory.ObjectsPath(this))) Directory.Delete(ApiFactory.ObjectsPath(this), recursive: true);
        await base.DisposeAsync();
    }

    /// <summary>Creates a user with these roles and returns its id and a client acting as it.</summary>
    public async Task<(Guid Id, HttpClient Client)> UserAsync(string email, params string[] roles)
    {
        var id = await CreateUserAsync(email, roles);
        return (id, Api.ClientFor("test|" + email));
    }
}
