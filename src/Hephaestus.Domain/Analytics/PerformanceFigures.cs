namespace Hephaestus.Domain.Analytics;

/// <summary>
/// The small rules behind the performance figures (issue 12, part 2), kept here so the SQL, the API and the tests agree
/// on them: how a share is taken, what a difference between two cohorts is, and where a week starts.
/// </summary>
public static class PerformanceFigures
{
    /// <summary>part / whole; null when the whole is empty (a rate over nobody is unknown, not zero).</summary>
    public static double? Rate(long? part, long whole) => part is { } p && whole > 0 ? (double)p / whole : null;

    /// <summary>B − A (the second cohort against the first); null when either side is unknown or suppressed.</summary>
    public static double? Difference(double? a, double? b) => a is { } x && b is { } y ? y - x : null;

    /// <summary>
    /// The Monday (ISO 8601 week, UTC) of the week holding <paramref name="day"/>: PostgreSQL's date_trunc('week', …),
    /// which the weekly series groups by.
    /// </summary>
    public static DateOnly WeekStart(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}
