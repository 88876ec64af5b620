using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Hephaestus.Data;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Auth;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Hephaestus.Server.Tests.Xapi.XapiClients;

namespace Hephaestus.Server.Tests.Xapi;

/// <summary>
/// Issue 11: the /xapi group's conventions (the version header both ways, About), HTTP Basic credentials per activity
/// provider (issued, checked, revoked), and the Agents and Activities resources.
/// </summary>
public class XapiLrsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static readonly string Activity = "https://example.org/courses/xapi-lrs";

    static string Version(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Experience-API-Version", out var values) ? string.Join(",", values) : "(none)";

    [Fact]
    public async Task About_needs_no_credentials_nor_version_and_says_2_0_0()
    {
        using var response = await db.Api.CreateClient().GetAsync("/xapi/about");
        var about = await Json.ReadAsync(response);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("2.0.0", Assert.Single(about.GetProperty("version").EnumerateArray()).GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, about.GetProperty("extensions").ValueKind);
        Assert.Equal("2.0.0", Version(response));
    }

    [Theory]
    [InlineData(null, 400)]
    [InlineData("1.0.3", 400)]
    [InlineData("1.0.0", 400)]
    [InlineData("2.1.0", 400)]
    [InlineData("two", 400)]
    [InlineData("2.0", 200)]
    [InlineData("2.0.0", 200)]
    [InlineData("2.0.3", 200)]
    public async Task Every_request_must_speak_2_0_and_every_answer_says_2_0_0(string? version, int expected)
    {
        var (_, client) = await db.UserAsync($"version-{Guid.NewGuid():N}@example.org", "learner");
        if (version is not null) client.Speaking(version);
        using var response = await client.GetAsync($"/xapi/activities?activityId={Q(Activity)}");
        Assert.Equal("2.0.0", Version(response));
        if (expected == 400)
        {
            var problem = await Json.ProblemAsync(response, 400);
            Assert.Contains("2.0", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(expected, (int)response.StatusCode);
        }
    }

    [Fact]
    public async Task Refusals_carry_the_version_header_and_a_Basic_challenge()
    {
        using var anonymous = await db.Api.CreateClient().Speaking().GetAsync($"/xapi/activities?activityId={Q(Activity)}");
        await Json.ProblemAsync(anonymous, 401);
        Assert.Equal("2.0.0", Version(anonymous));
        Assert.StartsWith("Basic realm=\"xapi\"", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_credentials_work_and_a_bad_secret_an_unknown_key_or_a_malformed_header_are_401_with_the_Basic_challenge()
    {
        var (_, admin) = await db.UserAsync($"cred-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (_, key, secret) = await IssueAsync(admin, "Storyline course");
        var url = $"/xapi/activities?activityId={Q(Activity)}";
        using (var good = await Provider(db, key, secret).GetAsync(url)) Assert.Equal(200, (int)good.StatusCode);

        var refused = new List<HttpClient>
        {
            Provider(db, key, secret + "0"),
            Provider(db, key[..^1] + (key[^1] == 'a' ? 'b' : 'a'), secret),
            Provider(db, "", secret),
        };
        var malformed = db.Api.CreateClient().Speaking();
        malformed.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic not*base64");
        refused.Add(malformed);
        var noColon = db.Api.CreateClient().Speaking();
        noColon.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key)));
        refused.Add(noColon);
        foreach (var client in refused)
        {
            using var response = await client.GetAsync(url);
            await Json.ProblemAsync(response, 401);
            Assert.Equal("Basic realm=\"xapi\", charset=\"UTF-8\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Revoked_credentials_are_refused_and_listed_with_their_revocation()
    {
        var (_, admin) = await db.UserAsync($"revoke-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (id, key, secret) = await IssueAsync(admin, "H5P");
        var provider = Provider(db, key, secret);
        var url = $"/xapi/activities?activityId={Q(Activity)}";
        using (var before = await provider.GetAsync(url)) Assert.Equal(200, (int)before.StatusCode);

        using (var revoke = await admin.DeleteAsync($"/api/v1/xapi/credentials/{id}")) Assert.Equal(204, (int)revoke.StatusCode);
        await Json.ProblemAsync(await provider.GetAsync(url), 401);
        await Json.ProblemAsync(await admin.DeleteAsync($"/api/v1/xapi/credentials/{Guid.NewGuid()}"), 404);

        var (listed, _) = await Json.AllPagesAsync(admin, "/api/v1/xapi/credentials?limit=1");
        var row = Assert.Single(listed, c => c.GetProperty("id").GetGuid() == id);
        Assert.Equal(key, row.GetProperty("key").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, row.GetProperty("revokedAt").ValueKind);
        Assert.False(row.TryGetProperty("secret", out _));
    }

    [Fact]
    public async Task Only_the_hash_of_the_secret_is_stored_and_only_admins_issue()
    {
        var (_, admin) = await db.UserAsync($"hash-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (id, _, secret) = await IssueAsync(admin, "Captivate");
        var stored = await db.ScalarAsync<byte[]>("SELECT secret_sha256 FROM hephaestus.xapi_credentials WHERE id = $1", id);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);
        Assert.Equal(0L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM hephaestus.xapi_credentials WHERE name = $1 OR api_key = $1 OR encode(secret_sha256, 'hex') = $1", secret));

        var (_, educator) = await db.UserAsync($"hash-educator-{Guid.NewGuid():N}@example.org", "educator");
        await Json.ProblemAsync(await educator.PostAsync("/api/v1/xapi/credentials", Json.Body("{\"name\":\"x\"}")), 403);
        await Json.ProblemAsync(await admin.PostAsync("/api/v1/xapi/credentials", Json.Body($"{{\"name\":\"x\",\"learnerScope\":\"{Guid.NewGuid()}\"}}")), 404);
    }

    [Fact]
    public async Task A_provider_principal_carries_its_id_and_name_and_Basic_never_authenticates_an_api_route()
    {
        var (_, admin) = await db.UserAsync($"claims-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (id, key, secret) = await IssueAsync(admin, "Simulator");
        using var services = db.Api.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = services.ServiceProvider };
        context.Request.Path = "/xapi/statements";
        context.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}:{secret}"));
        var result = await context.RequestServices.GetRequiredService<IAuthenticationService>().AuthenticateAsync(context, null);
        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(id.ToString(), result.Principal!.FindFirst(XapiBasic.ActivityProviderClaim)?.Value);
        Assert.Equal("Simulator", result.Principal.FindFirst(XapiBasic.ActivityProviderNameClaim)?.Value);
        Assert.Null(result.Principal.FindFirst(AuthHosting.UserIdClaim));

        var provider = Provider(db, key, secret);
        await Json.ProblemAsync(await provider.GetAsync("/api/v1/users/me"), 401);
    }

    [Fact]
    public async Task An_activity_is_its_canonical_definition_once_a_statement_defined_it_and_a_bare_activity_before()
    {
        var (_, learner) = await db.UserAsync($"activity-{Guid.NewGuid():N}@example.org", "learner");
        learner.Speaking();
        var activity = $"https://example.org/activities/{Guid.NewGuid():N}";
        var bare = await Json.ReadAsync(await learner.GetAsync($"/xapi/activities?activityId={Q(activity)}"));
        Assert.Equal("Activity", bare.GetProperty("objectType").GetString());
        Assert.Equal(activity, bare.GetProperty("id").GetString());
        Assert.False(bare.TryGetProperty("definition", out _));

        var data = db.Api.Services.GetRequiredService<NpgsqlDataSource>();
        foreach (var definition in new[] { """{"name":{"en-US":"Fractions"},"type":"http://adlnet.gov/expapi/activities/course"}""", """{"description":{"en-US":"Halves"}}""" })
        {
            await using var scope = await ActorScope.BeginAsync(data, XapiCredentialStore.ProviderActor, CancellationToken.None);
            using var parsed = System.Text.Json.JsonDocument.Parse(definition);
            await XapiActivityStore.RecordDefinitionsAsync(scope, [new XapiActivityDefinition(activity, parsed.RootElement.Clone())], CancellationToken.None);
            await scope.CommitAsync(CancellationToken.None);
        }

        var known = (await Json.ReadAsync(await learner.GetAsync($"/xapi/activities?activityId={Q(activity)}"))).GetProperty("definition");
        Assert.Equal("Fractions", known.GetProperty("name").GetProperty("en-US").GetString());
        Assert.Equal("Halves", known.GetProperty("description").GetProperty("en-US").GetString());
        await Json.ProblemAsync(await learner.GetAsync("/xapi/activities?activityId=not%20an%20iri"), 400);
        await Json.ProblemAsync(await learner.GetAsync($"/xapi/activities?activityid={Q(activity)}"), 400);
    }

    [Fact]
    public async Task The_person_of_a_user_shows_their_name_mbox_and_account_to_providers_and_themselves_and_only_the_agent_to_others()
    {
        var (_, admin) = await db.UserAsync($"person-admin-{Guid.NewGuid():N}@example.org", "admin");
        var email = $"person-{Guid.NewGuid():N}@example.org";
        var (userId, self) = await db.UserAsync(email, "learner");
        var (_, other) = await db.UserAsync($"person-other-{Guid.NewGuid():N}@example.org", "learner");
        var (_, key, secret) = await IssueAsync(admin, "LMS");
        var url = $"/xapi/agents?agent={Q(Mbox(email.ToUpperInvariant()))}";
        foreach (var client in new[] { Provider(db, key, secret), self.Speaking() })
        {
            var person = await Json.ReadAsync(await client.GetAsync(url));
            Assert.Equal("Person", person.GetProperty("objectType").GetString());
            Assert.Contains($"mailto:{email}", person.GetProperty("mbox").EnumerateArray().Select(m => m.GetString()));
            var account = Assert.Single(person.GetProperty("account").EnumerateArray());
            Assert.Equal(userId.ToString(), account.GetProperty("name").GetString());
            Assert.Equal("http://localhost", account.GetProperty("homePage").GetString());
            Assert.Single(person.GetProperty("name").EnumerateArray());
        }

        var asSent = await Json.ReadAsync(await other.Speaking().GetAsync(url));
        Assert.Equal($"mailto:{email.ToUpperInvariant()}", Assert.Single(asSent.GetProperty("mbox").EnumerateArray()).GetString());
        Assert.False(asSent.TryGetProperty("account", out _));
        Assert.False(asSent.TryGetProperty("name", out _));

        await Json.ProblemAsync(await other.GetAsync("/xapi/agents?agent=" + Q("{\"mbox\":\"mailto:a@b.c\",\"openid\":\"https://x.example\"}")), 400);
        await Json.ProblemAsync(await other.GetAsync("/xapi/agents?agent=" + Q("{\"mbox\":\"a@b.c\"}")), 400);
        await Json.ProblemAsync(await other.GetAsync("/xapi/agents"), 400);
    }
}
