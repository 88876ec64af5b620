using System.Net;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hephaestus.Server.Tests.Api;

public class ResponseHeadersTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task Personal_data_is_not_cached_or_sniffed_and_refusals_carry_the_same_headers()
    {
        var (_, learner) = await db.UserAsync("headers-learner@example.org", "learner");
        foreach (var response in new[]
                 {
                     await learner.GetAsync("/api/v1/users/me"),
                     await db.Api.CreateClient().GetAsync("/api/v1/users/me"),
                     await learner.PostAsync("/api/v1/cohorts", Json.Body("""{"name":"C"}""")),
                 })
        {
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.True(response.Headers.CacheControl?.NoStore, $"{response.StatusCode}: Cache-Control {response.Headers.CacheControl}");
        }

        var health = await db.Api.CreateClient().GetAsync("/health/live");
        Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Null(health.Headers.CacheControl);
        Assert.False(db.Api.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.AddServerHeader);
    }

    [Fact]
    public async Task Cross_origin_calls_are_refused_unless_the_origin_is_configured()
    {
        static HttpRequestMessage Preflight() => new(HttpMethod.Options, "/api/v1/users/me")
        {
            Headers = { { "Origin", "https://app.example.org" }, { "Access-Control-Request-Method", "GET" } },
        };

        var closed = await db.Api.CreateClient().SendAsync(Preflight());
        Assert.False(closed.Headers.Contains("Access-Control-Allow-Origin"));

        using var open = db.Api.WithWebHostBuilder(b => b.UseSetting("Cors:AllowedOrigins:0", "https://app.example.org"));
        var allowed = await open.CreateClient().SendAsync(Preflight());
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example.org", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var other = new HttpRequestMessage(HttpMethod.Options, "/api/v1/users/me")
        {
            Headers = { { "Origin", "https://evil.example" }, { "Access-Control-Request-Method", "GET" } },
        };
        Assert.False((await open.CreateClient().SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
    }
}
