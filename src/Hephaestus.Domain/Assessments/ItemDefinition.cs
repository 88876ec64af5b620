using System.Buffers;
using System.Text.Json;

namespace Hephaestus.Domain.Assessments;

/// <summary>
/// A typed assessment item as stored in the item bank (JSONB). <see cref="ItemDefinitionParser"/> is the validating
/// way in; the constructors trust their caller. The hierarchy is closed: each subclass is one wire "type".
/// </summary>
public abstract record ItemDefinition(string Prompt, decimal Points)
{
    /// <summary>The wire name in the "type" property.</summary>
    public abstract string Type { get; }

    /// <summary>The full stored form, answer key included; it parses back to an equivalent item.</summary>
    public JsonElement ToJson() => Write(learnerView: false, shuffleSeed: 0);

    /// <summary>
    /// What a learner may see: prompt, points and the choices, never the answer key. Ordering items show their items
    /// in an order shuffled by <paramref name="shuffleSeed"/> (use something stable per attempt so a reload shows
    /// the same order).
    /// </summary>
    public JsonElement ToLearnerView(int shuffleSeed) => Write(learnerView: true, shuffleSeed);

    private protected abstract void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed);

    private protected static void WriteOptions(Utf8JsonWriter writer, string name, IEnumerable<ChoiceOption> options)
    {
        writer.WriteStartArray(name);
        foreach (var option in options)
        {
            writer.WriteStartObject();
            writer.WriteString("id", option.Id);
            writer.WriteString("text", option.Text);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private protected static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private JsonElement Write(bool learnerView, int shuffleSeed)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", Type);
            writer.WriteString("prompt", Prompt);
            writer.WriteNumber("points", Points);
            WriteBody(writer, learnerView, shuffleSeed);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}

/// <summary>A choice of a choice item, or an item of an ordering item.</summary>
public sealed record ChoiceOption(string Id, string Text);

public static class ItemTypes
{
    public const string SingleChoice = "single_choice";
    public const string MultipleChoice = "multiple_choice";
    public const string Numeric = "numeric";
    public const string ShortText = "short_text";
    public const string Ordering = "ordering";

    public static IReadOnlyList<string> All { get; } = [SingleChoice, MultipleChoice, Numeric, ShortText, Ordering];
}

/// <summary>Exactly one option is correct.</summary>
public sealed record SingleChoiceItem(string Prompt, decimal Points, IReadOnlyList<ChoiceOption> Options, string CorrectOptionId)
    : ItemDefinition(Prompt, Points)
{
    public override string Type => ItemTypes.SingleChoice;

    private protected override void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed)
    {
        WriteOptions(writer, "options", Options);
        if (!learnerView)
        {
            writer.WriteString("correctOptionId", CorrectOptionId);
        }
    }
}

/// <summary>How a multiple-choice answer earns credit; k is the number of correct options.</summary>
public enum MultipleChoiceScoring
{
    /// <summary>Full credit only for selecting exactly the correct set.</summary>
    AllOrNothing,

    /// <summary>
    /// +1/k for each correct option selected, −1/k for each wrong option selected, floored at 0 (Canvas's
    /// "partial credit" for multiple answers): guessing everything earns nothing extra.
    /// </summary>
    RightMinusWrong,

    /// <summary>The fraction of correct options selected, but zero if any wrong option is selected.</summary>
    Partial,
}

/// <summary>Any subset of options may be correct (at least one is).</summary>
public sealed record MultipleChoiceItem(
    string Prompt,
    decimal Points,
    IReadOnlyList<ChoiceOption> Options,
    IReadOnlyList<string> CorrectOptionIds,
    MultipleChoiceScoring Scoring)
    : ItemDefinition(Prompt, Points)
{
    public override string Type => ItemTypes.MultipleChoice;

    private protected override void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed)
    {
        WriteOptions(writer, "options", Options);
        // The scoring rule is not part of the key: learners may know whether partial credit exists.
        writer.WriteString("scoring", WireNames<MultipleChoiceScoring>.Of(Scoring));
        if (!learnerView)
        {
            WriteStrings(writer, "correctOptionIds", CorrectOptionIds);
        }
    }
}

public enum ToleranceKind
{
    /// <summary>Correct when |answer − value| ≤ tolerance.</summary>
    Absolute,

    /// <summary>Correct when |answer − value| ≤ tolerance·|value|; the tolerance is a fraction (0.05 = 5%).</summary>
    Relative,
}

/// <summary>A number, correct within a tolerance. Both ends of the tolerance interval count as correct.</summary>
public sealed record NumericItem(string Prompt, decimal Points, decimal Value, decimal Tolerance, ToleranceKind ToleranceKind)
    : ItemDefinition(Prompt, Points)
{
    public override string Type => ItemTypes.Numeric;

    private protected override void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed)
    {
        if (!learnerView)
        {
            writer.WriteNumber("value", Value);
            writer.WriteNumber("tolerance", Tolerance);
            writer.WriteString("toleranceKind", WireNames<ToleranceKind>.Of(ToleranceKind));
        }
    }
}

/// <summary>How whitespace is treated before comparing a short-text answer.</summary>
public enum WhitespaceRule
{
    /// <summary>Compared as typed.</summary>
    Exact,

    /// <summary>Leading and trailing whitespace ignored.</summary>
    Trim,

    /// <summary>Trimmed, and every run of inner whitespace read as one space (the default: typing noise is not knowledge).</summary>
    Collapse,
}

/// <summary>
/// Free text matched against accepted answers. Both sides are Unicode-normalized (NFC), whitespace is treated per
/// <see cref="Whitespace"/>, and case is ignored with ordinal (culture-independent) folding unless
/// <see cref="CaseSensitive"/>.
/// </summary>
public sealed record ShortTextItem(
    string Prompt,
    decimal Points,
    IReadOnlyList<string> AcceptedAnswers,
    bool CaseSensitive,
    WhitespaceRule Whitespace)
    : ItemDefinition(Prompt, Points)
{
    public override string Type => ItemTypes.ShortText;

    /// <summary>The form in which answers are compared (case is handled by the comparison, not here).</summary>
    public string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Normalize(System.Text.NormalizationForm.FormC);
        return Whitespace switch
        {
            WhitespaceRule.Exact => normalized,
            WhitespaceRule.Trim => normalized.Trim(),
            WhitespaceRule.Collapse => string.Join(' ', normalized.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
            _ => throw new InvalidOperationException($"Unknown whitespace rule {Whitespace}."),
        };
    }

    public bool Accepts(string text)
    {
        var answer = Normalize(text);
        var comparison = CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        foreach (var accepted in AcceptedAnswers)
        {
            if (string.Equals(Normalize(accepted), answer, comparison))
            {
                return true;
            }
        }

        return false;
    }

    private protected override void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed)
    {
        if (!learnerView)
        {
            WriteStrings(writer, "acceptedAnswers", AcceptedAnswers);
            writer.WriteBoolean("caseSensitive", CaseSensitive);
            writer.WriteString("whitespace", WireNames<WhitespaceRule>.Of(Whitespace));
        }
    }
}

public enum OrderingScoring
{
    /// <summary>Full credit only for the exact order.</summary>
    AllOrNothing,

    /// <summary>
    /// Credit for each adjacent pair of the correct order (c₁c₂, c₂c₃, …, n−1 pairs) that the answer places in the
    /// same relative order, anywhere: one misplaced item costs one or two pairs, not everything after it.
    /// </summary>
    AdjacentPairs,
}

/// <summary>Put the items in the correct order.</summary>
public sealed record OrderingItem(
    string Prompt,
    decimal Points,
    IReadOnlyList<ChoiceOption> Items,
    IReadOnlyList<string> CorrectOrder,
    OrderingScoring Scoring)
    : ItemDefinition(Prompt, Points)
{
    public override string Type => ItemTypes.Ordering;

    /// <summary>
    /// The items in a uniformly random order drawn from <paramref name="seed"/> alone. It is independent of the
    /// correct order, so it carries no information about it (and may, with probability 1/n!, coincide with it; an
    /// order that always avoided the answer would itself leak it, completely so for two items).
    /// </summary>
    public IReadOnlyList<ChoiceOption> Shuffled(int seed)
    {
        var items = Items.ToArray();
        // Not a security boundary: determinism per seed is the point, so System.Random is right here.
        var random = new Random(seed);
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }

    private protected override void WriteBody(Utf8JsonWriter writer, bool learnerView, int shuffleSeed)
    {
        WriteOptions(writer, "items", learnerView ? Shuffled(shuffleSeed) : Items);
        writer.WriteString("scoring", WireNames<OrderingScoring>.Of(Scoring));
        if (!learnerView)
        {
            WriteStrings(writer, "correctOrder", CorrectOrder);
        }
    }
}
