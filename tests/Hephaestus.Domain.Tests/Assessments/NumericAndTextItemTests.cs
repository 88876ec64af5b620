using Hephaestus.Domain.Assessments;
using static Hephaestus.Domain.Tests.Assessments.ItemTestJson;

namespace Hephaestus.Domain.Tests.Assessments;

public class NumericAndTextItemTests
{
    private static ItemDefinition Numeric(string value, string tolerance, string kind) =>
        Item($$"""{"type": "numeric", "prompt": "Value?", "value": {{value}}, "tolerance": {{tolerance}}, "toleranceKind": "{{kind}}"}""");

    private static bool Correct(ItemDefinition item, string answer) => Score(item, $$"""{"value": {{answer}}}""").Correct;

    [Theory]
    [InlineData("3.14", true)]
    [InlineData("3.15", true)]   // exactly at the upper boundary: 3.15 − 3.14 = 0.01 in decimal
    [InlineData("3.13", true)]   // exactly at the lower boundary
    [InlineData("3.1500001", false)]
    [InlineData("3.1299999", false)]
    [InlineData("314e-2", true)]
    public void Absolute_tolerance_includes_its_boundaries(string answer, bool correct)
    {
        Assert.Equal(correct, Correct(Numeric("3.14", "0.01", "absolute"), answer));
    }

    // Relative 5% of |−200| = 10: −210 and −190 are the boundaries.
    [Theory]
    [InlineData("-200", true)]
    [InlineData("-210", true)]
    [InlineData("-190", true)]
    [InlineData("-210.001", false)]
    [InlineData("-189.999", false)]
    [InlineData("200", false)]
    public void Relative_tolerance_scales_with_the_magnitude_of_negative_values(string answer, bool correct)
    {
        Assert.Equal(correct, Correct(Numeric("-200", "0.05", "relative"), answer));
    }

    [Fact]
    public void Negative_values_with_absolute_tolerance()
    {
        var item = Numeric("-1.5", "0.25", "absolute");
        Assert.True(Correct(item, "-1.25"));
        Assert.True(Correct(item, "-1.75"));
        Assert.False(Correct(item, "1.5"));
    }

    [Fact]
    public void Zero_tolerance_is_the_default_and_means_exact()
    {
        var item = (NumericItem)Item("""{"type": "numeric", "prompt": "p", "value": 42}""");
        Assert.Equal((0m, ToleranceKind.Absolute), (item.Tolerance, item.ToleranceKind));
        Assert.True(Correct(item, "42.000"));
        Assert.False(Correct(item, "42.0001"));
    }

    [Fact]
    public void Huge_answers_do_not_overflow_the_comparison()
    {
        Assert.False(Correct(Numeric("-79000000000000000000000000000", "1", "absolute"), "79000000000000000000000000000"));
    }

    [Fact]
    public void Invalid_numeric_definition_names_every_error_path()
    {
        Assert.Equal(
            [("/value", "must be a number"), ("/tolerance", "must be 0 or greater"), ("/toleranceKind", "must be one of: absolute, relative")],
            DefinitionErrors("""{"type": "numeric", "prompt": "p", "value": "3", "tolerance": -1, "toleranceKind": "percent"}"""));
        Assert.Equal(
            [("/toleranceKind", "a relative tolerance needs a non-zero value; use an absolute tolerance around 0")],
            DefinitionErrors("""{"type": "numeric", "prompt": "p", "value": 0, "tolerance": 0.1, "toleranceKind": "relative"}"""));
        Assert.Equal(
            [("/tolerance", "a relative tolerance is a fraction of the value (0.05 = 5%) and must be at most 1")],
            DefinitionErrors("""{"type": "numeric", "prompt": "p", "value": 3, "tolerance": 5, "toleranceKind": "relative"}"""));
        Assert.Equal([("/value", "must be a number within ±7.9e28")], DefinitionErrors("""{"type": "numeric", "prompt": "p", "value": 1e40}"""));
    }

    [Fact]
    public void Numeric_response_must_be_a_json_number()
    {
        var item = Numeric("1", "0", "absolute");
        Assert.Equal([("/value", "must be a number")], ResponseErrors(item, """{"value": "1"}"""));
        Assert.Equal([("/value", "is required")], ResponseErrors(item, """{}"""));
    }

    private static ItemDefinition Text(string extra = "") =>
        Item($$"""{"type": "short_text", "prompt": "Capital of France?", "acceptedAnswers": ["Paris", "Ville Lumière"]{{extra}}}""");

    private static bool Accepts(ItemDefinition item, string text) =>
        Score(item, System.Text.Json.JsonSerializer.Serialize(new { text })).Correct;

    [Theory]
    [InlineData("Paris", true)]
    [InlineData("paris", true)]
    [InlineData("  PARIS \t", true)]
    [InlineData("ville   lumière", true)]
    [InlineData("Ville Lumie\u0300re", true)] // decomposed è (e + U+0300) still matches after NFC
    [InlineData("Pari s", false)]
    [InlineData("", false)]
    public void Short_text_defaults_to_case_insensitive_and_collapsed_whitespace(string answer, bool accepted)
    {
        Assert.Equal(accepted, Accepts(Text(), answer));
    }

    [Fact]
    public void Short_text_case_sensitive()
    {
        var item = Text(""", "caseSensitive": true""");
        Assert.True(Accepts(item, "Paris"));
        Assert.False(Accepts(item, "paris"));
    }

    [Fact]
    public void Short_text_whitespace_rules()
    {
        var exact = Text(""", "whitespace": "exact" """);
        Assert.True(Accepts(exact, "Paris"));
        Assert.False(Accepts(exact, " Paris"));
        Assert.False(Accepts(exact, "Ville  Lumière"));

        var trim = Text(""", "whitespace": "trim" """);
        Assert.True(Accepts(trim, "  Paris  "));
        Assert.False(Accepts(trim, "Ville  Lumière"));

        var collapse = Text(""", "whitespace": "collapse" """);
        Assert.True(Accepts(collapse, " Ville \n Lumière "));
    }

    [Fact]
    public void Invalid_short_text_definition_names_every_error_path()
    {
        Assert.Equal(
            [("/acceptedAnswers/1", "must not be empty"), ("/acceptedAnswers/2", "duplicate accepted answer")],
            DefinitionErrors("""{"type": "short_text", "prompt": "p", "acceptedAnswers": ["Paris", "  ", " paris"]}"""));
        Assert.Equal(
            [("/acceptedAnswers", "must have at least one accepted answer"), ("/caseSensitive", "must be true or false"), ("/whitespace", "must be one of: exact, trim, collapse")],
            DefinitionErrors("""{"type": "short_text", "prompt": "p", "acceptedAnswers": [], "caseSensitive": "no", "whitespace": "strip"}"""));
        Assert.Equal(
            [("/acceptedAnswers/0", "must be a string")],
            DefinitionErrors("""{"type": "short_text", "prompt": "p", "acceptedAnswers": [7]}"""));
    }

    [Fact]
    public void Case_sensitive_items_may_accept_answers_differing_only_in_case()
    {
        Assert.Empty(ItemDefinitionParser.Parse(Json("""{"type": "short_text", "prompt": "p", "acceptedAnswers": ["NaCl", "nacl"], "caseSensitive": true}""")).Errors);
    }

    [Fact]
    public void Short_text_response_must_be_a_string()
    {
        Assert.Equal([("/text", "must be a string")], ResponseErrors(Text(), """{"text": 5}"""));
        Assert.Equal([("/text", "is required"), ("/answer", "unknown property")], ResponseErrors(Text(), """{"answer": "Paris"}"""));
    }
}
