using Hephaestus.Domain.Events;

namespace Hephaestus.Server.Hosting;

/// <summary>
/// The `Events` configuration section: the native batch body limit, the accepted time window, retention and how often
/// partitions are maintained (docs/operations.md, "Events").
/// </summary>
public sealed class EventOptions
{
    public const long MaxBodyBytesDefault = 16L * 1024 * 1024;

    /// <summary>The largest batch body (default 16 MiB); 413 past it.</summary>
    public long MaxBodyBytes { get; set; } = MaxBodyBytesDefault;

    /// <summary>Days of events kept; whole days older are dropped. Off (null) by default; at least 2 when set.</summary>
    public int? RetentionDays { get; set; }

    /// <summary>How far back an event may be dated (default 30 days, and never beyond retention).</summary>
    public int MaxPastDays { get; set; } = EventRetention.MaxPastDaysDefault;

    /// <summary>How far ahead of the service's clock an event may be dated (default 10 minutes).</summary>
    public TimeSpan MaxFuture { get; set; } = EventRetention.MaxFutureDefault;

    /// <summary>Partitions made ahead of today (default 3 days).</summary>
    public int DaysAhead { get; set; } = EventRetention.DaysAheadDefault;

    /// <summary>How often the service maintains partitions (default hourly; also once at start). Zero turns it off.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    public EventRetention Retention => new(RetentionDays, MaxPastDays, MaxFuture, DaysAhead);

    public static EventOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection("Events").Get<EventOptions>() ?? new EventOptions();
        if (options.RetentionDays is < 2) throw new InvalidOperationException("Events:RetentionDays must be at least 2 (days) when set.");
        if (options.MaxPastDays < 0 || options.MaxFuture < TimeSpan.Zero || options.DaysAhead < 1)
        {
            throw new InvalidOperationException("Events:MaxPastDays and Events:MaxFuture must not be negative, Events:DaysAhead at least 1.");
        }

        return options;
    }
}
