using System.Net;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Api;

/// <summary>
/// Rates are limited per resolved user and, for requests without one, per client address: past the bucket a 429
/// problem with Retry-After; one client's excess never throttles another; health probes are never throttled.
/// </summary>
public sealed class RateLimitTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    const string ClientAddressHeader = "X-Test-Client-Address";

    /// <summary>The service with a bucket of 2 requests refilled at 1 per 100 s, for users and for addresses alike.</summary>
    WebApplicationFactory<Program> Tiny() => db.Api.WithWebHostBuilder(b => b
        .UseSetting("RateLimits:PerUser:PermitsPerSecond", "0.01").UseSetting("RateLimits:PerUser:Burst", "2")
        .UseSetting("RateLimits:PerAddress:PermitsPerSecond", "0.01").UseSetting("RateLimits:PerAddress:Burst", "2")
        // The test server has no client address; this sets one from a header, before the service's own pipeline.
        .ConfigureTestServices(s => s.AddSingleton<IStartupFilter, ClientAddressFromHeader>()));

    static HttpClient As(WebApplicationFactory<Program> service, string? email, string address = "10.0.0.1")
    {
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Add(ClientAddressHeader, address);
        if (email is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|" + email));
        return client;
    }

    /// <summary>Four requests in a row: the bucket holds two, and none is refilled within a test.</summary>
    static async Task<HttpStatusCode[]> FourAsync(HttpClient client, string url)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) statuses.Add((await client.GetAsync(url)).StatusCode);
        return [.. statuses];
    }

    [Fact]
    public async Task A_user_past_the_limit_gets_429_with_retry_after_and_a_problem_while_another_user_is_served()
    {
        var a = $"rate-a-{Guid.NewGuid():N}@example.org";
        var b = $"rate-b-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(a, "learner");
        await db.CreateUserAsync(b, "learner");
        using var service = Tiny();
        var userA = As(service, a);

        var statuses = await FourAsync(userA, "/api/v1/users/me");
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);

        var refused = await userA.GetAsync("/api/v1/users/me");
        var problem = await Json.ProblemAsync(refused, 429);
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        Assert.InRange(refused.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 100);

        // Same address, another user: a bucket of its own.
        Assert.Equal(HttpStatusCode.OK, (await As(service, b).GetAsync("/api/v1/users/me")).StatusCode);
        // Health probes are exempt, even from the throttled client.
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await userA.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_user_are_limited_per_client_address()
    {
        using var service = Tiny();
        var first = As(service, email: null, address: "10.0.0.7");

        var statuses = await FourAsync(first, "/api/v1/users/me");
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.NotNull((await first.GetAsync("/api/v1/users/me")).Headers.RetryAfter);

        // Another address is not throttled by the first one's excess.
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(service, email: null, address: "10.0.0.8").GetAsync("/api/v1/users/me")).StatusCode);
        // Nor is a signed-in user behind the throttled address: users are counted by who they are.
        var user = $"rate-c-{Guid.NewGuid():N}@example.org";
        await db.CreateUserAsync(user, "learner");
        Assert.Equal(HttpStatusCode.OK, (await As(service, user, address: "10.0.0.7").GetAsync("/api/v1/users/me")).StatusCode);
    }

    sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers.TryGetValue(ClientAddressHeader, out var address)) context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                return following(context);
            });
            next(app);
        };
    }
}
