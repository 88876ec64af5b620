using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hephaestus.Server.Auth;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Security;

/// <summary>
/// A token validated once is not validated again on each request (ValidatedTokens), and that saves only the work of
/// validation: an altered or expired token is still refused, and the account behind a remembered token is looked up
/// as before, so erasure and role changes still apply to it.
/// </summary>
public class ValidatedTokensTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_remembered_token_gives_its_subject_until_it_expires()
    {
        var clock = new Clock(Noon);
        using var tokens = new ValidatedTokens(clock);
        tokens.Remember("header.payload.signature", "test|someone", Noon.AddMinutes(2));

        Assert.Equal("test|someone", tokens.Find("header.payload.signature"));
        clock.Now = Noon.AddMinutes(2);
        Assert.Null(tokens.Find("header.payload.signature"));
    }

    [Fact]
    public void Only_the_exact_token_is_found()
    {
        using var tokens = new ValidatedTokens(new Clock(Noon));
        tokens.Remember("header.payload.signature", "test|someone", Noon.AddHours(1));

        Assert.Null(tokens.Find("header.payload.signaturf"));
        Assert.Null(tokens.Find("header.payload.signature "));
        Assert.Null(tokens.Find("header.payload"));
    }

    [Fact]
    public void An_expired_token_is_not_remembered()
    {
        using var tokens = new ValidatedTokens(new Clock(Noon));
        tokens.Remember("header.payload.signature", "test|someone", Noon.AddSeconds(-1));

        Assert.Null(tokens.Find("header.payload.signature"));
    }

    [Theory]
    [InlineData("Bearer abc.def.ghi", "abc.def.ghi")]
    [InlineData("bearer  abc.def.ghi ", "abc.def.ghi")]
    [InlineData("Basic dXNlcjpwYXNz", null)]
    [InlineData("Bearer ", null)]
    public void The_bearer_token_is_read_as_the_handler_reads_it(string header, string? expected) =>
        Assert.Equal(expected, ValidatedTokens.BearerToken(header));

    [Fact]
    public async Task A_token_altered_after_a_valid_use_is_refused()
    {
        var email = $"tokens-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(email, "learner");
        var token = ApiFactory.Token("test|" + email);
        using var client = db.Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/me")).StatusCode);

        // The same header and payload with another signature: remembered tokens are matched whole.
        var last = token[^2] == 'A' ? 'B' : 'A';
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^2] + last + token[^1]);
        await Json.ProblemAsync(await client.GetAsync("/api/v1/users/me"), 401);
    }

    [Fact]
    public async Task A_remembered_token_follows_a_role_change()
    {
        var (_, admin) = await db.UserAsync($"tokens-admin-{Guid.NewGuid():N}@example.org", "admin");
        var (id, educator) = await db.UserAsync($"tokens-educator-{Guid.NewGuid():N}@example.org", "educator", "admin");
        Assert.Equal(HttpStatusCode.OK, (await educator.GetAsync("/api/v1/users?limit=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await educator.PostAsJsonAsync("/api/v1/cohorts", new { name = "Before" })).StatusCode);

        var read = await admin.GetAsync($"/api/v1/users/{id}");
        using var demote = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/users/{id}") { Content = JsonContent.Create(new { roles = new[] { "learner" } }) };
        demote.Headers.IfMatch.Add(read.Headers.ETag!);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(demote)).StatusCode);

        await Json.ProblemAsync(await educator.PostAsJsonAsync("/api/v1/cohorts", new { name = "After" }), 403);
    }
}
