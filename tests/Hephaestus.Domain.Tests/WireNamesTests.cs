using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Domain.Assessments;
using Hephaestus.Domain.Content;
using Hephaestus.Domain.Mastery;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Domain.Tests;

/// <summary>
/// Every enum's wire names, as the hand-written tables had them before one rule (<see cref="WireNames{TEnum}"/>) replaced
/// them: these strings are in response bodies, in CHECK constraints and in stored rows, so none may change.
/// </summary>
public class WireNamesTests
{
    static readonly JsonSerializerOptions Api = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    static void Pinned<TEnum>(params string[] names) where TEnum : struct, Enum
    {
        Assert.Equal(names, WireNames<TEnum>.All);
        foreach (var (value, name) in Enum.GetValues<TEnum>().Zip(names))
        {
            Assert.Equal(name, WireNames<TEnum>.Of(value));
            Assert.Equal(value, WireNames<TEnum>.Parse(name));
            // The API's JSON converter writes the same name.
            Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(value, Api));
        }
    }

    [Fact]
    public void Every_enum_keeps_the_names_it_had_on_the_wire_and_in_the_database()
    {
        Pinned<StepStatus>("locked", "available", "in_progress", "completed", "skipped");
        Pinned<StepKind>("skill", "content", "assessment");
        Pinned<PathVersionStatus>("draft", "published", "retired");
        Pinned<EnrollmentStatus>("active", "completed", "withdrawn");
        Pinned<OverrideKind>("skip", "unskip", "insert", "goal", "pace", "migrate", "unlock", "withdraw");
        Pinned<MasteryMethod>("bkt", "weighted_average", "standard_decaying_average", "n_mastery", "highest", "latest", "average");
        Pinned<AttemptStatus>("in_progress", "submitted");
        Pinned<FeedbackLevel>("none", "score", "full");
        Pinned<MultipleChoiceScoring>("all_or_nothing", "right_minus_wrong", "partial");
        Pinned<ToleranceKind>("absolute", "relative");
        Pinned<WhitespaceRule>("exact", "trim", "collapse");
        Pinned<OrderingScoring>("all_or_nothing", "adjacent_pairs");
        Pinned<ContentStatus>("draft", "in_review", "approved", "published", "retired");
        Pinned<ContentKind>("lesson", "explanation", "worked_example", "hint", "item_stem", "feedback", "summary", "image", "video", "audio", "interactive");
    }

    [Theory]
    [InlineData("InProgress")]
    [InlineData("IN_PROGRESS")]
    [InlineData(" in_progress")]
    [InlineData("")]
    [InlineData(null)]
    public void Parsing_is_exact(string? name)
    {
        Assert.False(WireNames<StepStatus>.TryParse(name, out _));
        if (name is not null) Assert.Throws<FormatException>(() => WireNames<StepStatus>.Parse(name));
    }

    [Fact]
    public void A_value_outside_the_enum_has_no_name() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WireNames<StepStatus>.Of((StepStatus)42));
}
