using Hephaestus.Domain.Assessments;
using static Hephaestus.Domain.Tests.Assessments.ItemTestJson;

namespace Hephaestus.Domain.Tests.Assessments;

public class ChoiceItemTests
{
    private const string Single = """
        {"type": "single_choice", "prompt": "2 + 2?", "points": 2,
         "options": [{"id": "a", "text": "3"}, {"id": "b", "text": "4"}, {"id": "c", "text": "5"}],
         "correctOptionId": "b"}
        """;

    private static string Multiple(string scoring) => $$"""
        {"type": "multiple_choice", "prompt": "Which are primes?", "points": 3, "scoring": "{{scoring}}",
         "options": [{"id": "a", "text": "2"}, {"id": "b", "text": "3"}, {"id": "c", "text": "4"},
                     {"id": "d", "text": "5"}, {"id": "e", "text": "6"}],
         "correctOptionIds": ["a", "b", "d"]}
        """;

    [Fact]
    public void Single_choice_correct_earns_all_points()
    {
        Assert.Equal(new ItemScore(1, 2m, 2m, true), Score(Item(Single), """{"optionId": "b"}"""));
    }

    [Fact]
    public void Single_choice_incorrect_earns_nothing()
    {
        Assert.Equal(new ItemScore(0, 0m, 2m, false), Score(Item(Single), """{"optionId": "a"}"""));
    }

    [Fact]
    public void Points_default_to_one()
    {
        var item = Item("""{"type": "single_choice", "prompt": "?", "options": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}], "correctOptionId": "a"}""");
        Assert.Equal(1m, item.Points);
    }

    [Fact]
    public void Multiple_choice_defaults_to_all_or_nothing()
    {
        var item = (MultipleChoiceItem)Item(Multiple("all_or_nothing").Replace("\"scoring\": \"all_or_nothing\",", "", StringComparison.Ordinal));
        Assert.Equal(MultipleChoiceScoring.AllOrNothing, item.Scoring);
    }

    [Theory]
    [InlineData("""["a", "b", "d"]""", 1.0, true)]
    [InlineData("""["d", "b", "a"]""", 1.0, true)]
    [InlineData("""["a", "b"]""", 0.0, false)]
    [InlineData("""["a", "b", "d", "c"]""", 0.0, false)]
    [InlineData("""[]""", 0.0, false)]
    public void Multiple_choice_all_or_nothing_needs_exactly_the_correct_set(string selected, double score, bool correct)
    {
        var result = Score(Item(Multiple("all_or_nothing")), $$"""{"optionIds": {{selected}}}""");
        Assert.Equal((score, correct), (result.Score01, result.Correct));
    }

    // k = 3 correct options, 3 points: each right +1/3, each wrong −1/3, floor 0.
    [Theory]
    [InlineData("""["a", "b", "d"]""", 3, 3.0)]
    [InlineData("""["a", "b"]""", 2, 2.0)]
    [InlineData("""["a", "b", "c"]""", 1, 1.0)]
    [InlineData("""["a", "c", "e"]""", 0, 0.0)]
    [InlineData("""["c", "e"]""", 0, 0.0)]
    [InlineData("""["a", "b", "c", "d", "e"]""", 1, 1.0)]
    public void Multiple_choice_right_minus_wrong_floors_at_zero(string selected, int thirds, double points)
    {
        var result = Score(Item(Multiple("right_minus_wrong")), $$"""{"optionIds": {{selected}}}""");
        Assert.Equal(thirds / 3.0, result.Score01, 1e-15);
        Assert.Equal((decimal)points, result.Points);
    }

    // Partial: fraction of correct selected, zero as soon as any wrong option is selected.
    [Theory]
    [InlineData("""["a"]""", 1.0 / 3, 1.0)]
    [InlineData("""["a", "d"]""", 2.0 / 3, 2.0)]
    [InlineData("""["a", "b", "d"]""", 1.0, 3.0)]
    [InlineData("""["a", "b", "d", "e"]""", 0.0, 0.0)]
    public void Multiple_choice_partial_gives_nothing_once_a_wrong_option_is_picked(string selected, double score, double points)
    {
        var result = Score(Item(Multiple("partial")), $$"""{"optionIds": {{selected}}}""");
        Assert.Equal(score, result.Score01, 1e-15);
        Assert.Equal((decimal)points, result.Points);
    }

    [Fact]
    public void Fractional_points_are_rounded_to_four_places()
    {
        var item = Item(Multiple("partial").Replace("\"points\": 3", "\"points\": 1", StringComparison.Ordinal));
        Assert.Equal(0.3333m, Score(item, """{"optionIds": ["a"]}""").Points);
        Assert.Equal(0.6667m, Score(item, """{"optionIds": ["a", "b"]}""").Points);
    }

    [Fact]
    public void Invalid_choice_definition_names_every_error_path()
    {
        var errors = DefinitionErrors("""
            {"type": "single_choice", "prompt": "", "points": 0, "shuffle": true,
             "options": [{"id": "a", "text": "x"}, {"id": "b", "text": ""}, {"id": "a", "text": "z"}, {"text": "w", "extra": 1}, "e"],
             "correctOptionId": "q"}
            """);

        Assert.Equal(
            [
                ("/prompt", "must not be empty"),
                ("/points", "must be greater than 0"),
                ("/options/1/text", "must not be empty"),
                ("/options/2/id", "duplicate option id"),
                ("/options/3/id", "is required"),
                ("/options/3/extra", "unknown property"),
                ("/options/4", "must be a JSON object"),
                ("/shuffle", "unknown property"),
            ],
            errors);
    }

    [Fact]
    public void Correct_option_must_exist()
    {
        Assert.Equal(
            [("/correctOptionId", "unknown option id 'z'")],
            DefinitionErrors(Single.Replace("\"correctOptionId\": \"b\"", "\"correctOptionId\": \"z\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Multiple_choice_correct_ids_must_exist_be_unique_and_not_be_empty()
    {
        Assert.Equal(
            [("/correctOptionIds/1", "unknown option id 'x'"), ("/correctOptionIds/2", "duplicate option id 'a'")],
            DefinitionErrors(Multiple("partial").Replace("[\"a\", \"b\", \"d\"]", "[\"a\", \"x\", \"a\"]", StringComparison.Ordinal)));
        Assert.Equal(
            [("/correctOptionIds", "must name at least one correct option")],
            DefinitionErrors(Multiple("partial").Replace("[\"a\", \"b\", \"d\"]", "[]", StringComparison.Ordinal)));
        Assert.Equal(
            [("/scoring", "must be one of: all_or_nothing, right_minus_wrong, partial")],
            DefinitionErrors(Multiple("most")));
    }

    [Fact]
    public void Missing_and_mistyped_fields_are_named()
    {
        Assert.Equal(
            [("/prompt", "must be a string"), ("/points", "must be a number"), ("/options", "is required"), ("/correctOptionId", "is required")],
            DefinitionErrors("""{"type": "single_choice", "prompt": 5, "points": "1"}"""));
        Assert.Equal([("/options", "must have at least 2 options")],
            DefinitionErrors("""{"type": "single_choice", "prompt": "p", "options": [{"id": "a", "text": "x"}], "correctOptionId": "a"}"""));
    }

    [Fact]
    public void Type_must_be_known()
    {
        Assert.Equal([("", "must be a JSON object")], DefinitionErrors("[]"));
        Assert.Equal([("/type", "is required")], DefinitionErrors("""{"prompt": "p"}"""));
        Assert.Equal([("/type", "unknown item type 'essay'; expected one of: single_choice, multiple_choice, numeric, short_text, ordering")],
            DefinitionErrors("""{"type": "essay"}"""));
    }

    [Fact]
    public void Duplicate_properties_are_refused()
    {
        Assert.Contains(("/prompt", "duplicate property"), DefinitionErrors(Single.Replace("\"points\": 2", "\"prompt\": \"again\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Responses_naming_unknown_options_or_of_the_wrong_shape_are_refused()
    {
        var single = Item(Single);
        Assert.Equal([("/optionId", "unknown option id 'z'")], ResponseErrors(single, """{"optionId": "z"}"""));
        Assert.Equal([("/optionId", "must be a string")], ResponseErrors(single, """{"optionId": 1}"""));
        Assert.Equal([("/optionId", "is required"), ("/optionIds", "unknown property")], ResponseErrors(single, """{"optionIds": ["a"]}"""));
        Assert.Equal([("", "must be a JSON object")], ResponseErrors(single, "\"b\""));

        var multiple = Item(Multiple("partial"));
        Assert.Equal(
            [("/optionIds/1", "unknown option id 'q'"), ("/optionIds/2", "duplicate option id 'a'")],
            ResponseErrors(multiple, """{"optionIds": ["a", "q", "a"]}"""));
        Assert.Equal([("/optionIds", "must be an array")], ResponseErrors(multiple, """{"optionIds": "a"}"""));
        Assert.Equal([("/optionIds/0", "must be a string")], ResponseErrors(multiple, """{"optionIds": [1]}"""));
    }

    [Fact]
    public void A_response_of_another_type_cannot_be_scored()
    {
        Assert.Throws<ArgumentException>(() => ItemScorer.Score(Item(Single), new NumericResponse(4)));
    }
}
