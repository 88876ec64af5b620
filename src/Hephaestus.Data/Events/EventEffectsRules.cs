using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hephaestus.Data.Events;

/// <summary>How xAPI's <c>result.score.scaled</c> (−1..1) becomes an evidence score (0..1).</summary>
public enum ScaledScoreMapping
{
    /// <summary>Negative scores count as 0, the rest as they are: scaled 0.8 is 80 % (the usual reading of "scaled").</summary>
    ClampNegative,
    /// <summary>(scaled + 1) / 2: the whole range kept, so −1 is 0, 0 is 0.5 and 1 is 1.</summary>
    Linear,
}

/// <summary>
/// The configurable rules (configuration <c>Events:Evidence</c> and <c>Events:Content</c>) that decide which stored events
/// become evidence and which complete content steps. Pure: no I/O.
/// </summary>
public sealed partial class EventEffectsRules
{
    /// <summary>Verbs whose scored results count as evidence; empty means any verb (the default).</summary>
    public IReadOnlyList<string> EvidenceVerbs { get; init; } = [];

    public ScaledScoreMapping ScaledMapping { get; init; } = ScaledScoreMapping.ClampNegative;

    /// <summary>
    /// When an event has no scaled score: the score that <c>result.success</c> true and false stand for, or null (the
    /// default) for no evidence at all without a score.
    /// </summary>
    public double? SuccessScore { get; init; }

    public double? FailureScore { get; init; }

    /// <summary>Verbs that mean "the learner viewed this content" (native and xAPI).</summary>
    public IReadOnlyList<string> ContentVerbs { get; init; } =
        ["viewed", "completed", "http://adlnet.gov/expapi/verbs/experienced", "http://adlnet.gov/expapi/verbs/completed"];

    /// <summary>
    /// The service's public base URL for xAPI activity ids of content versions (<c>{home}/content/versions/{id}</c>);
    /// null accepts any http(s) IRI whose path ends so.
    /// </summary>
    public string? ActivityHome { get; init; }

    /// <summary>The native object type naming a content version by its id.</summary>
    public const string ContentVersionObjectType = "content_version";

    /// <summary>The evidence score (0..1) of an event, or null when it is no evidence by these rules.</summary>
    public double? EvidenceScore(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (EvidenceVerbs.Count > 0 && !EvidenceVerbs.Contains(e.Verb, StringComparer.Ordinal)) return null;
        if (e.ScoreScaled is { } scaled)
        {
            var clamped = Math.Clamp(scaled, -1, 1);
            return ScaledMapping == ScaledScoreMapping.Linear ? (clamped + 1) / 2 : Math.Max(0, clamped);
        }

        if (SuccessScore is null && FailureScore is null || e.Result is null) return null;
        // Parsed only here: without configured success scores no result is read at all.
        using var result = JsonDocument.Parse(e.Result);
        return result.RootElement.ValueKind == JsonValueKind.Object && result.RootElement.TryGetProperty("success", out var success)
            ? success.ValueKind switch
            {
                JsonValueKind.True => SuccessScore,
                JsonValueKind.False => FailureScore,
                _ => null,
            }
            : null;
    }

    /// <summary>The content version a content-viewed event names, or null when the event is not one.</summary>
    public Guid? ViewedContentVersion(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!ContentVerbs.Contains(e.Verb, StringComparer.Ordinal)) return null;
        if (string.Equals(e.ObjectType, ContentVersionObjectType, StringComparison.Ordinal))
        {
            return Guid.TryParseExact(e.ObjectId, "D", out var id) ? id : null;
        }

        var match = ContentVersionIri().Match(e.ObjectId);
        if (!match.Success) return null;
        if (ActivityHome is { } home && !string.Equals(match.Groups["home"].Value, home.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)) return null;
        return Guid.TryParseExact(match.Groups["id"].Value, "D", out var version) ? version : null;
    }

    [GeneratedRegex("^(?<home>https?://.+)/content/versions/(?<id>[0-9a-fA-F-]{36})$", RegexOptions.CultureInvariant)]
    private static partial Regex ContentVersionIri();
}
