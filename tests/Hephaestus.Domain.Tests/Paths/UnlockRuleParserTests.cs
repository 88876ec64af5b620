using System.Text;
using Hephaestus.Domain.Paths;
using static Hephaestus.Domain.Tests.Paths.RuleTestJson;

namespace Hephaestus.Domain.Tests.Paths;

public class UnlockRuleParserTests
{
    const string A = "0b3c2a34-9d5e-4f61-8a7b-1c2d3e4f5a6b";
    const string B = "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910";

    const string Expected = "must be an object with one of: all, any, mastery, score, completed";
    const string MasteryOneOf = "must have exactly one of atLeast (a level name) or minProbability (0 < p ≤ 1)";

    // ---- every condition kind --------------------------------------------------------------------------------------

    [Fact]
    public void Mastery_at_least_a_level()
    {
        Assert.Equal(new MasteryAtLeastLevel(SkillA, "proficient"), Rule($$$"""{"mastery": {"skill": "{{{A}}}", "atLeast": "proficient"}}"""));
    }

    [Fact]
    public void Mastery_at_least_a_probability()
    {
        Assert.Equal(new MasteryAtLeastProbability(SkillA, 0.8), Rule($$$"""{"mastery": {"skill": "{{{A}}}", "minProbability": 0.8}}"""));
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("1e-9", 1e-9)]
    [InlineData("0.5", 0.5)]
    public void A_probability_may_be_anything_above_zero_up_to_one(string p, double expected)
    {
        Assert.Equal(new MasteryAtLeastProbability(SkillB, expected), Rule($$$"""{"mastery": {"skill": "{{{B}}}", "minProbability": {{{p}}}}}"""));
    }

    [Fact]
    public void Score_range_with_both_bounds()
    {
        Assert.Equal(new ScoreInRange("quiz-1", 0.4, 0.7), Rule("""{"score": {"step": "quiz-1", "min": 0.4, "max": 0.7}}"""));
    }

    [Fact]
    public void Score_range_bounds_default_to_zero_and_none()
    {
        Assert.Equal(new ScoreInRange("quiz", 0, null), Rule("""{"score": {"step": "quiz"}}"""));
        Assert.Equal(new ScoreInRange("quiz", 0, 0.4), Rule("""{"score": {"step": "quiz", "max": 0.4}}"""));
        Assert.Equal(new ScoreInRange("quiz", 0.7, null), Rule("""{"score": {"step": "quiz", "min": 0.7}}"""));
    }

    [Fact]
    public void Score_range_may_span_the_whole_scale()
    {
        Assert.Equal(new ScoreInRange("quiz", 0, 1), Rule("""{"score": {"step": "quiz", "min": 0, "max": 1}}"""));
        Assert.Equal(new ScoreInRange("quiz", 1, null), Rule("""{"score": {"step": "quiz", "min": 1}}"""));
    }

    [Fact]
    public void Steps_completed()
    {
        var rule = Assert.IsType<StepsCompleted>(Rule("""{"completed": {"steps": ["intro", "video_2", "9-lab"]}}"""));
        Assert.Equal(["intro", "video_2", "9-lab"], rule.Steps);
    }

    [Fact]
    public void Nested_all_and_any_keep_their_order_and_shape()
    {
        var rule = Rule($$$"""
            {"all": [
              {"any": [
                {"score": {"step": "quiz", "min": 0.7}},
                {"mastery": {"skill": "{{{A}}}", "atLeast": "proficient"}}
              ]},
              {"completed": {"steps": ["intro"]}},
              {"all": [{"any": [{"mastery": {"skill": "{{{B}}}", "minProbability": 0.95}}]}]}
            ]}
            """);

        var all = Assert.IsType<AllOf>(rule);
        Assert.Equal(3, all.Rules.Count);
        var any = Assert.IsType<AnyOf>(all.Rules[0]);
        Assert.Equal(new ScoreInRange("quiz", 0.7, null), any.Rules[0]);
        Assert.Equal(new MasteryAtLeastLevel(SkillA, "proficient"), any.Rules[1]);
        Assert.Equal(["intro"], Assert.IsType<StepsCompleted>(all.Rules[1]).Steps);
        var inner = Assert.IsType<AnyOf>(Assert.Single(Assert.IsType<AllOf>(all.Rules[2]).Rules));
        Assert.Equal(new MasteryAtLeastProbability(SkillB, 0.95), Assert.Single(inner.Rules));
    }

    [Fact]
    public void A_parsed_rule_writes_back_the_json_it_was_read_from()
    {
        const string json = """{"all":[{"any":[{"score":{"step":"quiz","min":0.4,"max":0.7}},{"mastery":{"skill":"0b3c2a34-9d5e-4f61-8a7b-1c2d3e4f5a6b","atLeast":"proficient"}}]},{"mastery":{"skill":"7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910","minProbability":0.8}},{"completed":{"steps":["intro","lab"]}}]}""";
        var written = Rule(json).ToJson().ToJsonString();
        Assert.Equal(json, written);
        Assert.Equal(written, Rule(written).ToJson().ToJsonString());
    }

    // ---- references ------------------------------------------------------------------------------------------------

    [Fact]
    public void Every_reference_is_collected_with_the_pointer_of_its_condition()
    {
        var result = UnlockRuleParser.Parse(Json($$$"""
            {"all": [
              {"any": [
                {"score": {"step": "quiz", "min": 0.7}},
                {"mastery": {"skill": "{{{A}}}", "atLeast": "proficient"}}
              ]},
              {"completed": {"steps": ["intro", "lab"]}},
              {"mastery": {"skill": "{{{B}}}", "minProbability": 0.9}}
            ]}
            """));

        Assert.Empty(result.Errors);
        Assert.Equal(
            [
                new RuleReference("/all/0/any/0/score", null, "quiz", null),
                new RuleReference("/all/0/any/1/mastery", SkillA, null, "proficient"),
                new RuleReference("/all/1/completed/steps/0", null, "intro", null),
                new RuleReference("/all/1/completed/steps/1", null, "lab", null),
                new RuleReference("/all/2/mastery", SkillB, null, null),
            ],
            result.References);
        Assert.Equal([SkillA, SkillB], result.Rule!.ReferencedSkills());
        Assert.Equal(["quiz", "intro", "lab"], result.Rule.ReferencedSteps());
    }

    [Fact]
    public void Level_names_are_not_checked_here_but_handed_on_as_references()
    {
        // The parser knows no scales: the server checks the level against the skill's scale through the reference.
        var result = UnlockRuleParser.Parse(Json($$$"""{"mastery": {"skill": "{{{A}}}", "atLeast": "wizard"}}"""));
        Assert.Empty(result.Errors);
        Assert.Equal([new RuleReference("/mastery", SkillA, null, "wizard")], result.References);
    }

    // ---- invalid input: the node level -----------------------------------------------------------------------------

    [Theory]
    [InlineData("[]")]
    [InlineData("\"all\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void The_root_must_be_an_object_and_is_pointed_at_by_the_empty_pointer(string json)
    {
        // RFC 6901: "" is the whole document; "/" would be a member named "".
        Assert.Equal([("", Expected)], Errors(json));
    }

    [Fact]
    public void A_node_needs_exactly_one_property()
    {
        Assert.Equal([("", "must have exactly one property (all, any, mastery, score or completed), found 0")], Errors("{}"));
        Assert.Equal([("", "must have exactly one property (all, any, mastery, score or completed), found 2")],
            Errors("""{"completed": {"steps": ["a"]}, "score": {"step": "a"}}"""));
        // Repeating the one property is two properties, not a silent "last one wins".
        Assert.Equal([("/all/0", "must have exactly one property (all, any, mastery, score or completed), found 2")],
            Errors("""{"all": [{"completed": {"steps": ["a"]}, "completed": {"steps": ["b"]}}]}"""));
    }

    [Fact]
    public void Unknown_conditions_are_named_where_they_are()
    {
        Assert.Equal([("/sometimes", "unknown condition 'sometimes'; expected all, any, mastery, score or completed")], Errors("""{"sometimes": true}"""));
        Assert.Equal(["/any/1/not"], Pointers("""{"any": [{"completed": {"steps": ["a"]}}, {"not": {}}]}"""));
        // Names are case-sensitive.
        Assert.Equal(["/All"], Pointers("""{"All": [{"completed": {"steps": ["a"]}}]}"""));
    }

    [Fact]
    public void Property_names_in_pointers_are_escaped_as_rfc_6901_says()
    {
        Assert.Equal(["/a~1b"], Pointers("""{"a/b": 1}"""));
        Assert.Equal(["/a~0b"], Pointers("""{"a~b": 1}"""));
        Assert.Equal(["/score/x~1y~0z"], Pointers("""{"score": {"step": "quiz", "x/y~z": 1}}"""));
    }

    [Theory]
    [InlineData("""{"all": []}""", "/all")]
    [InlineData("""{"any": []}""", "/any")]
    [InlineData("""{"all": {}}""", "/all")]
    [InlineData("""{"any": null}""", "/any")]
    [InlineData("""{"all": "everything"}""", "/all")]
    [InlineData("""{"any": [{"completed": {"steps": ["a"]}}, {"all": []}]}""", "/any/1/all")]
    public void All_and_any_need_a_non_empty_array(string json, string pointer)
    {
        Assert.Equal([(pointer, "must be a non-empty array of rules")], Errors(json));
    }

    [Fact]
    public void Items_of_all_and_any_must_be_rules()
    {
        Assert.Equal([("/all/0", Expected), ("/all/1", Expected), ("/all/2", Expected)], Errors("""{"all": [1, "x", [{"completed": {"steps": ["a"]}}]]}"""));
        Assert.Equal([("/any/1", Expected)], Errors("""{"any": [{"completed": {"steps": ["a"]}}, null]}"""));
    }

    // ---- invalid input: mastery ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("[]")]
    [InlineData("\"proficient\"")]
    [InlineData("null")]
    public void Mastery_must_be_an_object(string value)
    {
        Assert.Equal([("/mastery", "must be an object")], Errors($$$"""{"mastery": {{{value}}}}"""));
    }

    [Fact]
    public void Mastery_needs_a_skill_id()
    {
        Assert.Equal([("/mastery/skill", "is required")], Errors("""{"mastery": {"atLeast": "proficient"}}"""));
        Assert.Equal([("/mastery/skill", "must be a skill id (uuid)")], Errors("""{"mastery": {"skill": "algebra", "atLeast": "proficient"}}"""));
        Assert.Equal([("/mastery/skill", "must be a skill id (uuid)")], Errors("""{"mastery": {"skill": 42, "atLeast": "proficient"}}"""));
        Assert.Equal([("/mastery/skill", "must be a skill id (uuid)")], Errors("""{"mastery": {"skill": null, "atLeast": "proficient"}}"""));
    }

    [Fact]
    public void Mastery_needs_exactly_one_of_a_level_or_a_probability()
    {
        Assert.Equal([("/mastery", MasteryOneOf)], Errors($$$"""{"mastery": {"skill": "{{{A}}}"}}"""));
        Assert.Equal([("/mastery", MasteryOneOf)], Errors($$$"""{"mastery": {"skill": "{{{A}}}", "atLeast": "proficient", "minProbability": 0.5}}"""));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"   \"")]
    [InlineData("3")]
    [InlineData("null")]
    [InlineData("[\"proficient\"]")]
    public void A_level_must_be_a_non_blank_name(string level)
    {
        Assert.Equal([("/mastery/atLeast", "must be the name of a level of the skill's mastery scale")],
            Errors($$$"""{"mastery": {"skill": "{{{A}}}", "atLeast": {{{level}}}}}"""));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.1")]
    [InlineData("1.0001")]
    [InlineData("2")]
    [InlineData("1e400")]
    [InlineData("\"0.8\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void A_probability_must_be_above_zero_and_at_most_one(string p)
    {
        Assert.Equal([("/mastery/minProbability", "must be a number with 0 < p ≤ 1")],
            Errors($$$"""{"mastery": {"skill": "{{{A}}}", "minProbability": {{{p}}}}}"""));
    }

    [Fact]
    public void Mastery_reports_a_bad_skill_together_with_a_bad_level_or_probability()
    {
        Assert.Equal(["/mastery/skill", "/mastery/atLeast"], Pointers("""{"mastery": {"skill": "x", "atLeast": ""}}"""));
        Assert.Equal(["/mastery/skill", "/mastery/minProbability"], Pointers("""{"mastery": {"minProbability": 7}}"""));
        Assert.Equal(["/mastery/skill", "/mastery"], Pointers("""{"mastery": {"skill": "x"}}"""));
    }

    [Fact]
    public void Unknown_mastery_properties_do_not_hide_the_other_errors()
    {
        Assert.Equal(
            [
                ("/mastery/level", "unknown property; allowed: skill, atLeast, minProbability"),
                ("/mastery/skill", "must be a skill id (uuid)"),
                ("/mastery/minProbability", "must be a number with 0 < p ≤ 1"),
            ],
            Errors("""{"mastery": {"level": "proficient", "skill": "x", "minProbability": 0}}"""));
    }

    // ---- invalid input: score --------------------------------------------------------------------------------------

    [Fact]
    public void Score_must_be_an_object_naming_a_step()
    {
        Assert.Equal([("/score", "must be an object")], Errors("""{"score": 0.5}"""));
        Assert.Equal([("/score/step", "is required")], Errors("""{"score": {"min": 0.5}}"""));
        Assert.Equal([("/score/step", "must be a step key")], Errors("""{"score": {"step": 3}}"""));
        Assert.Equal([("/score/step", "must be a step key")], Errors("""{"score": {"step": "Quiz 1"}}"""));
        Assert.Equal([("/score/step", "must be a step key")], Errors("""{"score": {"step": ""}}"""));
        Assert.Equal([("/score/step", "must be a step key")], Errors("""{"score": {"step": "-quiz"}}"""));
        Assert.Equal([("/score/step", "must be a step key")], Errors($$$"""{"score": {"step": "{{{new string('a', 65)}}}"}}"""));
    }

    [Theory]
    [InlineData("min", "-0.01")]
    [InlineData("min", "1.5")]
    [InlineData("min", "\"0.5\"")]
    [InlineData("min", "null")]
    [InlineData("max", "1.01")]
    [InlineData("max", "-1")]
    [InlineData("max", "\"1\"")]
    [InlineData("max", "false")]
    public void Score_bounds_must_be_numbers_from_0_to_1(string bound, string value)
    {
        Assert.Equal([($"/score/{bound}", "must be a number from 0 to 1")], Errors($$$"""{"score": {"step": "quiz", "{{{bound}}}": {{{value}}}}}"""));
    }

    [Theory]
    [InlineData("0.7", "0.4")]
    [InlineData("0.5", "0.5")]
    [InlineData("1", "1")]
    public void Min_must_be_below_max(string min, string max)
    {
        var error = Assert.Single(Errors($$$"""{"score": {"step": "quiz", "min": {{{min}}}, "max": {{{max}}}}}"""));
        Assert.Equal("/score/min", error.Pointer);
        Assert.StartsWith("must be less than max (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Min_and_max_name_the_bound_of_the_message()
    {
        Assert.Equal([("/score/min", "must be less than max (0.4)")], Errors("""{"score": {"step": "quiz", "min": 0.7, "max": 0.4}}"""));
    }

    [Fact]
    public void A_max_of_zero_without_min_is_an_empty_range_reported_at_max()
    {
        // min defaults to 0, which is not written: the error goes where the author can fix it.
        Assert.Equal([("/score/max", "must be greater than min (0)")], Errors("""{"score": {"step": "quiz", "max": 0}}"""));
    }

    [Fact]
    public void Score_reports_every_problem_at_once()
    {
        Assert.Equal(["/score/step", "/score/min", "/score/max"], Pointers("""{"score": {"step": "Bad Key", "min": 2, "max": -1}}"""));
        // An empty range is reported even when the step is also wrong.
        Assert.Equal(["/score/step", "/score/min"], Pointers("""{"score": {"min": 0.9, "max": 0.1}}"""));
        Assert.Equal(["/score/ceiling", "/score/step", "/score/min"], Pointers("""{"score": {"ceiling": 1, "min": 0.9, "max": 0.1}}"""));
    }

    // ---- invalid input: completed ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"completed": {}}""")]
    [InlineData("""{"completed": {"steps": []}}""")]
    [InlineData("""{"completed": {"steps": "intro"}}""")]
    [InlineData("""{"completed": {"steps": null}}""")]
    public void Completed_needs_a_non_empty_array_of_steps(string json)
    {
        Assert.Equal([("/completed/steps", "must be a non-empty array of step keys")], Errors(json));
    }

    [Fact]
    public void Completed_must_be_an_object()
    {
        Assert.Equal([("/completed", "must be an object")], Errors("""{"completed": ["intro"]}"""));
    }

    [Fact]
    public void Every_bad_step_key_is_reported_and_the_good_ones_still_collected()
    {
        var result = UnlockRuleParser.Parse(Json("""{"completed": {"steps": ["intro", 3, "Has Space", null, "lab"]}}"""));
        Assert.Null(result.Rule);
        Assert.Equal(
            [("/completed/steps/1", "must be a step key"), ("/completed/steps/2", "must be a step key"), ("/completed/steps/3", "must be a step key")],
            result.Errors.Select(e => (e.Path, e.Message)));
        Assert.Equal([new RuleReference("/completed/steps/0", null, "intro", null), new RuleReference("/completed/steps/4", null, "lab", null)], result.References);
    }

    [Fact]
    public void Unknown_completed_properties_are_reported_with_the_steps()
    {
        Assert.Equal(
            [("/completed/step", "unknown property; allowed: steps"), ("/completed/steps", "must be a non-empty array of step keys")],
            Errors("""{"completed": {"step": "intro"}}"""));
        Assert.Equal(
            [("/completed/all", "unknown property; allowed: steps"), ("/completed/steps/0", "must be a step key")],
            Errors("""{"completed": {"steps": ["X"], "all": true}}"""));
    }

    [Fact]
    public void Duplicate_properties_inside_a_condition_are_refused()
    {
        // JSON parsers disagree on which duplicate wins (and PostgreSQL jsonb keeps the last): refuse rather than guess.
        Assert.Equal([("/score/step", "duplicate property")], Errors("""{"score": {"step": "quiz", "step": "exam"}}"""));
        Assert.Equal([("/mastery/skill", "duplicate property")], Errors($$$"""{"mastery": {"skill": "{{{A}}}", "skill": "{{{B}}}", "atLeast": "proficient"}}"""));
    }

    // ---- all errors, not only the first ----------------------------------------------------------------------------

    [Fact]
    public void Every_error_anywhere_in_the_tree_is_reported_in_document_order()
    {
        var errors = Errors("""
            {"all": [
              {"score": {"step": "quiz", "min": 0.8, "max": 0.4}},
              {"mastery": {"skill": "nope", "atLeast": "proficient"}},
              {"any": [
                {"completed": {"steps": []}},
                {"mastery": {"skill": "0b3c2a34-9d5e-4f61-8a7b-1c2d3e4f5a6b", "minProbability": 1.5}},
                {"score": {"step": "quiz", "bonus": true}}
              ]},
              {"sometimes": true},
              "not a rule",
              {"any": []}
            ]}
            """);

        Assert.Equal(
            [
                ("/all/0/score/min", "must be less than max (0.4)"),
                ("/all/1/mastery/skill", "must be a skill id (uuid)"),
                ("/all/2/any/0/completed/steps", "must be a non-empty array of step keys"),
                ("/all/2/any/1/mastery/minProbability", "must be a number with 0 < p ≤ 1"),
                ("/all/2/any/2/score/bonus", "unknown property; allowed: step, min, max"),
                ("/all/3/sometimes", "unknown condition 'sometimes'; expected all, any, mastery, score or completed"),
                ("/all/4", Expected),
                ("/all/5/any", "must be a non-empty array of rules"),
            ],
            errors);
    }

    [Fact]
    public void References_are_collected_even_when_other_parts_are_invalid()
    {
        // The server checks references whatever the shape, so one response names an unknown step or skill too.
        var result = UnlockRuleParser.Parse(Json($$$"""
            {"all": [
              {"score": {"step": "quiz", "min": 0.8, "max": 0.4}},
              {"mastery": {"skill": "{{{A}}}", "atLeast": 3}},
              {"mastery": {"skill": "{{{B}}}", "minProbability": 0}},
              {"completed": {"steps": ["intro"]}},
              {"sometimes": true}
            ]}
            """));

        Assert.Null(result.Rule);
        Assert.Equal(["/all/0/score/min", "/all/1/mastery/atLeast", "/all/2/mastery/minProbability", "/all/4/sometimes"], result.Errors.Select(e => e.Path));
        Assert.Equal(
            [
                new RuleReference("/all/0/score", null, "quiz", null),
                new RuleReference("/all/1/mastery", SkillA, null, null),
                new RuleReference("/all/2/mastery", SkillB, null, null),
                new RuleReference("/all/3/completed/steps/0", null, "intro", null),
            ],
            result.References);
    }

    // ---- guards ----------------------------------------------------------------------------------------------------

    static string Nest(int levels, string leaf)
    {
        var json = new StringBuilder();
        for (var i = 0; i < levels; i++) json.Append("""{"all": [""");
        json.Append(leaf);
        for (var i = 0; i < levels; i++) json.Append("]}");
        return json.ToString();
    }

    const string Leaf = """{"completed": {"steps": ["intro"]}}""";

    [Fact]
    public void Sixteen_levels_of_nesting_are_allowed()
    {
        Assert.Equal(16, UnlockRuleParser.MaxDepth);
        var rule = Rule(Nest(15, Leaf)); // 15 "all" levels + the leaf = 16
        Assert.Equal(16, rule.Descendants().Count());
    }

    [Fact]
    public void A_seventeenth_level_is_refused_where_it_starts()
    {
        var pointer = string.Concat(Enumerable.Repeat("/all/0", 16));
        Assert.Equal([(pointer, "a rule may nest at most 16 levels")], Errors(Nest(16, Leaf)));
        // Deeper still: one error, at the first node too deep, not one per level below it.
        Assert.Equal([(pointer, "a rule may nest at most 16 levels")], Errors(Nest(25, Leaf)));
    }

    [Fact]
    public void Too_deep_siblings_are_each_reported()
    {
        var deep = Nest(15, $$$"""{"any": [{{{Leaf}}}, {{{Leaf}}}]}""");
        var prefix = string.Concat(Enumerable.Repeat("/all/0", 15)) + "/any/";
        Assert.Equal([prefix + "0", prefix + "1"], Pointers(deep));
    }

    static string Wide(int leaves) => $$$"""{"any": [{{{string.Join(", ", Enumerable.Repeat(Leaf, leaves))}}}]}""";

    [Fact]
    public void At_most_256_nodes_are_allowed()
    {
        Assert.Equal(256, UnlockRuleParser.MaxNodes);
        Assert.Equal(256, Rule(Wide(255)).Descendants().Count());
    }

    [Fact]
    public void The_257th_node_is_reported_once()
    {
        Assert.Equal([("/any/255", "a rule may have at most 256 nodes")], Errors(Wide(256)));
        Assert.Equal([("/any/255", "a rule may have at most 256 nodes")], Errors(Wide(1000)));
    }
}
