namespace Hephaestus.Server.Web.Components.Pages.Analytics;

/// <summary>The analytics API's envelope as the pages read it: when the data was current, where it was read, and the data.</summary>
public sealed record AnalyticsEnvelope<T>(DateTimeOffset AsOf, string Source, int MinimumGroupSize, T Data);
