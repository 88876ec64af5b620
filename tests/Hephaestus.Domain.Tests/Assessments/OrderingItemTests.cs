using Hephaestus.Domain.Assessments;
using static Hephaestus.Domain.Tests.Assessments.ItemTestJson;

namespace Hephaestus.Domain.Tests.Assessments;

public class OrderingItemTests
{
    private static ItemDefinition Ordering(string scoring) => Item($$"""
        {"type": "ordering", "prompt": "Order the steps", "points": 3, "scoring": "{{scoring}}",
         "items": [{"id": "a", "text": "Boil"}, {"id": "b", "text": "Steep"}, {"id": "c", "text": "Pour"}, {"id": "d", "text": "Drink"}],
         "correctOrder": ["a", "b", "c", "d"]}
        """);

    private static ItemScore Answer(ItemDefinition item, string order) => Score(item, $$"""{"order": {{order}}}""");

    [Fact]
    public void Correct_order_earns_everything_under_both_rules()
    {
        Assert.Equal(new ItemScore(1, 3m, 3m, true), Answer(Ordering("all_or_nothing"), """["a", "b", "c", "d"]"""));
        Assert.Equal(new ItemScore(1, 3m, 3m, true), Answer(Ordering("adjacent_pairs"), """["a", "b", "c", "d"]"""));
    }

    [Fact]
    public void All_or_nothing_gives_nothing_for_one_swap()
    {
        Assert.Equal(new ItemScore(0, 0m, 3m, false), Answer(Ordering("all_or_nothing"), """["a", "b", "d", "c"]"""));
    }

    // Pairs of the correct order: ab, bc, cd (3 pairs, 1 point each).
    [Theory]
    [InlineData("""["a", "b", "d", "c"]""", 2)] // ab ✓, bc ✓, cd ✗
    [InlineData("""["b", "c", "d", "a"]""", 2)] // ab ✗, bc ✓, cd ✓
    [InlineData("""["d", "c", "b", "a"]""", 0)] // reversed: none
    [InlineData("""["c", "a", "d", "b"]""", 2)] // ab ✓ (a before b, not adjacent), bc ✗, cd ✓
    public void Adjacent_pairs_credit_each_pair_kept_in_relative_order(string order, int pairs)
    {
        var result = Answer(Ordering("adjacent_pairs"), order);
        Assert.Equal(pairs / 3.0, result.Score01, 1e-15);
        Assert.Equal((decimal)pairs, result.Points);
        Assert.False(result.Correct);
    }

    [Fact]
    public void Ordering_scoring_defaults_to_all_or_nothing()
    {
        var item = (OrderingItem)Item("""{"type": "ordering", "prompt": "p", "items": [{"id": "x", "text": "1"}, {"id": "y", "text": "2"}], "correctOrder": ["y", "x"]}""");
        Assert.Equal(OrderingScoring.AllOrNothing, item.Scoring);
    }

    [Fact]
    public void Invalid_ordering_definition_names_every_error_path()
    {
        Assert.Equal(
            [("/items/2/id", "duplicate item id"), ("/scoring", "must be one of: all_or_nothing, adjacent_pairs")],
            DefinitionErrors("""
                {"type": "ordering", "prompt": "p", "scoring": "kendall",
                 "items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}, {"id": "a", "text": "3"}], "correctOrder": ["a", "b"]}
                """));
        Assert.Equal(
            [("/correctOrder/1", "unknown item id 'z'"), ("/correctOrder/2", "duplicate item id 'a'")],
            DefinitionErrors("""
                {"type": "ordering", "prompt": "p", "items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}], "correctOrder": ["a", "z", "a"]}
                """));
        Assert.Equal(
            [("/correctOrder", "must list every item exactly once; missing: b, c")],
            DefinitionErrors("""
                {"type": "ordering", "prompt": "p", "items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}, {"id": "c", "text": "3"}], "correctOrder": ["a"]}
                """));
    }

    [Fact]
    public void Ordering_response_must_be_a_permutation_of_the_items()
    {
        var item = Ordering("adjacent_pairs");
        Assert.Equal([("/order/1", "unknown item id 'e'")], ResponseErrors(item, """{"order": ["a", "e", "c", "d"]}"""));
        Assert.Equal([("/order/1", "duplicate item id 'a'")], ResponseErrors(item, """{"order": ["a", "a", "c", "d"]}"""));
        Assert.Equal([("/order", "must list every item exactly once; missing: c, d")], ResponseErrors(item, """{"order": ["a", "b"]}"""));
        Assert.Equal([("/order", "must be an array")], ResponseErrors(item, """{"order": {"a": 1}}"""));
    }
}
