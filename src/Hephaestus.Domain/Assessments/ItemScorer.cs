namespace Hephaestus.Domain.Assessments;

/// <summary>The outcome of scoring one response.</summary>
/// <param name="Score01">The fraction of credit, 0..1 (what the mastery evidence log records).</param>
/// <param name="Points">Points earned: MaxPoints × the fraction, rounded to <see cref="ItemScorer.PointsDecimals"/> places.</param>
/// <param name="MaxPoints">The item's points.</param>
/// <param name="Correct">Full credit.</param>
public sealed record ItemScore(double Score01, decimal Points, decimal MaxPoints, bool Correct);

public static class ItemScorer
{
    /// <summary>Points are kept to 4 decimal places: a third of a point is 0.3333, the same in C# and in the database.</summary>
    public const int PointsDecimals = 4;

    /// <summary>Scores a response parsed by <see cref="ItemResponseParser"/> for the same item.</summary>
    public static ItemScore Score(ItemDefinition item, ItemResponse response)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(response);
        return (item, response) switch
        {
            (SingleChoiceItem i, SingleChoiceResponse r) => Fraction(i, r.OptionId == i.CorrectOptionId ? 1 : 0, 1),
            (MultipleChoiceItem i, MultipleChoiceResponse r) => ScoreMultiple(i, r),
            (NumericItem i, NumericResponse r) => Fraction(i, WithinTolerance(i, r.Value) ? 1 : 0, 1),
            (ShortTextItem i, ShortTextResponse r) => Fraction(i, i.Accepts(r.Text) ? 1 : 0, 1),
            (OrderingItem i, OrderingResponse r) => ScoreOrdering(i, r),
            _ => throw new ArgumentException(
                $"A {response.GetType().Name} cannot answer a {item.Type} item.", nameof(response)),
        };
    }

    private static ItemScore ScoreMultiple(MultipleChoiceItem item, MultipleChoiceResponse response)
    {
        var correctIds = item.CorrectOptionIds.ToHashSet(StringComparer.Ordinal);
        var selected = response.OptionIds.ToHashSet(StringComparer.Ordinal);
        var k = correctIds.Count;
        var right = selected.Count(correctIds.Contains);
        var wrong = selected.Count - right;
        return item.Scoring switch
        {
            MultipleChoiceScoring.AllOrNothing => Fraction(item, right == k && wrong == 0 ? 1 : 0, 1),
            MultipleChoiceScoring.RightMinusWrong => Fraction(item, Math.Max(0, right - wrong), k),
            MultipleChoiceScoring.Partial => Fraction(item, wrong > 0 ? 0 : right, k),
            _ => throw new InvalidOperationException($"Unknown scoring rule {item.Scoring}."),
        };
    }

    private static ItemScore ScoreOrdering(OrderingItem item, OrderingResponse response)
    {
        var exact = response.Order.SequenceEqual(item.CorrectOrder, StringComparer.Ordinal);
        if (item.Scoring == OrderingScoring.AllOrNothing || item.CorrectOrder.Count < 2)
        {
            return Fraction(item, exact ? 1 : 0, 1);
        }

        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < response.Order.Count; i++)
        {
            position[response.Order[i]] = i;
        }

        var pairs = item.CorrectOrder.Count - 1;
        var kept = 0;
        for (var i = 0; i < pairs; i++)
        {
            if (position[item.CorrectOrder[i]] < position[item.CorrectOrder[i + 1]])
            {
                kept++;
            }
        }

        return Fraction(item, kept, pairs);
    }

    private static bool WithinTolerance(NumericItem item, decimal answer)
    {
        try
        {
            var distance = Math.Abs(answer - item.Value);
            var allowed = item.ToleranceKind == ToleranceKind.Relative ? item.Tolerance * Math.Abs(item.Value) : item.Tolerance;
            // Inclusive: an answer exactly at the tolerance boundary is correct.
            return distance <= allowed;
        }
        catch (OverflowException)
        {
            // Answers near decimal's range limit are astronomically far from any sane key.
            return false;
        }
    }

    private static ItemScore Fraction(ItemDefinition item, int numerator, int denominator)
    {
        if (denominator <= 0)
        {
            // Only reachable through an unvalidated definition (no correct options): nothing to earn.
            return new ItemScore(0, 0, item.Points, false);
        }

        var points = Math.Round(item.Points * numerator / denominator, PointsDecimals, MidpointRounding.AwayFromZero);
        return new ItemScore((double)numerator / denominator, points, item.Points, numerator == denominator);
    }
}
