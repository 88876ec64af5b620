namespace Hephaestus.Domain.Assessments;

/// <summary>One item's part of a result, as stored in <c>results.item_scores</c> and shown with full feedback.</summary>
public sealed record ItemResult(Guid ItemVersionId, double Score, decimal Points, decimal MaxPoints, bool Correct);

/// <summary>A result's figures from its scored items: score = points ÷ max points (0 when nothing can be earned), passed against the pass score.</summary>
public sealed record ResultSummary(double Score, decimal Points, decimal MaxPoints, bool? Passed, IReadOnlyList<ItemResult> Items)
{
    public static ResultSummary Of(IEnumerable<(Guid ItemVersionId, ItemScore Score)> scored, double? passScore)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var items = scored.Select(s => new ItemResult(s.ItemVersionId, s.Score.Score01, s.Score.Points, s.Score.MaxPoints, s.Score.Correct)).ToList();
        var points = items.Sum(i => i.Points);
        var maxPoints = items.Sum(i => i.MaxPoints);
        var score = maxPoints == 0 ? 0 : (double)(points / maxPoints);
        return new ResultSummary(score, points, maxPoints, passScore is { } pass ? score >= pass : null, items);
    }
}
