namespace Hephaestus.Domain.Events;

/// <summary>
/// How long events are kept and which occurred times are accepted (settings Events:*). Events are stored by UTC day, one
/// partition per day: retention drops whole days, and an event is accepted only when its day can have a partition that
/// retention will not drop at once.
/// </summary>
/// <param name="RetentionDays">Days of events kept (a partition is dropped once all of it is older); null keeps everything.</param>
/// <param name="MaxPastDays">How far back an event may be dated when it arrives (offline clients syncing late).</param>
/// <param name="MaxFuture">How far ahead of the service's clock an event may be dated (the clients' clock skew).</param>
/// <param name="DaysAhead">Partitions made ahead of today, so that midnight never finds the next day without one.</param>
public sealed record EventRetention(int? RetentionDays, int MaxPastDays, TimeSpan MaxFuture, int DaysAhead)
{
    public const int MaxPastDaysDefault = 30;
    public static readonly TimeSpan MaxFutureDefault = TimeSpan.FromMinutes(10);
    public const int DaysAheadDefault = 3;

    public static EventRetention Default { get; } = new(null, MaxPastDaysDefault, MaxFutureDefault, DaysAheadDefault);

    /// <summary>The days an event may be dated back: the lesser of the maximum past and the retention.</summary>
    public int PastDays => RetentionDays is { } kept ? Math.Min(MaxPastDays, kept) : MaxPastDays;

    /// <summary>The earliest occurred time accepted now.</summary>
    public DateTimeOffset Earliest(DateTimeOffset now) => now - TimeSpan.FromDays(PastDays);

    /// <summary>The latest occurred time accepted now.</summary>
    public DateTimeOffset Latest(DateTimeOffset now) => now + MaxFuture;

    public bool Accepts(DateTimeOffset occurredAt, DateTimeOffset now) => occurredAt >= Earliest(now) && occurredAt <= Latest(now);

    /// <summary>The UTC days that must have a partition now: from the earliest accepted day to <see cref="DaysAhead"/> after today.</summary>
    public (DateOnly First, DateOnly Last) DaysNeeded(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return (DateOnly.FromDateTime(Earliest(now).UtcDateTime), today.AddDays(Math.Max(DaysAhead, (int)Math.Ceiling(MaxFuture.TotalDays))));
    }

    /// <summary>The first UTC day retention keeps; the partitions of days before it are dropped. Null without retention.</summary>
    public DateOnly? FirstDayKept(DateTimeOffset now) =>
        RetentionDays is { } kept ? DateOnly.FromDateTime(now.UtcDateTime).AddDays(-kept) : null;
}
