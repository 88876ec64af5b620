using System.Globalization;
using System.Threading.RateLimiting;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Hephaestus.Server.Api;

/// <summary>
/// Request rates (docs/operations.md): a token bucket per signed-in user (the user id the database resolved, never a
/// claim the token carries) or activity provider (its verified credentials), and one per client address for everything else (no token, an invalid one, or a subject
/// that is no user). Past it: 429 with Retry-After and a problem detail. Health endpoints are exempt.
/// Defaults are far above any real client, so only a runaway one is refused; settings under RateLimits:.
/// </summary>
public static class RateLimits
{
    /// <summary>Requests per second, sustained (below 1: one every 1/rate seconds), and what a full bucket holds.</summary>
    public sealed record Bucket(double PermitsPerSecond, int Burst);

    public static readonly Bucket PerUserDefault = new(1000, 2000);
    public static readonly Bucket PerAddressDefault = new(100, 200);

    public static IHostApplicationBuilder AddHephaestusRateLimits(this IHostApplicationBuilder builder)
    {
        var perUser = Read(builder.Configuration, "RateLimits:PerUser", PerUserDefault);
        var perAddress = Read(builder.Configuration, "RateLimits:PerAddress", PerAddressDefault);
        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.User.ToActor() is { } actor
                    ? RateLimitPartition.GetTokenBucketLimiter("user:" + actor.UserId, _ => Options(perUser))
                    // An activity provider (xAPI Basic credentials) is a client of its own, with a user's allowance.
                    : context.User.FindFirst(XapiBasic.ActivityProviderClaim) is { } provider
                        ? RateLimitPartition.GetTokenBucketLimiter("provider:" + provider.Value, _ => Options(perUser))
                        : RateLimitPartition.GetTokenBucketLimiter("address:" + context.Connection.RemoteIpAddress, _ => Options(perAddress)));
            o.OnRejected = TooManyRequestsAsync;
        });
        return builder;
    }

    static Bucket Read(IConfiguration configuration, string section, Bucket defaults) => new(
        Math.Max(0.001, configuration.GetValue($"{section}:PermitsPerSecond", defaults.PermitsPerSecond)),
        configuration.GetValue($"{section}:Burst", defaults.Burst));

    static TokenBucketRateLimiterOptions Options(Bucket bucket) => new()
    {
        TokenLimit = Math.Max(1, bucket.Burst),
        TokensPerPeriod = bucket.PermitsPerSecond >= 1 ? (int)bucket.PermitsPerSecond : 1,
        ReplenishmentPeriod = bucket.PermitsPerSecond >= 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / bucket.PermitsPerSecond),
        // Refused at once: a queued request would hold its connection and memory for nothing.
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    static async ValueTask TooManyRequestsAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client sent more requests than it may; retry after {seconds} s.",
            },
        });
    }
}
