using System.Globalization;
using System.Threading.RateLimiting;
using Hephaestus.Server.Auth;
using Npgsql;

namespace Hephaestus.Server.Api;

/// <summary>
/// Sheds the writes that queue on a learner's rows (submissions, saved responses, step changes, overrides, rubric
/// scores, enrolling) before they take a pooled connection. Per learner, a few run at once (more would only wait on the
/// same row locks while holding connections) and the next ones wait here, in memory, in order, for a bounded time; in
/// all, at most half the pool writes at once, so reads always find a connection. A request that finds the learner's
/// queue full, waits too long, or finds the total reached is a 503 with Retry-After, not a request holding a connection
/// until lock_timeout. Marked with <see cref="RowWriteLimitExtensions.LimitRowWrites{TBuilder}"/>; settings under
/// RateLimits:RowWrites: (docs/operations.md).
/// </summary>
public sealed class RowWriteLimit(RequestDelegate next, IConfiguration configuration)
{
    public const int PerLearnerDefault = 4;
    public const int QueuePerLearnerDefault = 100;
    public const double QueueWaitSecondsDefault = 10;

    Limiters? _limiters;

    sealed record Limiters(PartitionedRateLimiter<string> PerLearner, RateLimiter Total, TimeSpan QueueWait);

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RowWrites>() is null)
        {
            await next(context);
            return;
        }

        // Built at the first such request: the total defaults to half the pool, known once the data source is. Two
        // first requests may both build them; only one set is kept, so every request counts against the same limits.
        var limiters = LazyInitializer.EnsureInitialized(ref _limiters, () => Build(context.RequestServices));
        var learner = context.Request.RouteValues.TryGetValue("learnerId", out var id) && id is string routed
            ? routed
            : context.User.ToActor()?.UserId.ToString() ?? "";

        using var waited = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        waited.CancelAfter(limiters.QueueWait);
        RateLimitLease perLearner;
        try
        {
            perLearner = await limiters.PerLearner.AcquireAsync(learner, 1, waited.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await BusyAsync(context);
            return;
        }

        using (perLearner)
        using (var total = limiters.Total.AttemptAcquire())
        {
            if (!perLearner.IsAcquired || !total.IsAcquired)
            {
                await BusyAsync(context);
                return;
            }

            await next(context);
        }
    }

    static Task BusyAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = ProblemExceptionHandler.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Busy, retry",
            detail: "Too many writes for this learner, or in all, are in progress; the request changed nothing and can be retried.").ExecuteAsync(context);
    }

    Limiters Build(IServiceProvider services)
    {
        var section = configuration.GetSection("RateLimits:RowWrites");
        var pool = new NpgsqlConnectionStringBuilder(services.GetRequiredService<NpgsqlDataSource>().ConnectionString).MaxPoolSize;
        var perLearner = new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, section.GetValue("PerLearner", PerLearnerDefault)),
            QueueLimit = Math.Max(0, section.GetValue("QueuePerLearner", QueuePerLearnerDefault)),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        };
        return new Limiters(
            PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => perLearner)),
            new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = Math.Max(1, section.GetValue("Total", pool / 2)), QueueLimit = 0 }),
            TimeSpan.FromSeconds(section.GetValue("QueueWaitSeconds", QueueWaitSecondsDefault)));
    }

    /// <summary>The endpoint metadata that puts an endpoint behind the limit.</summary>
    public sealed class RowWrites
    {
        internal static readonly RowWrites Instance = new();
    }
}

public static class RowWriteLimitExtensions
{
    /// <summary>Puts the endpoint behind <see cref="RowWriteLimit"/>: it writes rows that other requests for the same learner wait on.</summary>
    public static TBuilder LimitRowWrites<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RowWriteLimit.RowWrites.Instance);
}
