namespace Hephaestus.Domain.Content;

/// <summary>Where a content version is in review and publishing (content_versions.status; the wire names are snake_case).</summary>
public enum ContentStatus
{
    Draft,
    InReview,
    Approved,
    Published,
    Retired,
}

public static class ContentStatusNames
{
    public static string ToWireName(this ContentStatus status) => WireNames<ContentStatus>.Of(status);

    public static ContentStatus Parse(string name) => WireNames<ContentStatus>.Parse(name);
}

/// <summary>Who gave a quality score: an automated judge (a model with a judging rubric) or a person.</summary>
public enum EvaluatorKind
{
    Judge,
    Human,
}
